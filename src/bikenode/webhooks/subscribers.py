"""What webhooks learns from rides' events: a delivery per matching subscription.

The owner's subscriptions get their own rides' events; each app subscription gets the
events of riders whose live grant to the app covers them, with what the grant lets it see
(logic/payloads.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bikenode.apps import app_owners, rider_grants
from bikenode.db.queue import enqueue
from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideChanged, RideDeleted, RideImported
from bikenode.webhooks import repo
from bikenode.webhooks.logic.payloads import RideFacts, needed_scope, ride_data
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
    _fan_out_to_apps(session, envelope, facts, rider_id=event.owner_id)


def _fan_out_to_apps(
    session: Session, envelope: Envelope, facts: RideFacts, *, rider_id: uuid.UUID
) -> None:
    """A delivery for each app webhook whose app the rider granted a covering scope."""
    app_subscriptions = [
        sub
        for sub in repo.app_subscriptions_for(session, facts.kind)
        if sub.app_id is not None and _wants(sub, facts.kind, envelope)
    ]
    if not app_subscriptions:
        return
    # Two queries for all apps, whatever their number (a page of events stays cheap).
    owners = app_owners(session, app_ids=[sub.app_id for sub in app_subscriptions if sub.app_id])
    grants = rider_grants(session, user_id=rider_id)
    for subscription in app_subscriptions:
        app_id = subscription.app_id
        if app_id is None:
            continue
        if owners.get(app_id) != subscription.owner_id:
            # The developer deleted the app (apps knows nothing of webhooks): its webhook goes.
            delete_webhook_rows(session, subscription)
            continue
        scopes = grants.get(app_id, frozenset())
        data = ride_data(facts, scopes=scopes)
        needs = needed_scope(facts, scopes=scopes)
        _add(session, envelope, subscription, facts.kind, data, rider_id=rider_id, needs=needs)


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
    needs: str | None = None,
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
            needs_scope=needs,
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
