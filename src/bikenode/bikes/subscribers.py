"""What bikes learns from others' events: which bike each ride was ridden on (rides), and
the services that finished repair jobs did (market)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bikenode.bikes import reminders, repo, sync_records
from bikenode.bikes.assignments import forget_ride, refresh_ride_assignment
from bikenode.bikes.models import ServiceEntry
from bikenode.bikes.source_gear import add_listed_bikes, assign_by_gear
from bikenode.events import Envelope, Subscriber
from bikenode.market import JobCompleted
from bikenode.rides import GearListed, RideChanged, RideDeleted, RideImported

# Ride fields an assignment never reads (it follows the sport, start and totals).
ASSIGNMENT_BLIND_FIELDS = frozenset({"name", "description"})


def assign_ride_to_bike(session: Session, envelope: Envelope) -> None:
    """Assign a new or changed ride to the bike its export named, else the rider's default
    bike; drop a deleted one's; make the bikes an export listed."""
    event = envelope.event
    if isinstance(event, RideDeleted):
        forget_ride(session, ride_id=event.ride_id)
    elif isinstance(event, GearListed):
        add_listed_bikes(session, event)
    elif isinstance(event, RideChanged) and set(event.changed) <= ASSIGNMENT_BLIND_FIELDS:
        return  # the ride's sport, start and totals are as they were
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


# Entries from jobs get ids derived from the event and part: a re-delivery finds its own.
_ENTRY_NAMESPACE = uuid.UUID("6c1d7a38-3b1e-4c53-9f0e-4d8f2f1f5b1a")


def record_job_service(session: Session, envelope: Envelope) -> None:
    """Log a service of each of the job's parts still the rider's, once per event."""
    event = envelope.event
    if not isinstance(event, JobCompleted):
        raise TypeError(f"expected a JobCompleted event, got {type(event).__name__}")
    owned = {c.id for c in repo.components_of(session, event.owner_id)}
    added = False
    for component_id in event.component_ids:
        entry_id = uuid.uuid5(_ENTRY_NAMESPACE, f"{envelope.id}:{component_id}")
        if component_id not in owned or session.get(ServiceEntry, entry_id) is not None:
            continue
        entry = ServiceEntry(
            id=entry_id,
            owner_id=event.owner_id,
            component_id=component_id,
            kind="service",
            done_at=event.done_at,
            cost=event.price_minor / 100,  # the log keeps a plain amount
            notes=f"Repair job: {event.title} ({event.currency})",
        )
        session.add(entry)
        session.flush()
        sync_records.record_service_saved(session, entry)
        added = True
    if added:
        reminders.record_crossings(session, owner_id=event.owner_id)  # intervals restart


JOB_SERVICES = Subscriber(
    name="bikes.job_services",
    event_types=frozenset({JobCompleted.type}),
    handle=record_job_service,
    start="beginning",
)
