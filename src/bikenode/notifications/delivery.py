"""Sending a notification's e-mail: check, claim, send (outside any transaction), record.
The claim and the record are shared with web push (push.py).

At delivery time the recipient is checked again: an erased rider, a type switched off
since, or an object the recipient may no longer see ends the delivery as `skipped`. A
failed send is tried again later (logic/schedule.py) by a job queued for that time, so a
failing SMTP server delays mail and never loses it. Each message carries a Message-ID made
from the delivery's id: if a worker dies after the server took a message but before the
outcome was recorded, the one resend has the same id, which mail systems deduplicate.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bikenode import accounts
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.mail import MailSettings, send_mail
from bikenode.notifications import registry, repo
from bikenode.notifications.logic.catalogue import KINDS, Rendered, effective
from bikenode.notifications.logic.mail_text import mail_body
from bikenode.notifications.logic.quiet import release_at
from bikenode.notifications.logic.schedule import next_try_at
from bikenode.notifications.logic.tokens import make_token
from bikenode.notifications.models import (
    FAILED,
    PENDING,
    SENT,
    SKIPPED,
    Notification,
    NotificationDelivery,
)
from bikenode.notifications.service import SEND_JOB_ATTEMPTS, SEND_JOBS

CLAIM = timedelta(seconds=120)  # longer than one SMTP exchange (mail.SMTP_TIMEOUT_S x 2)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class MailContext:
    """What an e-mail needs besides the notification: the server, the links' base, the key."""

    mail: MailSettings
    public_url: str
    secret: str


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def unsubscribe_urls(context: MailContext, *, user_id: uuid.UUID, kind: str) -> tuple[str, str]:
    """The links that switch this type's e-mail off for the user: the page a person opens
    (its button POSTs; a GET changes nothing, as mail scanners open links) and the API
    address mail clients POST to for RFC 8058 one-click unsubscribe."""
    token = quote(make_token(context.secret, user_id=user_id, kind=kind))
    base = context.public_url.rstrip("/")
    return (
        f"{base}/unsubscribe?token={token}",
        f"{base}/api/v1/notifications/unsubscribe?token={token}",
    )


def send_email(
    sessions: sessionmaker[Session],
    *,
    delivery_id: uuid.UUID,
    context: MailContext,
    now: Clock = utcnow,
) -> str:
    """Try the delivery if it is due; returns its state afterwards."""
    with sessions() as session:
        outgoing, state = _prepare(session, delivery_id, context, now())
        session.commit()
    if outgoing is None:
        return state
    error = send_message(context.mail, outgoing)
    with sessions() as session:
        state = record_attempt(session, delivery_id, error, now())
        session.commit()
    return state


@dataclass(frozen=True)
class Claimed:
    """A due delivery this worker now holds, with what it is about and for whom."""

    delivery: NotificationDelivery
    notification: Notification
    contact: accounts.Contact


def claim_due(session: Session, delivery_id: uuid.UUID, moment: datetime) -> Claimed | str:
    """The delivery, claimed for this worker, if it is due and still wanted; else its
    state (and it is skipped when its recipient, type or object no longer allow it)."""
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None or delivery.state != PENDING or delivery.next_try_at is None:
        return delivery.state if delivery else "missing"
    if delivery.next_try_at > moment:  # claimed by another worker, or held: look again then
        _queue(session, delivery, delivery.next_try_at)
        return PENDING
    notification = session.get(Notification, delivery.notification_id)
    contact = accounts.get_contact(session, delivery.user_id)
    reason = _why_not(session, notification, delivery, contact)
    if notification is None or contact is None or reason is not None:
        skip(delivery, reason)
        return SKIPPED
    if not _claim(session, delivery, moment):  # another worker sends it, and records that
        return PENDING
    return Claimed(delivery, notification, contact)


def skip(delivery: NotificationDelivery, reason: str | None) -> None:
    """End the delivery unsent, saying why."""
    delivery.state, delivery.last_error, delivery.next_try_at = SKIPPED, reason, None


def _prepare(
    session: Session, delivery_id: uuid.UUID, context: MailContext, moment: datetime
) -> tuple[Outgoing | None, str]:
    """The message to send, with the delivery claimed; or None and why not."""
    claimed = claim_due(session, delivery_id, moment)
    if isinstance(claimed, str):
        return None, claimed
    message = _message(context, claimed.notification, claimed.delivery, claimed.contact.email)
    return message, PENDING


def _why_not(
    session: Session,
    notification: Notification | None,
    delivery: NotificationDelivery,
    contact: accounts.Contact | None,
) -> str | None:
    if notification is None:
        return "the notification was deleted"
    if contact is None:
        return "the recipient's account was erased"
    if notification.type not in KINDS:
        return f"the type {notification.type!r} is no longer sent"
    if not effective(
        notification.type, delivery.channel, repo.choices_of(session, delivery.user_id)
    ):
        return f"the recipient switched this type's {delivery.channel} off"
    intent = registry.Intent(delivery.user_id, notification.type, dict(notification.params))
    if not registry.may_see(session, notification.event_type, intent):
        return "the recipient may no longer see what it is about"
    return None


def _claim(session: Session, delivery: NotificationDelivery, moment: datetime) -> bool:
    """Push the due time ahead so no other worker sends it meanwhile; commits."""
    claimed = session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.id == delivery.id,
            NotificationDelivery.state == PENDING,
            NotificationDelivery.next_try_at == delivery.next_try_at,
        )
        .values(next_try_at=moment + CLAIM)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return claimed.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _message(
    context: MailContext, notification: Notification, delivery: NotificationDelivery, to: str
) -> Outgoing:
    page, one_click = unsubscribe_urls(context, user_id=delivery.user_id, kind=notification.type)
    body = mail_body(
        Rendered(notification.title, notification.text, notification.link),
        label=KINDS[notification.type].label,
        public_url=context.public_url,
        unsubscribe_url=page,
    )
    headers = {
        "Message-ID": f"<notification-{delivery.id.hex}@bikenode.invalid>",
        "List-Unsubscribe": f"<{one_click}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        "Auto-Submitted": "auto-generated",
    }
    return Outgoing(to, body.subject, body.text, body.html, headers)


def send_message(mail: MailSettings, outgoing: Outgoing) -> str | None:
    """Hand the message to the SMTP server; None once it took it, else what went wrong."""
    try:
        send_mail(
            mail,
            to=outgoing.to,
            subject=outgoing.subject,
            body=outgoing.text,
            html=outgoing.html,
            headers=outgoing.headers,
        )
    except (OSError, smtplib.SMTPException) as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None


def record_attempt(
    session: Session, delivery_id: uuid.UUID, error: str | None, moment: datetime
) -> str:
    """Count an attempt: sent without an error, else retried later or, past the last
    retry, failed; returns the new state."""
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        return "missing"
    delivery.attempts += 1
    delivery.last_error = error
    if error is None:
        delivery.state, delivery.sent_at, delivery.next_try_at = SENT, moment, None
        return SENT
    retry = next_try_at(delivery.attempts, now=moment, first_at=delivery.created_at)
    if retry is None:
        delivery.state, delivery.next_try_at = FAILED, None
        return FAILED
    delivery.next_try_at = _held(session, delivery.user_id, retry)
    _queue(session, delivery, delivery.next_try_at)
    return PENDING


def _held(session: Session, user_id: uuid.UUID, moment: datetime) -> datetime:
    """A retry that would fall in quiet hours waits for their end too."""
    quiet = repo.quiet_hours_of(session, user_id)
    contact = accounts.get_contact(session, user_id)
    if quiet is None or contact is None:
        return moment
    return release_at(
        moment, timezone=contact.timezone, start_min=quiet.start_min, end_min=quiet.end_min
    )


def _queue(session: Session, delivery: NotificationDelivery, at: datetime) -> None:
    payload = {"delivery_id": str(delivery.id)}
    job = enqueue(session, SEND_JOBS[delivery.channel], payload, max_attempts=SEND_JOB_ATTEMPTS)
    job.run_after = at
