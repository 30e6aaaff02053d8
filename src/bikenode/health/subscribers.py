"""What health learns from other domains' events: a ride imported with beat-to-beat
intervals gives its day's HRV, moves it when its start moves, takes it back when deleted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.health import service
from bikenode.rides import RideChanged, RideDeleted, RideImported


def ride_hrv(session: Session, envelope: Envelope) -> None:
    """Record the rMSSD of an imported ride's hrv messages, move it to the ride's new day
    when its start changes, forget it when the ride is deleted (service.record_ride_hrv,
    forget_ride_hrv). Idempotent: each rewrites the days' values from the rides they have."""
    event = envelope.event
    if isinstance(event, RideImported):
        service.record_ride_hrv(session, ride_id=event.ride_id)
    elif isinstance(event, RideChanged):
        if "started_at" in event.changed:
            service.forget_ride_hrv(session, ride_id=event.ride_id)
            service.record_ride_hrv(session, ride_id=event.ride_id)
    elif isinstance(event, RideDeleted):
        service.forget_ride_hrv(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


RIDE_HRV = Subscriber(
    name="health.ride_hrv",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type}),
    handle=ride_hrv,
    start="beginning",
)
