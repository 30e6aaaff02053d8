"""What segments learns from rides' events: each new or changed ride's efforts, and none
for a deleted one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideChanged, RideDeleted, RideImported
from bikenode.segments.efforts import forget_ride, refresh_ride_efforts


def match_ride_efforts(session: Session, envelope: Envelope) -> None:
    """Re-match a new or changed ride (its track, visibility or date may have changed);
    drop a deleted one's efforts. Idempotent: the ride's efforts are replaced, not added."""
    event = envelope.event
    if isinstance(event, RideDeleted):
        forget_ride(session, ride_id=event.ride_id)
    elif isinstance(event, RideImported | RideChanged):
        refresh_ride_efforts(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


RIDE_EFFORTS = Subscriber(
    name="segments.ride_efforts",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type}),
    handle=match_ride_efforts,
    start="beginning",
)
