"""Security e-mails to a user: a refresh token came back after its rotation.

The mail is sent after the answer has left (a background task), outside any database
transaction, so a slow or absent SMTP server neither delays the refusal nor holds a lock.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from fastapi import BackgroundTasks, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from bikenode.accounts import repo
from bikenode.accounts.service import RefreshTokenReused
from bikenode.db.base import utcnow
from bikenode.mail import MailSettings, mail_settings, send_mail
from bikenode.web.problems import domain_problem

log = logging.getLogger("bikenode.accounts.alerts")
REUSE_SUBJECT = "A BikeNode session of yours was ended"
REUSE_BODY = """\
Someone presented an old sign-in token of the BikeNode account {email} again, at
{when:%Y-%m-%d %H:%M} UTC{origin}. Each token works once, so this usually means a copy of it
was taken from one of your devices; to be safe, that session has been signed out.

If you just signed out and back in, or restored a device from a backup, you can ignore this.
Otherwise change your password (Settings, or "Forgot password?" on the sign-in page): that
signs every other session out.

Session: {session_id}
"""


def refused_after_reuse(
    request: Request,
    background: BackgroundTasks,
    reused: RefreshTokenReused,
    *,
    client_ip: str | None,
) -> JSONResponse:
    """The 401 for a reused refresh token, carrying the task that tells the user by e-mail."""
    background.add_task(
        deliver_reuse_alert,
        request.app.state.read_session_factory,
        mail_settings(request.app.state.settings),
        user_id=reused.user_id,
        session_id=reused.session_id,
        client_ip=client_ip,
        when=utcnow(),
    )
    refused = domain_problem(reused)
    refused.background = background
    return refused


def deliver_reuse_alert(
    read_session_factory: sessionmaker[Session],
    mail: MailSettings,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    client_ip: str | None,
    when: datetime,
) -> None:
    """Mail the account's owner that a session was ended for reuse; never raises."""
    try:
        with read_session_factory() as session:
            user = repo.get_user(session, user_id)
            email = user.email if user is not None else None
        if email is None:  # erased meanwhile
            return
        origin = f", from the address {client_ip}" if client_ip else ""
        body = REUSE_BODY.format(email=email, when=when, origin=origin, session_id=session_id)
        send_mail(mail, to=email, subject=REUSE_SUBJECT, body=body)
    except Exception:
        log.exception("could not deliver a session-ended e-mail")


ACCOUNT_EXISTS_SUBJECT = "You already have a BikeNode account"
ACCOUNT_EXISTS_BODY = """\
Someone, hopefully you, tried to create a BikeNode account for {email}, which already has
one. No new account was made and nothing about your account changed.

Sign in at {public_url}/signin
Forgot your password? Choose a new one at {public_url}/forgot-password

If it was not you, ignore this e-mail.
"""


def mail_account_exists(mail: MailSettings, public_url: str, email: str) -> None:
    """Tell an address that a sign-up was tried for it while it has an account; never raises."""
    body = ACCOUNT_EXISTS_BODY.format(email=email, public_url=public_url.rstrip("/"))
    try:
        send_mail(mail, to=email, subject=ACCOUNT_EXISTS_SUBJECT, body=body)
    except Exception:
        log.exception("could not deliver an account-exists e-mail")
