"""Bikes and assignments from an export archive: Strava's bikes.csv creates the rider's bikes,
each activity's "Activity Gear" puts its ride on the bike of that name.

Both arrive as rides' events, in no fixed order (a ride's gear may come before the list), so
both find the bike by name and make it if it is missing: the result is the same either way,
and a repeated event changes nothing. The export's gear counts as the rider's own choice (they
chose it at the source): later edits of the ride never move it, the rider still can.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.bikes import repo, sync_records
from bikenode.bikes.assignments import place_ride
from bikenode.bikes.logic.source_gear import bike_type_of, rides_a_bike, same_name
from bikenode.bikes.models import Bike, RideAssignment

NAMED_BY_EXPORT = "named in the imported export"


def bike_named(
    session: Session,
    owner_id: uuid.UUID,
    name: str,
    *,
    brand: str = "",
    model: str = "",
    sports: str = "",
) -> Bike:
    """The owner's bike of this name, made if there is none; an empty brand or model is
    filled from the export, the rider's own values are kept. Flushes, never commits."""
    name = " ".join(name.split())[:200]
    bike = next((b for b in repo.bikes_of(session, owner_id) if same_name(b.name, name)), None)
    created = bike is None
    if bike is None:
        bike = Bike(
            id=uuid.uuid4(),
            owner_id=owner_id,
            name=name,
            type=bike_type_of(sports),
            default_for_sports=[],
        )
        session.add(bike)
    filled = bool((not bike.brand and brand.strip()) or (not bike.model and model.strip()))
    bike.brand = bike.brand or brand.strip()[:100] or None
    bike.model = bike.model or model.strip()[:100] or None
    if created or filled:
        session.flush()
        sync_records.record_bike_saved(session, bike)
    return bike


def add_listed_bikes(session: Session, listed: rides.GearListed) -> None:
    """Make the bikes an export listed (those the rider has by name are kept as they are)."""
    for name, brand, model, sports in zip(
        listed.names, listed.brands, listed.models, listed.sports, strict=True
    ):
        if name.strip():
            bike_named(session, listed.owner_id, name, brand=brand, model=model, sports=sports)


def assign_by_gear(session: Session, *, ride_id: uuid.UUID, gear: str) -> bool:
    """Put a ride on the bike its export named; False (nothing done) if the ride is gone, is
    not ridden on a bike (a run's gear is shoes), or the rider already chose its bike."""
    totals = rides.ride_totals(session, ride_id)
    if totals is None or not rides_a_bike(totals.sport) or not gear.strip():
        return False
    row = session.get(RideAssignment, ride_id)
    if row is not None and row.chosen_by_rider and row.reason != NAMED_BY_EXPORT:
        return False
    bike = bike_named(session, totals.owner_id, gear)
    place_ride(session, ride=totals, bike_id=bike.id, reason=NAMED_BY_EXPORT)
    return True
