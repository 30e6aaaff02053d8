"""What webhooks learns from rides' events: a delivery per matching subscription."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bikenode.db.queue import enqueue
from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideChanged, RideDeleted, RideImported
from bikenode.webhooks import repo
from bikenode.webhooks.models import PENDING, WebhookDelivery
from bikenode.webhooks.service import DELIVER_JOB


def ride_webhook(envelope: Envelope) -> tuple[str, dict[str, Any]]:
    """The webhook type and `data` of a ride event: ids, and the names of changed fields."""
    event = envelope.event
    if isinstance(event, RideImported):
        return "ride.created", {"ride_id": str(event.ride_id)}
    if isinstance(event, RideChanged):
        return "ride.updated", {"ride_id": str(event.ride_id), "changed": sorted(event.changed)}
    if isinstance(event, RideDeleted):
        return "ride.deleted", {"ride_id": str(event.ride_id)}
    raise TypeError(f"expected a ride event, got {type(event).__name__}")


def fan_out(session: Session, envelope: Envelope) -> None:
    """A pending delivery for each of the owner's enabled subscriptions to the event's type;
    a re-delivered event adds nothing (one delivery per subscription and event)."""
    event = envelope.event
    if not isinstance(event, RideImported | RideChanged | RideDeleted):
        raise TypeError(f"expected a ride event, got {type(event).__name__}")
    kind, data = ride_webhook(envelope)
    payload = {"type": kind, "timestamp": envelope.occurred_at.isoformat(), "data": data}
    for subscription in repo.subscriptions_of(session, event.owner_id):
        if subscription.disabled_at is not None or kind not in subscription.event_types:
            continue
        if envelope.occurred_at < subscription.created_at:  # a webhook gets no history
            continue
        if repo.delivery_exists(session, subscription.id, envelope.id):
            continue
        session.add(
            WebhookDelivery(
                id=f"msg_{uuid.uuid4().hex}",
                subscription_id=subscription.id,
                event_id=envelope.id,
                object_id=str(event.ride_id),
                type=kind,
                payload=payload,
                status=PENDING,
                attempt=0,
                next_attempt_at=envelope.occurred_at,
            )
        )
        enqueue(session, DELIVER_JOB, {"subscription_id": str(subscription.id)})


FANOUT = Subscriber(
    name="webhooks.fanout",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type}),
    handle=fan_out,
    start="beginning",
)
