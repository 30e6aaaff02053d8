"""What notifications learns from other domains' events: a notification per intent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.events import Envelope, Subscriber
from bikenode.notifications.registry import ROUTES, intents_of
from bikenode.notifications.service import notify


def make_notifications(session: Session, envelope: Envelope) -> None:
    """Notify each person the event concerns; a re-delivered event adds nothing."""
    now = utcnow()
    for intent in intents_of(envelope.event, envelope.occurred_at, session):
        notify(
            session,
            intent=intent,
            event_id=envelope.id,
            event_type=envelope.event.type,
            occurred_at=envelope.occurred_at,
            now=now,
        )


NOTIFY = Subscriber(
    name="notifications.notify",
    event_types=frozenset(ROUTES),
    handle=make_notifications,
    start="beginning",  # old events are dropped as stale by service.notify, not replayed
)
