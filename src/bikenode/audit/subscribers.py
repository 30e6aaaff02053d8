"""What the audit log learns from other domains' events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.audit.service import record_event
from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideDeleted


def record_ride_deletion(session: Session, envelope: Envelope) -> None:
    """Add an audit entry for a deleted ride (who deleted which ride, from which event)."""
    event = envelope.event
    if not isinstance(event, RideDeleted):
        raise TypeError(f"expected a RideDeleted event, got {type(event).__name__}")
    record_event(
        session,
        event_type="rides.ride_deleted",
        actor_id=event.owner_id,
        subject_id=event.owner_id,
        details={"ride_id": str(event.ride_id), "event_id": envelope.id},
    )


RIDE_DELETIONS = Subscriber(
    name="audit.ride_deletions",
    event_types=frozenset({RideDeleted.type}),
    handle=record_ride_deletion,
)
