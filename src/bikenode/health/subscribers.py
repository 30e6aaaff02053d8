"""What health learns from other domains' events: a ride imported with beat-to-beat
intervals gives its day's HRV, and takes it back when it is deleted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.health import service
from bikenode.rides import RideDeleted, RideImported


def ride_hrv(session: Session, envelope: Envelope) -> None:
    """Record the rMSSD of an imported ride's hrv messages, forget it when the ride is
    deleted (service.record_ride_hrv, forget_ride_hrv). Idempotent: both rewrite the day's
    value from the rides it has now."""
    event = envelope.event
    if isinstance(event, RideImported):
        service.record_ride_hrv(session, ride_id=event.ride_id)
    elif isinstance(event, RideDeleted):
        service.forget_ride_hrv(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


RIDE_HRV = Subscriber(
    name="health.ride_hrv",
    event_types=frozenset({RideImported.type, RideDeleted.type}),
    handle=ride_hrv,
    start="beginning",
)
