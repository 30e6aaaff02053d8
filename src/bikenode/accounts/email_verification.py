"""Proving an account's e-mail address: a link mailed to it, opened, and a button pressed.

Others may then trust the address (live's crash alerts tell a contact in the app only when
their account's address is proven). A used password reset link proves it too. The link holds
a signed token good for a day; it goes only to the account's own address, so asking for it
cannot mail anyone else.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from bikenode.accounts import logic, repo
from bikenode.accounts.service import AccountsConfig
from bikenode.db.base import utcnow
from bikenode.errors import Conflict, DomainError
from bikenode.mail import MailSettings, send_mail

log = logging.getLogger("bikenode.accounts.email_verification")
PURPOSE = "verify_email"
TOKEN_TTL = timedelta(days=1)  # a mail read the next morning still works
VERIFY_PATH = "/api/v1/auth/verify-email"
MAIL_SUBJECT = "Confirm your BikeNode e-mail address"
MAIL_BODY = """\
Open this link within a day and press the button to confirm that {email} is yours:

{link}

Riders who chose this address as an emergency contact can then alert you in the app too.
If you did not ask, ignore this e-mail.
"""


def ask_verification(session: Session, config: AccountsConfig, *, user_id: uuid.UUID) -> str:
    """The address to mail a verification link to; Conflict if it is verified already."""
    user = repo.get_user(session, user_id)
    if user is None:
        raise DomainError("no such account")
    if user.email_verified_at is not None:
        raise Conflict("your e-mail address is already verified")
    session.commit()
    return user.email


def deliver_verification(
    config: AccountsConfig, mail: MailSettings, *, public_url: str, user_id: uuid.UUID, email: str
) -> None:
    """Mail the link to the account's own address; never raises (runs after the answer)."""
    token = logic.issue_purpose_token(
        config.tokens, user_id=user_id, purpose=PURPOSE, ttl=TOKEN_TTL, now=utcnow()
    )
    link = f"{public_url.rstrip('/')}{VERIFY_PATH}?token={token}"
    try:
        send_mail(
            mail, to=email, subject=MAIL_SUBJECT, body=MAIL_BODY.format(email=email, link=link)
        )
    except Exception:
        log.exception("could not deliver an e-mail verification link")


def verify_email(session: Session, config: AccountsConfig, *, token: str) -> None:
    """Mark the token's account's address verified (again is fine); DomainError for a bad,
    expired or foreign token."""
    try:
        user_id = logic.verify_purpose_token(
            config.tokens, token, purpose=PURPOSE, name="verification link", now=utcnow()
        )
    except logic.TokenError as error:
        raise DomainError(f"{error}; ask for a new one in your settings") from None
    user = repo.get_user(session, user_id)
    if user is None:
        raise DomainError("this verification link names no account (it was deleted)")
    user.email_verified_at = user.email_verified_at or utcnow()
    session.commit()
