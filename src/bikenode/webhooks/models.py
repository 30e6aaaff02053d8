"""Tables owned by webhooks: subscriptions (secrets sealed) and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow

PENDING, DELIVERED, FAILED, GONE = "pending", "delivered", "failed", "gone"
WITHDRAWN = "withdrawn"  # an app's delivery whose rider revoked the grant before it went


class WebhookSubscription(Base):
    """Where a rider's events are POSTed, which types, and the secrets that sign them.

    With `app_id` it is an OAuth app's subscription (one per app), owned by the app's
    developer: it receives the events of every rider whose grant to the app covers them.
    """

    __tablename__ = "webhooks_subscriptions"
    __table_args__ = (
        Index("ix_webhooks_subscriptions_owner_id", "owner_id"),
        Index("ix_webhooks_subscriptions_app_id", "app_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    app_id: Mapped[uuid.UUID | None]  # apps' app id: an app subscription; None: the owner's
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # JSON [{"secret": "whsec_...", "expires_at": iso or null}], newest first; webhooks/sealing.py
    secrets_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(40))
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One event for one subscription; its id is the message's `webhook-id` (the same on
    every attempt and replay, so receivers can drop duplicates)."""

    __tablename__ = "webhooks_deliveries"
    __table_args__ = (
        Index(
            "ix_webhooks_deliveries_subscription_event", "subscription_id", "event_id", unique=True
        ),
        Index("ix_webhooks_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhooks_deliveries_object", "subscription_id", "object_id", "event_id"),
        Index("ix_webhooks_deliveries_rider_id", "rider_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_<32 hex>
    subscription_id: Mapped[uuid.UUID]
    event_id: Mapped[int] = mapped_column(BigInteger)  # the outbox event it carries
    rider_id: Mapped[uuid.UUID | None]  # whose data an app subscription's delivery carries
    # The scope the app must still hold when it goes (logic/payloads.py needed_scope).
    needs_scope: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))  # deliveries of one object go in order
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempt: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(Text)  # at most 2 kB
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
