"""What bikes learns from rides' events: which bike each ride was ridden on."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.bikes.assignments import forget_ride, refresh_ride_assignment
from bikenode.bikes.source_gear import add_listed_bikes, assign_by_gear
from bikenode.events import Envelope, Subscriber
from bikenode.rides import GearListed, RideChanged, RideDeleted, RideImported


def assign_ride_to_bike(session: Session, envelope: Envelope) -> None:
    """Assign a new or changed ride to the bike its export named, else the rider's default
    bike; drop a deleted one's; make the bikes an export listed."""
    event = envelope.event
    if isinstance(event, RideDeleted):
        forget_ride(session, ride_id=event.ride_id)
    elif isinstance(event, GearListed):
        add_listed_bikes(session, event)
    elif (
        isinstance(event, RideImported)
        and event.gear
        and assign_by_gear(session, ride_id=event.ride_id, gear=event.gear)
    ):
        return
    elif isinstance(event, RideImported | RideChanged):
        refresh_ride_assignment(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


RIDE_ASSIGNMENTS = Subscriber(
    name="bikes.ride_assignments",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type, GearListed.type}),
    handle=assign_ride_to_bike,
    start="beginning",
)
