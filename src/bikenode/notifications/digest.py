"""Sending a rider's digest: the deliveries held for it (channel `digest`) that are due, as
one e-mail. Claimed together (their due time pushed ahead, so no other worker takes them),
each checked again as a single e-mail would be (erased rider, digest switched off, object
no longer visible: skipped), sent outside any transaction, then recorded together: sent, or
retried with the e-mail backoff by a digest job queued for that time."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bikenode import accounts
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.notifications import registry, repo
from bikenode.notifications.delivery import (
    CLAIM,
    MailContext,
    Outgoing,
    send_message,
    skip,
    unsubscribe_urls,
)
from bikenode.notifications.logic.catalogue import KINDS, Rendered
from bikenode.notifications.logic.digest import DAILY, WEEKLY, digest_body, digest_token_kind
from bikenode.notifications.logic.mail_text import digest_mail_body
from bikenode.notifications.logic.schedule import next_try_at, retry_delay_s
from bikenode.notifications.models import FAILED, SENT, Notification, NotificationDelivery
from bikenode.notifications.service import SEND_DIGEST_JOB, SEND_JOB_ATTEMPTS

Clock = Callable[[], datetime]


def send_digest(
    sessions: sessionmaker[Session],
    *,
    user_id: uuid.UUID,
    context: MailContext,
    now: Clock = utcnow,
) -> int:
    """Send the rider's due digest, if any; how many notifications it carried (0: none)."""
    moment = now()
    until = moment + CLAIM
    with sessions() as session:
        taken = repo.claim_digest(session, user_id, moment, until)
        session.commit()
        if taken == 0:
            return 0
        outgoing, ids = _prepare(session, user_id, until, context)
        session.commit()
    if outgoing is None:
        return 0
    error = send_message(context.mail, outgoing)
    with sessions() as session:
        _record(session, ids, error, now())
        session.commit()
    return 0 if error else len(ids)


def _prepare(
    session: Session, user_id: uuid.UUID, until: datetime, context: MailContext
) -> tuple[Outgoing | None, list[uuid.UUID]]:
    contact = accounts.get_contact(session, user_id)
    periods = repo.digest_periods(session, user_id)
    kept: list[tuple[NotificationDelivery, Notification]] = []
    for delivery in repo.digest_claimed(session, user_id, until):
        notification = session.get(Notification, delivery.notification_id)
        reason = _why_not(session, notification, delivery, contact, periods)
        if reason is not None or notification is None:
            skip(delivery, reason)
        else:
            kept.append((delivery, notification))
    if not kept or contact is None:
        return None, []
    carried = {periods[n.type] for _, n in kept}
    message = _message(context, [n for _, n in kept], carried, contact.email)
    return message, [d.id for d, _ in kept]


def _why_not(
    session: Session,
    notification: Notification | None,
    delivery: NotificationDelivery,
    contact: accounts.Contact | None,
    periods: dict[str, str],
) -> str | None:
    if notification is None:
        return "the notification was deleted"
    if contact is None:
        return "the recipient's account was erased"
    if notification.type not in KINDS:
        return f"the type {notification.type!r} is no longer sent"
    if notification.type not in periods:
        return "the recipient switched this type's digest off"
    intent = registry.Intent(delivery.user_id, notification.type, dict(notification.params))
    if not registry.may_see(session, notification.event_type, intent):
        return "the recipient may no longer see what it is about"
    return None


def _message(
    context: MailContext, notifications: Sequence[Notification], periods: set[str], to: str
) -> Outgoing:
    shown = [Rendered(n.title, n.text, n.link) for n in notifications]
    subject, listed = digest_body(shown, period=WEEKLY if WEEKLY in periods else DAILY)
    user_id = notifications[0].user_id
    page, one_click = unsubscribe_urls(context, user_id=user_id, kind=digest_token_kind(periods))
    body = digest_mail_body(
        listed,
        subject=subject,
        total=len(shown),
        public_url=context.public_url,
        unsubscribe_url=page,
    )
    # One id per digest: the first notification's, so a resend after a crash is the same mail.
    headers = {
        "Message-ID": f"<digest-{notifications[0].id.hex}@bikenode.invalid>",
        "List-Unsubscribe": f"<{one_click}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        "Auto-Submitted": "auto-generated",
    }
    return Outgoing(to, body.subject, body.text, body.html, headers)


def _first_try_at(moment: datetime, failures: int) -> datetime:
    """About when the digest was first tried: its notifications were made days before it
    was due, so their age says nothing; the backoff waits since then do (jitter aside)."""
    waited = sum(retry_delay_s(k) for k in range(1, failures))
    return moment - timedelta(seconds=waited)


def _record(session: Session, ids: list[uuid.UUID], error: str | None, moment: datetime) -> None:
    rows = [d for d in (session.get(NotificationDelivery, i) for i in ids) if d is not None]
    if not rows:
        return
    retry = None
    if error is not None:
        failures = max(d.attempts for d in rows) + 1
        retry = next_try_at(failures, now=moment, first_at=_first_try_at(moment, failures))
    for delivery in rows:
        delivery.attempts += 1
        delivery.last_error = error
        if error is None:
            delivery.state, delivery.sent_at, delivery.next_try_at = SENT, moment, None
        elif retry is None:
            delivery.state, delivery.next_try_at = FAILED, None
        else:
            delivery.next_try_at = retry
    if retry is not None:
        job = enqueue(
            session,
            SEND_DIGEST_JOB,
            {"user_id": str(rows[0].user_id)},
            max_attempts=SEND_JOB_ATTEMPTS,
        )
        job.run_after = retry
