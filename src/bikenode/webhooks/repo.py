"""Queries on webhooks' tables; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.webhooks.models import PENDING, WebhookDelivery, WebhookSubscription


def subscriptions_of(
    session: Session, owner_id: uuid.UUID, *, with_apps: bool = False
) -> Sequence[WebhookSubscription]:
    """The rider's own subscriptions (and, with_apps, those of the apps they develop)."""
    query = select(WebhookSubscription).where(WebhookSubscription.owner_id == owner_id)
    if not with_apps:
        query = query.where(WebhookSubscription.app_id.is_(None))
    order = (WebhookSubscription.created_at, WebhookSubscription.id)
    return session.scalars(query.order_by(*order)).all()


def owned_subscription(
    session: Session, owner_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    """The rider's own subscription (never an app's: those are managed under the app)."""
    return session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.owner_id == owner_id,
            WebhookSubscription.app_id.is_(None),
        )
    ).first()


def app_subscription(session: Session, app_id: uuid.UUID) -> WebhookSubscription | None:
    return session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.app_id == app_id)
    ).first()


def app_subscriptions_for(session: Session, kind: str) -> list[WebhookSubscription]:
    """The enabled app subscriptions to this event type (one per app: a short list)."""
    rows = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.app_id.is_not(None), WebhookSubscription.disabled_at.is_(None)
        )
    )
    return [row for row in rows if kind in row.event_types]


def delivery_exists(session: Session, subscription_id: uuid.UUID, event_id: int) -> bool:
    found = session.scalar(
        select(func.count()).where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.event_id == event_id,
        )
    )
    return bool(found)


def deliveries_of(
    session: Session, subscription_id: uuid.UUID, *, limit: int
) -> Sequence[WebhookDelivery]:
    return session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.event_id.desc())
        .limit(limit)
    ).all()


def pending_heads(
    session: Session, subscription_id: uuid.UUID, *, limit: int = 500
) -> list[WebhookDelivery]:
    """The first pending delivery of each object: a later delivery of the same object waits
    until the earlier one is delivered or has failed for good."""
    pending = session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.status == PENDING
        )
        .order_by(WebhookDelivery.event_id)
        .limit(limit)
    ).all()
    heads: dict[str, WebhookDelivery] = {}
    for delivery in pending:
        heads.setdefault(delivery.object_id, delivery)
    return list(heads.values())


def due_heads(
    session: Session, subscription_id: uuid.UUID, *, now: datetime
) -> list[WebhookDelivery]:
    """The pending heads (see pending_heads) that are due at `now`."""
    return [
        d
        for d in pending_heads(session, subscription_id)
        if d.next_attempt_at is not None and d.next_attempt_at <= now
    ]


def next_pending_at(session: Session, subscription_id: uuid.UUID) -> datetime | None:
    """When the subscription's next pending head falls due (None: nothing pending).

    Only heads count: a delivery queued behind a retrying one of its object carries an old
    due time but cannot go first, and a job woken for it would find nothing to send.
    """
    times = [d.next_attempt_at for d in pending_heads(session, subscription_id)]
    return min((t for t in times if t is not None), default=None)
