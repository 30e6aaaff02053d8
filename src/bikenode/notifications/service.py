"""Notifications: made from events, listed and read in the app, and the rider's choices."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bikenode import accounts, social
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.errors import InvalidInput, NotFound
from bikenode.notifications import repo, stream
from bikenode.notifications.addresses import endpoint_refusal
from bikenode.notifications.logic.catalogue import (
    CHANNELS,
    EMAIL,
    IN_APP,
    KINDS,
    PUSH,
    effective,
    render,
)
from bikenode.notifications.logic.digest import (
    DEFAULT_HOUR,
    DEFAULT_WEEKDAY,
    DIGEST_KINDS,
    OFF,
    PERIODS,
    UNSUBSCRIBE_DIGESTS,
    UNSUBSCRIBE_LABELS,
    BadSchedule,
    check_schedule,
    next_digest_at,
)
from bikenode.notifications.logic.push import (
    MAX_SUBSCRIPTIONS_PER_USER,
    BadSubscription,
    check_endpoint,
    check_keys,
)
from bikenode.notifications.logic.quiet import BadQuietHours, check_window, release_at
from bikenode.notifications.logic.tokens import BadToken, read_token
from bikenode.notifications.models import (
    DIGEST,
    PENDING,
    DigestChoice,
    DigestSchedule,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    PushSubscription,
    QuietHours,
)
from bikenode.notifications.registry import Intent

SEND_EMAIL_JOB = "notifications.send_email"
SEND_PUSH_JOB = "notifications.send_push"
SEND_DIGEST_JOB = "notifications.send_digest"
# A send job that raises (the database gone, not the SMTP server: that is retried by the
# delivery itself) is retried by the queue, up to 5 min apart: about 1.5 h before it stops.
SEND_JOB_ATTEMPTS = 25
# An event older than this when it reaches us (a back-fill of history, a long outage) is
# no longer news: nobody wants a month-old "chain is due" in their inbox.
STALE_AFTER = timedelta(days=7)
MAX_PAGE = 100
SEND_JOBS = {EMAIL: SEND_EMAIL_JOB, PUSH: SEND_PUSH_JOB}


def notify(
    session: Session,
    *,
    intent: Intent,
    event_id: int,
    event_type: str,
    occurred_at: datetime,
    now: datetime,
) -> Notification | None:
    """Store the notification and queue its e-mail, as the rider's choices say; never
    commits. None when nobody is told: recipient erased, every channel off, stale event,
    a block between recipient and actor, or already made for this event (a re-delivery)."""
    if now - occurred_at > STALE_AFTER:
        return None
    contact = accounts.get_contact(session, intent.recipient_id)
    if contact is None:  # erased, or never existed: nobody to tell
        return None
    if repo.notification_exists(session, intent.recipient_id, event_id, intent.kind):
        return None
    if intent.actor_id is not None and social.blocked_either_way(
        session, user_id=intent.recipient_id, other_id=intent.actor_id
    ):
        return None
    chosen = repo.choices_of(session, intent.recipient_id)
    in_app = effective(intent.kind, IN_APP, chosen)
    email = effective(intent.kind, EMAIL, chosen)
    push = effective(intent.kind, PUSH, chosen) and repo.has_push(session, intent.recipient_id)
    # A digest chosen for the type is its e-mail: gathered, instead of one mail each.
    period = repo.digest_periods(session, intent.recipient_id).get(intent.kind)
    if not (in_app or email or push or period):
        return None
    shown = render(intent.kind, intent.params)
    row = Notification(
        id=uuid.uuid4(),
        user_id=intent.recipient_id,
        event_id=event_id,
        event_type=event_type,
        type=intent.kind,
        params=intent.params,
        title=shown.title,
        text=shown.text,
        link=shown.link,
        in_app=in_app,
        created_at=now,
    )
    session.add(row)
    if in_app:
        stream.remember_new(session, intent.recipient_id, row.id)
    if period is not None:
        _hold_for_digest(session, row, period, timezone=contact.timezone, now=now)
        email = False
    for channel in [c for c, on in ((EMAIL, email), (PUSH, push)) if on]:
        _queue_delivery(session, row, channel, timezone=contact.timezone, now=now)
    return row


def _pending_delivery(
    row: Notification, channel: str, *, due: datetime, now: datetime
) -> NotificationDelivery:
    return NotificationDelivery(
        id=uuid.uuid4(),
        notification_id=row.id,
        user_id=row.user_id,
        channel=channel,
        state=PENDING,
        attempts=0,
        next_try_at=due,
        created_at=now,
    )


def _hold_for_digest(
    session: Session, row: Notification, period: str, *, timezone: str, now: datetime
) -> None:
    """A delivery that waits for the rider's next digest, and that digest's one job."""
    schedule = repo.digest_schedule_of(session, row.user_id)
    hour, weekday = (
        (schedule.hour, schedule.weekday) if schedule else (DEFAULT_HOUR, DEFAULT_WEEKDAY)
    )
    due = next_digest_at(now, period=period, timezone=timezone, hour=hour, weekday=weekday)
    first = not repo.digest_waiting_at(session, row.user_id, due)
    session.add(_pending_delivery(row, DIGEST, due=due, now=now))
    if first:  # later ones join it: the job sends whatever is due for the rider
        payload = {"user_id": str(row.user_id)}
        job = enqueue(session, SEND_DIGEST_JOB, payload, max_attempts=SEND_JOB_ATTEMPTS)
        job.run_after = due


def _queue_delivery(
    session: Session, row: Notification, channel: str, *, timezone: str, now: datetime
) -> None:
    """A pending delivery on the channel, held until the rider's quiet hours end, and its
    job."""
    quiet = repo.quiet_hours_of(session, row.user_id)
    due = now
    if quiet is not None:
        due = release_at(now, timezone=timezone, start_min=quiet.start_min, end_min=quiet.end_min)
    delivery = _pending_delivery(row, channel, due=due, now=now)
    session.add(delivery)
    payload = {"delivery_id": str(delivery.id)}
    job = enqueue(session, SEND_JOBS[channel], payload, max_attempts=SEND_JOB_ATTEMPTS)
    job.run_after = due


@dataclass(frozen=True)
class Page:
    items: Sequence[Notification]
    next_cursor: str | None
    unread: int


def list_notifications(
    session: Session, *, user_id: uuid.UUID, limit: int, cursor: str | None
) -> Page:
    """A page of the rider's in-app notifications, newest first, and the unread count."""
    rows = repo.page_of(session, user_id, before=_read_cursor(cursor), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    following = _cursor(rows[-1]) if more and rows else None
    return Page(rows, following, repo.unread_count(session, user_id))


def unread_count(session: Session, *, user_id: uuid.UUID) -> int:
    """How many in-app notifications the rider has not read."""
    return repo.unread_count(session, user_id)


def live_update(
    session: Session, *, user_id: uuid.UUID, notification_id: uuid.UUID | None
) -> tuple[Notification | None, int]:
    """What a live stream sends: the rider's notification (None if asked none, or not
    theirs, or deleted since) and their unread count."""
    row = repo.owned(session, user_id, notification_id) if notification_id else None
    return (row if row is not None and row.in_app else None), repo.unread_count(session, user_id)


def get_notification(
    session: Session, *, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    """One of the rider's notifications; NotFound for anyone else's, as for a missing one."""
    row = repo.owned(session, user_id, notification_id)
    if row is None:
        raise NotFound("no such notification")
    return row


def mark_read(session: Session, *, notification: Notification) -> Notification:
    """The notification, marked read (a second call keeps the first time)."""
    notification.read_at = notification.read_at or utcnow()
    session.commit()
    return notification


def mark_all_read(session: Session, *, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the rider read; how many were."""
    count = repo.mark_all_read(session, user_id, utcnow())
    session.commit()
    return count


@dataclass(frozen=True)
class Choice:
    kind: str
    channel: str
    enabled: bool


@dataclass(frozen=True)
class Preferences:
    """Each type's setting per channel (choice or default), the quiet hours, and the digest
    period of each type that may have one, with the digests' hour and weekday."""

    channels: dict[str, dict[str, bool]]
    quiet_hours: tuple[int, int] | None
    digests: dict[str, str]
    digest_schedule: tuple[int, int]


def get_preferences(session: Session, *, user_id: uuid.UUID) -> Preferences:
    """The rider's settings for every type and channel, defaults filled in."""
    chosen = repo.choices_of(session, user_id)
    channels = {k: {c: effective(k, c, chosen) for c in CHANNELS} for k in KINDS}
    quiet = repo.quiet_hours_of(session, user_id)
    periods = repo.digest_periods(session, user_id)
    schedule = repo.digest_schedule_of(session, user_id)
    return Preferences(
        channels,
        (quiet.start_min, quiet.end_min) if quiet else None,
        {kind: periods.get(kind, OFF) for kind in DIGEST_KINDS},
        (schedule.hour, schedule.weekday) if schedule else (DEFAULT_HOUR, DEFAULT_WEEKDAY),
    )


def set_preferences(
    session: Session,
    *,
    user_id: uuid.UUID,
    choices: Sequence[Choice],
    quiet_hours: tuple[int, int] | None,
    clear_quiet_hours: bool,
    digests: Sequence[tuple[str, str]] = (),
    digest_schedule: tuple[int, int] | None = None,
) -> Preferences:
    """Record the rider's choices (and quiet hours, or none; digests per type and their
    hour and weekday) and return the settings."""
    for choice in choices:
        if choice.kind not in KINDS or choice.channel not in CHANNELS:
            raise InvalidInput(
                f"expected a type among {sorted(KINDS)} and a channel among {list(CHANNELS)},"
                f" got {choice.kind!r} on {choice.channel!r}"
            )
        _choose(session, user_id, choice.kind, choice.channel, choice.enabled)
    if quiet_hours is not None:
        try:
            check_window(*quiet_hours)
        except BadQuietHours as error:
            raise InvalidInput(str(error)) from None
        _quiet(session, user_id, *quiet_hours)
    elif clear_quiet_hours:
        row = repo.quiet_hours_of(session, user_id)
        if row is not None:
            session.delete(row)
    for kind, period in digests:
        _digest(session, user_id, kind, period)
    if digest_schedule is not None:
        _digest_schedule(session, user_id, *digest_schedule)
    session.commit()
    return get_preferences(session, user_id=user_id)


def _choose(session: Session, user_id: uuid.UUID, kind: str, channel: str, on: bool) -> None:
    row = session.get(NotificationPreference, (user_id, kind, channel))
    if row is None:
        session.add(NotificationPreference(user_id=user_id, type=kind, channel=channel, enabled=on))
    else:
        row.enabled = on


def _digest(session: Session, user_id: uuid.UUID, kind: str, period: str) -> None:
    if kind not in DIGEST_KINDS or period not in PERIODS:
        raise InvalidInput(
            f"expected a digest for a type among {list(DIGEST_KINDS)} with a period among"
            f" {list(PERIODS)}, got {kind!r} {period!r}"
        )
    row = session.get(DigestChoice, (user_id, kind))
    if period == OFF:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(DigestChoice(user_id=user_id, type=kind, period=period))
    else:
        row.period = period


def _digest_schedule(session: Session, user_id: uuid.UUID, hour: int, weekday: int) -> None:
    try:
        check_schedule(hour, weekday)
    except BadSchedule as error:
        raise InvalidInput(str(error)) from None
    row = repo.digest_schedule_of(session, user_id)
    if row is None:
        session.add(DigestSchedule(user_id=user_id, hour=hour, weekday=weekday))
    else:
        row.hour, row.weekday = hour, weekday


def _quiet(session: Session, user_id: uuid.UUID, start_min: int, end_min: int) -> None:
    row = repo.quiet_hours_of(session, user_id)
    if row is None:
        session.add(QuietHours(user_id=user_id, start_min=start_min, end_min=end_min))
    else:
        row.start_min, row.end_min = start_min, end_min


def subscribe_push(
    session: Session,
    *,
    user_id: uuid.UUID,
    endpoint: str,
    p256dh: str,
    auth: str,
    allowed: frozenset[str] = frozenset(),
) -> PushSubscription:
    """Keep a browser's push subscription for the rider; a browser's endpoint already kept
    (for them, or for whoever signed in on it before) now names this rider and these keys.
    InvalidInput for a bad endpoint or key, an endpoint at a non-public address (unless its
    host is `allowed`), or past the per-rider limit."""
    try:
        check_endpoint(endpoint)
        check_keys(p256dh, auth)
    except BadSubscription as error:
        raise InvalidInput(str(error)) from None
    refusal = endpoint_refusal(endpoint, allowed=allowed, resolve=False)
    if refusal is not None:
        raise InvalidInput(refusal)
    row = repo.push_by_endpoint(session, endpoint)
    if row is None and repo.push_count(session, user_id) >= MAX_SUBSCRIPTIONS_PER_USER:
        raise InvalidInput(
            f"expected at most {MAX_SUBSCRIPTIONS_PER_USER} push subscriptions: remove one first"
        )
    if row is None:
        row = PushSubscription(id=uuid.uuid4(), user_id=user_id, endpoint=endpoint)
        session.add(row)
    row.user_id, row.p256dh, row.auth, row.created_at = user_id, p256dh, auth, utcnow()
    session.commit()
    return row


def unsubscribe_push(session: Session, *, user_id: uuid.UUID, endpoint: str) -> None:
    """Forget the rider's subscription at that endpoint; NotFound if they have none there."""
    row = repo.push_by_endpoint(session, endpoint)
    if row is None or row.user_id != user_id:
        raise NotFound("no push subscription of yours has that endpoint")
    session.delete(row)
    session.commit()


def check_unsubscribe(secret: str, token: str) -> tuple[uuid.UUID, str]:
    """The user and type a signed unsubscribe token names; InvalidInput otherwise."""
    try:
        unsubscribe = read_token(secret, token)
    except BadToken as error:
        raise InvalidInput(
            f"expected an unsubscribe link from one of our e-mails: {error}"
        ) from None
    if unsubscribe.kind not in KINDS and unsubscribe.kind not in UNSUBSCRIBE_DIGESTS:
        raise InvalidInput(f"expected a notification type among {sorted(KINDS)}")
    return unsubscribe.user_id, unsubscribe.kind


def unsubscribe_label(kind: str) -> str:
    """How an unsubscribe token's type (or digest) is shown to the person."""
    return UNSUBSCRIBE_LABELS.get(kind) or KINDS[kind].label


def unsubscribe(session: Session, *, secret: str, token: str) -> str:
    """Switch off e-mail of the token's type for its user, or the digest it names (its
    types are then neither gathered nor mailed one by one); done twice: still off. Returns
    the type. An erased user's token changes nothing."""
    user_id, kind = check_unsubscribe(secret, token)
    if accounts.get_contact(session, user_id) is None:
        pass
    elif kind in UNSUBSCRIBE_DIGESTS:
        stopped = UNSUBSCRIBE_DIGESTS[kind]
        for gathered, period in repo.digest_periods(session, user_id).items():
            if period in stopped:
                _digest(session, user_id, gathered, OFF)
                _choose(session, user_id, gathered, EMAIL, False)
    else:
        _choose(session, user_id, kind, EMAIL, False)
    session.commit()
    return kind


def _cursor(row: Notification) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _read_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        at, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("expected a cursor from a previous page") from None
