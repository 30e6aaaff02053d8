"""Domain events through a transactional outbox.

A domain announces a fact with `publish(session, SomethingHappened(...))` in the transaction
that made it true; subscribers in other domains receive it at least once, in order per
aggregate, each handler's writes committed with its progress (so effectively once).
"""

from bikenode.events.dispatch import (
    RoundResult,
    Subscriber,
    deliver_round,
    deliver_rounds,
    ensure_subscribers,
)
from bikenode.events.metrics import EventMetrics
from bikenode.events.outbox import Envelope, Event, UnknownEvent, publish
from bikenode.events.relay import Relay, RelayedEnvelope
from bikenode.events.runner import Dispatcher
from bikenode.events.service import (
    DeadLetter,
    SubscriberStatus,
    dead_letters,
    erase_user_events,
    events_status,
    replay,
    retry_dead,
)

__all__ = [
    "DeadLetter",
    "Dispatcher",
    "Envelope",
    "Event",
    "EventMetrics",
    "Relay",
    "RelayedEnvelope",
    "RoundResult",
    "Subscriber",
    "SubscriberStatus",
    "UnknownEvent",
    "dead_letters",
    "deliver_round",
    "deliver_rounds",
    "ensure_subscribers",
    "erase_user_events",
    "events_status",
    "publish",
    "replay",
    "retry_dead",
]
