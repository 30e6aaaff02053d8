"""Webhook subscriptions and their delivery log: the rider's use cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bikenode.apps import owns_app
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.webhooks import repo
from bikenode.webhooks.logic.signing import new_secret
from bikenode.webhooks.models import PENDING, WebhookDelivery, WebhookSubscription
from bikenode.webhooks.sealing import SigningSecret, open_secrets, seal_secrets
from bikenode.webhooks.transport import check_url

DELIVER_JOB = "webhooks.deliver"
EVENT_TYPES = ("ride.created", "ride.updated", "ride.deleted")
ROTATION_OVERLAP = timedelta(hours=24)
MAX_SUBSCRIPTIONS = 20


@dataclass(frozen=True)
class NewSecret:
    """A subscription and its new secret, shown to the owner this once."""

    subscription: WebhookSubscription
    secret: str


def create_webhook(
    session: Session,
    *,
    owner_id: uuid.UUID,
    url: str,
    event_types: Sequence[str],
    allowed: frozenset[str],
) -> NewSecret:
    """A new subscription with a fresh secret; the URL must lead to a public address."""
    check_url(url, allowed=allowed)
    if len(repo.subscriptions_of(session, owner_id)) >= MAX_SUBSCRIPTIONS:
        raise InvalidInput(f"expected at most {MAX_SUBSCRIPTIONS} webhooks, you have that many")
    row = WebhookSubscription(
        id=uuid.uuid4(), owner_id=owner_id, url=url, event_types=_types(event_types)
    )
    secret = new_secret()
    seal_secrets(row, [SigningSecret(secret, None)])
    session.add(row)
    session.commit()
    return NewSecret(row, secret)


def create_app_webhook(
    session: Session,
    *,
    owner_id: uuid.UUID,
    app_id: uuid.UUID,
    url: str,
    event_types: Sequence[str],
    allowed: frozenset[str],
) -> NewSecret:
    """The app's subscription (one per app) with a fresh secret, made by its developer;
    Conflict when the app has one already."""
    check_url(url, allowed=allowed)
    if repo.app_subscription(session, app_id) is not None:
        raise Conflict("the app has a webhook already; delete it or change its URL")
    row = WebhookSubscription(
        id=uuid.uuid4(), owner_id=owner_id, app_id=app_id, url=url, event_types=_types(event_types)
    )
    secret = new_secret()
    seal_secrets(row, [SigningSecret(secret, None)])
    session.add(row)
    session.commit()
    return NewSecret(row, secret)


def get_app_webhook(
    session: Session, *, owner_id: uuid.UUID, app_id: uuid.UUID, webhook_id: uuid.UUID
) -> WebhookSubscription:
    """The app's subscription, for its developer; NotFound for anyone else, as if missing."""
    if not owns_app(session, owner_id=owner_id, app_id=app_id):
        raise NotFound("no such app")
    row = repo.app_subscription(session, app_id)
    if row is None or row.id != webhook_id or row.owner_id != owner_id:
        raise NotFound("no such webhook")
    return row


def list_app_webhooks(
    session: Session, *, owner_id: uuid.UUID, app_id: uuid.UUID
) -> list[WebhookSubscription]:
    """The app's subscription as a list (none or one), for its developer."""
    if not owns_app(session, owner_id=owner_id, app_id=app_id):
        raise NotFound("no such app")
    row = repo.app_subscription(session, app_id)
    return [] if row is None else [row]


def list_webhooks(session: Session, *, owner_id: uuid.UUID) -> Sequence[WebhookSubscription]:
    """The rider's subscriptions, oldest first."""
    return repo.subscriptions_of(session, owner_id)


def get_webhook(
    session: Session, *, owner_id: uuid.UUID, webhook_id: uuid.UUID
) -> WebhookSubscription:
    """One of the rider's subscriptions; NotFound for anyone else's, as for a missing one."""
    row = repo.owned_subscription(session, owner_id, webhook_id)
    if row is None:
        raise NotFound("no such webhook")
    return row


def update_webhook(
    session: Session,
    *,
    webhook: WebhookSubscription,
    url: str | None,
    event_types: Sequence[str] | None,
    enabled: bool | None,
    allowed: frozenset[str],
) -> WebhookSubscription:
    """The subscription with a new URL, event types, or switched on or off."""
    if url is not None:
        check_url(url, allowed=allowed)
        webhook.url = url
    if event_types is not None:
        webhook.event_types = _types(event_types)
    if enabled is True and webhook.disabled_at is not None:
        webhook.disabled_at, webhook.disabled_reason = None, None
        webhook.consecutive_failures, webhook.failing_since = 0, None
        enqueue(session, DELIVER_JOB, {"subscription_id": str(webhook.id)})
    elif enabled is False and webhook.disabled_at is None:
        webhook.disabled_at, webhook.disabled_reason = utcnow(), "disabled by its owner"
    session.commit()
    return webhook


def delete_webhook(session: Session, *, webhook: WebhookSubscription) -> None:
    """Delete the subscription and its delivery log."""
    delete_webhook_rows(session, webhook)
    session.commit()


def delete_webhook_rows(session: Session, webhook: WebhookSubscription) -> None:
    """Delete the subscription and its delivery log; flushes only."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook.id))
    session.delete(webhook)
    session.flush()


def rotate_secret(
    session: Session, *, webhook: WebhookSubscription, now: datetime | None = None
) -> str:
    """A new secret, signing from now on; the previous one keeps signing for 24 hours."""
    now = now or utcnow()
    kept = [
        SigningSecret(s.secret, s.expires_at or now + ROTATION_OVERLAP)
        for s in open_secrets(webhook)
        if s.expires_at is None or s.expires_at > now
    ]
    secret = new_secret()
    seal_secrets(webhook, [SigningSecret(secret, None), *kept])
    session.commit()
    return secret


def list_deliveries(
    session: Session, *, webhook: WebhookSubscription, limit: int = 50
) -> Sequence[WebhookDelivery]:
    """The subscription's latest deliveries, newest first."""
    return repo.deliveries_of(session, webhook.id, limit=limit)


def get_delivery(
    session: Session, *, webhook: WebhookSubscription, delivery_id: str
) -> WebhookDelivery:
    """One delivery of the subscription; NotFound otherwise."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != webhook.id:
        raise NotFound("no such delivery")
    return delivery


def replay_delivery(session: Session, *, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery again (same webhook-id, fresh attempts), queued at once."""
    delivery.status, delivery.attempt = PENDING, 0
    delivery.next_attempt_at, delivery.delivered_at = utcnow(), None
    enqueue(session, DELIVER_JOB, {"subscription_id": str(delivery.subscription_id)})
    session.commit()
    return delivery


def _types(event_types: Sequence[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise InvalidInput(f"expected event types among {', '.join(EVENT_TYPES)}, got {unknown}")
    return sorted(set(event_types))
