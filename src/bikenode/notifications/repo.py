"""Queries on notifications' tables; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

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


def choices_of(session: Session, user_id: uuid.UUID) -> dict[tuple[str, str], bool]:
    """The rider's explicit choices, (type, channel) -> on."""
    rows = session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    )
    return {(r.type, r.channel): r.enabled for r in rows}


def preference_rows(session: Session, user_id: uuid.UUID) -> Sequence[NotificationPreference]:
    return session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    ).all()


def quiet_hours_of(session: Session, user_id: uuid.UUID) -> QuietHours | None:
    return session.get(QuietHours, user_id)


def notification_exists(session: Session, user_id: uuid.UUID, event_id: int, kind: str) -> bool:
    found = session.scalar(
        select(func.count()).where(
            Notification.user_id == user_id,
            Notification.event_id == event_id,
            Notification.type == kind,
        )
    )
    return bool(found)


def page_of(
    session: Session, user_id: uuid.UUID, *, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[Notification]:
    """The rider's in-app notifications, newest first, after a (created_at, id) cursor."""
    query = select(Notification).where(Notification.user_id == user_id, Notification.in_app)
    if before is not None:
        at, last_id = before
        query = query.where(
            (Notification.created_at < at)
            | ((Notification.created_at == at) & (Notification.id < last_id))
        )
    order = (Notification.created_at.desc(), Notification.id.desc())
    return session.scalars(query.order_by(*order).limit(limit)).all()


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Notification.user_id == user_id, Notification.in_app, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def owned(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
    return session.scalars(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    ).first()


def mark_all_read(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    done = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def deliveries_of_user(session: Session, user_id: uuid.UUID) -> Sequence[NotificationDelivery]:
    return session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.user_id == user_id)
        .order_by(NotificationDelivery.created_at)
    ).all()


def all_of_user(session: Session, user_id: uuid.UUID) -> Sequence[Notification]:
    return session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at, Notification.id)
    ).all()


def has_push(session: Session, user_id: uuid.UUID) -> bool:
    return push_count(session, user_id) > 0


def push_count(session: Session, user_id: uuid.UUID) -> int:
    query = select(func.count()).where(PushSubscription.user_id == user_id)
    return session.scalar(query) or 0


def push_by_endpoint(session: Session, endpoint: str) -> PushSubscription | None:
    query = select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    return session.scalars(query).first()


def pushes_of_user(session: Session, user_id: uuid.UUID) -> Sequence[PushSubscription]:
    """The rider's push subscriptions, oldest first."""
    return session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.created_at, PushSubscription.id)
    ).all()


def delivery(session: Session, delivery_id: uuid.UUID) -> NotificationDelivery | None:
    return session.get(NotificationDelivery, delivery_id)


def digest_periods(session: Session, user_id: uuid.UUID) -> dict[str, str]:
    """The rider's digest choices, type -> period."""
    rows = session.scalars(select(DigestChoice).where(DigestChoice.user_id == user_id))
    return {r.type: r.period for r in rows}


def digest_choice_rows(session: Session, user_id: uuid.UUID) -> Sequence[DigestChoice]:
    return session.scalars(
        select(DigestChoice).where(DigestChoice.user_id == user_id).order_by(DigestChoice.type)
    ).all()


def digest_schedule_of(session: Session, user_id: uuid.UUID) -> DigestSchedule | None:
    return session.get(DigestSchedule, user_id)


def digest_waiting_at(session: Session, user_id: uuid.UUID, due: datetime) -> bool:
    """Whether a digest delivery of the rider already waits for that time (and its job)."""
    query = select(func.count()).where(
        NotificationDelivery.user_id == user_id,
        NotificationDelivery.channel == DIGEST,
        NotificationDelivery.state == PENDING,
        NotificationDelivery.next_try_at == due,
    )
    return bool(session.scalar(query))


def claim_digest(session: Session, user_id: uuid.UUID, now: datetime, until: datetime) -> int:
    """Mark the rider's due digest deliveries taken until `until`; how many were."""
    done = session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.user_id == user_id,
            NotificationDelivery.channel == DIGEST,
            NotificationDelivery.state == PENDING,
            NotificationDelivery.next_try_at <= now,
        )
        .values(next_try_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def digest_claimed(
    session: Session, user_id: uuid.UUID, until: datetime
) -> Sequence[NotificationDelivery]:
    """The digest deliveries claim_digest took, oldest first."""
    return session.scalars(
        select(NotificationDelivery)
        .where(
            NotificationDelivery.user_id == user_id,
            NotificationDelivery.channel == DIGEST,
            NotificationDelivery.state == PENDING,
            NotificationDelivery.next_try_at == until,
        )
        .order_by(NotificationDelivery.created_at, NotificationDelivery.id)
    ).all()
