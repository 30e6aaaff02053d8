"""What health learns from other domains' events: a ride imported with beat-to-beat
intervals gives its day's HRV."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.health import service
from bikenode.rides import RideImported


def ride_hrv(session: Session, envelope: Envelope) -> None:
    """Record the rMSSD of an imported ride's hrv messages (service.record_ride_hrv).
    Idempotent: the value is recomputed from the ride's file and replaces its own row."""
    event = envelope.event
    if not isinstance(event, RideImported):
        raise TypeError(f"expected a RideImported event, got {type(event).__name__}")
    service.record_ride_hrv(session, ride_id=event.ride_id)


RIDE_HRV = Subscriber(
    name="health.ride_hrv",
    event_types=frozenset({RideImported.type}),
    handle=ride_hrv,
    start="beginning",
)
