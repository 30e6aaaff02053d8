"""Password reset: a single-use link by e-mail (or from the CLI), then a new password.

Asking answers the same whether or not the account exists: the route only schedules
`deliver_password_reset`, which runs after the answer is sent, so neither the answer nor its
timing says anything. The token has 256 random bits, is stored as its SHA-256, works once and
for 30 minutes. Using it applies the password rules, asks for a second factor when the account
has MFA, ends every session and is audited.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bikenode.accounts import logic, repo, throttle_rules
from bikenode.accounts.mfa import check_second_factor
from bikenode.accounts.models import PasswordResetToken, User
from bikenode.accounts.service import AccountsConfig, check_password
from bikenode.audit import record_event
from bikenode.db.base import utcnow
from bikenode.errors import DomainError, NotAuthenticated, NotFound
from bikenode.mail import MailSettings, send_mail

log = logging.getLogger("bikenode.accounts.password_reset")
BAD_RESET_TOKEN = "this reset link is not valid: it works once, for 30 minutes; ask for a new one"  # noqa: S105 (a message)
MAIL_SUBJECT = "Reset your BikeNode password"
MAIL_BODY = """\
Someone, hopefully you, asked to reset the password of the BikeNode account {email}.

Open this link within 30 minutes to choose a new password (it works once):

{link}

If you did not ask, ignore this e-mail: your password stays as it is.
"""


@dataclass(frozen=True)
class ResetLink:
    """A new reset link for an account, to be delivered to its address (never logged)."""

    email: str
    link: str
    expires_at: datetime


def issue_reset_link(
    session: Session,
    *,
    public_url: str,
    email: str,
    client_ip: str | None,
    by_operator: bool = False,
) -> ResetLink | None:
    """A reset link for the account, or None if there is none (or it asked too often).

    An account gets at most MAX_RESET_MAILS_PER_HOUR links an hour (operators excepted),
    so nobody can flood a mailbox. Audited; commits.
    """
    try:
        user = repo.get_user_by_email(session, logic.normalise_email(email))
    except logic.PolicyError:
        user = None
    now = utcnow()
    flooded = (
        user is not None
        and not by_operator
        and _recent_links(session, user.id, now) >= logic.MAX_RESET_MAILS_PER_HOUR
    )
    if user is None or flooded:
        session.rollback()
        return None
    token = logic.new_reset_token()
    session.add(
        PasswordResetToken(
            token_hash=logic.hash_reset_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + logic.PASSWORD_RESET_TTL,
        )
    )
    record_event(
        session,
        event_type="auth.password_reset_requested",
        subject_id=user.id,
        client_ip=client_ip,
        details={"by": "operator" if by_operator else "e-mail"},
    )
    session.commit()
    return ResetLink(
        user.email, logic.reset_link(public_url, token), now + logic.PASSWORD_RESET_TTL
    )


def _recent_links(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                PasswordResetToken.user_id == user_id,
                PasswordResetToken.created_at > now - timedelta(hours=1),
            )
        )
        or 0
    )


def deliver_password_reset(
    session_factory: sessionmaker[Session],
    mail: MailSettings,
    *,
    public_url: str,
    email: str,
    client_ip: str | None,
) -> None:
    """Issue a link for the address (if it has an account) and mail it; never raises.

    Runs after the HTTP answer was sent. Failures are logged without the link.
    """
    try:
        with session_factory() as session:
            issued = issue_reset_link(
                session, public_url=public_url, email=email, client_ip=client_ip
            )
        if issued is None:
            return
        body = MAIL_BODY.format(email=issued.email, link=issued.link)
        send_mail(mail, to=issued.email, subject=MAIL_SUBJECT, body=body)
    except Exception:
        log.exception("could not deliver an account-recovery e-mail")


def reset_password(
    session: Session,
    config: AccountsConfig,
    *,
    token: str,
    new_password: str,
    code: str | None,
    client_ip: str | None,
) -> uuid.UUID:
    """Set a new password with a reset token (and a second factor if MFA is on); the user's id.

    The token is spent, every session of the account ends, sign-in delays for the account
    are cleared. DomainError (400) for a bad, used or expired token; InvalidInput for a
    password that breaks the rules; NotAuthenticated for a missing or wrong code.
    """
    now = utcnow()
    stored = session.get(PasswordResetToken, logic.hash_reset_token(token))
    if stored is None or stored.used_at is not None or stored.expires_at <= now:
        raise DomainError(BAD_RESET_TOKEN)
    user = session.get(User, stored.user_id)
    if user is None:
        raise DomainError(BAD_RESET_TOKEN)
    has_mfa = repo.has_confirmed_mfa(session, user.id)
    check_password(new_password, has_mfa=has_mfa)
    session.commit()  # end the read: hashing must not hold the database's write lock
    new_hash = config.hashing.hash(new_password)
    second_factor = None
    if has_mfa:
        if not code:
            raise NotAuthenticated(
                "this account has two-factor sign-in: send a code from your app, or a "
                "recovery code, with the new password"
            )
        second_factor = check_second_factor(
            session, user_id=user.id, code=code, client_ip=client_ip
        )
    if not _spend(session, stored.token_hash, now):
        raise DomainError(BAD_RESET_TOKEN)  # another request used it a moment ago
    user.password_hash = new_hash
    user.email_verified_at = user.email_verified_at or now  # the link reached this mailbox
    _end_everything(session, user, now)
    record_event(
        session,
        event_type="auth.password_reset",
        actor_id=user.id,
        subject_id=user.id,
        client_ip=client_ip,
        details={"second_factor": second_factor},
    )
    session.commit()
    return user.id


def _spend(session: Session, token_hash: str, now: datetime) -> bool:
    result = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.token_hash == token_hash, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _end_everything(session: Session, user: User, now: datetime) -> None:
    """End every session and spend every other reset link; forget sign-in failures."""
    repo.revoke_user_sessions(session, user.id, now)
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    repo.clear_throttles(
        session, list(throttle_rules.throttle_keys(email=user.email, client_ip=None))
    )


def operator_reset_link(session: Session, *, public_url: str, email: str) -> ResetLink:
    """A reset link made by the operator (`bikenode user reset-link`); NotFound if no account."""
    issued = issue_reset_link(
        session, public_url=public_url, email=email, client_ip=None, by_operator=True
    )
    if issued is None:
        raise NotFound(f"expected the e-mail address of an account, got {email!r}")
    return issued
