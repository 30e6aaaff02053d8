"""Tables owned by notifications: notifications, preferences, quiet hours, delivery log,
web push subscriptions, digest choices and schedules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow

PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
DIGEST = "digest"  # a delivery's channel when it waits for the rider's digest e-mail


class Notification(Base):
    """Something a rider should hear about. Title and text are rendered from the type and
    ids only (notifications/logic/render.py), never from another object's content."""

    __tablename__ = "notifications_notifications"
    __table_args__ = (
        Index("ix_notifications_notifications_user_created", "user_id", "created_at"),
        # One notification per event, type and person: a re-delivered event adds nothing.
        Index("ix_notifications_notifications_event", "user_id", "event_id", "type", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]  # the recipient; no foreign key across domains
    event_id: Mapped[int] = mapped_column(BigInteger)  # the outbox event it came from
    event_type: Mapped[str] = mapped_column(String(64))  # its registry route (registry.py)
    type: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # ids and enum values only
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str] = mapped_column(String(500))
    in_app: Mapped[bool] = mapped_column(default=True)  # shown in the app's list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A rider's choice for one type on one channel; absent rows take the type's default."""

    __tablename__ = "notifications_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class QuietHours(Base):
    """When e-mail waits: minutes after local midnight in the rider's timezone."""

    __tablename__ = "notifications_quiet_hours"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    start_min: Mapped[int]
    end_min: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotificationDelivery(Base):
    """One notification on one outgoing channel (e-mail, push): its state and retries."""

    __tablename__ = "notifications_deliveries"
    __table_args__ = (
        Index(
            "ix_notifications_deliveries_notification_channel",
            "notification_id",
            "channel",
            unique=True,
        ),
        Index("ix_notifications_deliveries_due", "state", "next_try_at"),
        Index("ix_notifications_deliveries_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    notification_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]  # the recipient, so erasure and export need no join
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # Push only: ids (hex) of the subscriptions that took it, so a retry skips them.
    sent_to: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PushSubscription(Base):
    """One browser's push endpoint for a rider (RFC 8030) and the keys its messages are
    encrypted to (RFC 8291). The endpoint is a capability URL: whoever holds it can push."""

    __tablename__ = "notifications_push_subscriptions"
    __table_args__ = (
        # A browser has one endpoint; the rider who last subscribed on it receives.
        Index("ix_notifications_push_subscriptions_endpoint", "endpoint", unique=True),
        Index("ix_notifications_push_subscriptions_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    endpoint: Mapped[str] = mapped_column(String(1000))
    p256dh: Mapped[str] = mapped_column(String(100))  # the browser's P-256 key, base64url
    auth: Mapped[str] = mapped_column(String(32))  # its 16-byte auth secret, base64url
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestChoice(Base):
    """A chatty type the rider gathers into a daily or weekly e-mail instead of one each."""

    __tablename__ = "notifications_digest_choices"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(16))  # daily | weekly
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DigestSchedule(Base):
    """When the rider's digests go out, in their timezone; absent: the default hour."""

    __tablename__ = "notifications_digest_schedules"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hour: Mapped[int]  # 0-23, local
    weekday: Mapped[int]  # 0 Monday .. 6 Sunday, for weekly digests
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
