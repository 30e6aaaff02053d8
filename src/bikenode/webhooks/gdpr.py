"""A rider's webhooks for GDPR requests: exported without secrets, or erased for good.

The rider's webhooks include those of the apps they develop; an erasure also removes every
delivery about the rider queued for (or logged by) an app's webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.webhooks import repo
from bikenode.webhooks.models import WebhookDelivery, WebhookSubscription

SUBSCRIPTION_FIELDS = (
    "id",
    "app_id",
    "url",
    "event_types",
    "consecutive_failures",
    "disabled_at",
    "disabled_reason",
    "created_at",
)
DELIVERY_FIELDS = (
    "id",
    "type",
    "status",
    "attempt",
    "last_status_code",
    "last_error",
    "last_attempt_at",
    "delivered_at",
    "created_at",
    "payload",
)


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): webhooks/webhooks.json, each webhook (never its secret) with its
    latest deliveries."""
    webhooks = []
    for row in repo.subscriptions_of(session, owner_id, with_apps=True):
        deliveries = repo.deliveries_of(session, row.id, limit=1000)
        webhooks.append(
            {
                **fields_of(row, SUBSCRIPTION_FIELDS),
                "deliveries": [fields_of(d, DELIVERY_FIELDS) for d in deliveries],
            }
        )
    yield "webhooks/webhooks.json", json_bytes(webhooks)
    session.rollback()  # end the read: writers are not held up (SQLite)


def erase_user_data(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    """Delete the rider's webhooks (their apps' too) with their deliveries, and apps'
    deliveries about the rider; flushes only. Returns the counts."""
    owned = select(WebhookSubscription.id).where(WebhookSubscription.owner_id == owner_id)
    count = len(session.scalars(owned).all())
    about = session.execute(delete(WebhookDelivery).where(WebhookDelivery.rider_id == owner_id))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id.in_(owned)))
    session.execute(delete(WebhookSubscription).where(WebhookSubscription.owner_id == owner_id))
    session.flush()
    about_rider = float(about.rowcount or 0)  # type: ignore[attr-defined]
    return {"webhooks": float(count), "app_webhook_deliveries_about_you": about_rider}
