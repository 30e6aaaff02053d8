"""What webhooks learns from rides' events: a delivery per matching subscription.

The owner's subscriptions get their own rides' events; each app subscription gets the
events of riders whose live grant to the app covers them, with what the grant lets it see
(logic/payloads.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bikenode.apps import granted_scopes, owns_app
from bikenode.db.queue import enqueue
from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideChanged, RideDeleted, RideImported
from bikenode.webhooks import repo
from bikenode.webhooks.logic.payloads import RideFacts, ride_data
from bikenode.webhooks.models import PENDING, WebhookDelivery, WebhookSubscription
from bikenode.webhooks.service import DELIVER_JOB, delete_webhook_rows

RideEvent = RideImported | RideChanged | RideDeleted


def ride_facts(envelope: Envelope) -> RideFacts:
    """The ride event as plain values for logic/payloads.py."""
    event = envelope.event
    if isinstance(event, RideImported):
        summary = event.summary or {}
        visibility = summary.get("visibility")
        return RideFacts("ride.created", str(event.ride_id), visibility, summary=event.summary)
    if isinstance(event, RideChanged):
        return RideFacts(
            "ride.updated",
            str(event.ride_id),
            event.visibility,
            changed=event.changed,
            values=event.values,
        )
    if isinstance(event, RideDeleted):
        return RideFacts("ride.deleted", str(event.ride_id), event.visibility)
    raise TypeError(f"expected a ride event, got {type(event).__name__}")


def fan_out(session: Session, envelope: Envelope) -> None:
    """A pending delivery for each enabled subscription to the event's type that may hear of
    it; a re-delivered event adds nothing (one delivery per subscription and event)."""
    event = envelope.event
    if not isinstance(event, RideImported | RideChanged | RideDeleted):
        raise TypeError(f"expected a ride event, got {type(event).__name__}")
    facts = ride_facts(envelope)
    for subscription in repo.subscriptions_of(session, event.owner_id):
        data = ride_data(facts, scopes=None)
        _add(session, envelope, subscription, facts.kind, data, rider_id=None)
    for subscription in repo.app_subscriptions_for(session, facts.kind):
        if subscription.app_id is None or not _wants(subscription, facts.kind, envelope):
            continue
        if not owns_app(session, owner_id=subscription.owner_id, app_id=subscription.app_id):
            # The developer deleted the app (apps knows nothing of webhooks): its webhook goes.
            delete_webhook_rows(session, subscription)
            continue
        scopes = granted_scopes(session, app_id=subscription.app_id, user_id=event.owner_id)
        data = ride_data(facts, scopes=scopes)
        _add(session, envelope, subscription, facts.kind, data, rider_id=event.owner_id)


def _wants(subscription: WebhookSubscription, kind: str, envelope: Envelope) -> bool:
    if subscription.disabled_at is not None or kind not in subscription.event_types:
        return False
    return envelope.occurred_at >= subscription.created_at  # a webhook gets no history


def _add(
    session: Session,
    envelope: Envelope,
    subscription: WebhookSubscription,
    kind: str,
    data: dict[str, Any] | None,
    *,
    rider_id: uuid.UUID | None,
) -> None:
    if data is None or not _wants(subscription, kind, envelope):
        return
    if repo.delivery_exists(session, subscription.id, envelope.id):
        return
    payload = {"type": kind, "timestamp": envelope.occurred_at.isoformat(), "data": data}
    session.add(
        WebhookDelivery(
            id=f"msg_{uuid.uuid4().hex}",
            subscription_id=subscription.id,
            event_id=envelope.id,
            rider_id=rider_id,
            object_id=data["ride_id"],
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
