"""Rides to bikes: the automatic assignment that follows rides' events, and the rider's own.

An assignment keeps the ride's start and figures copied from rides' interface, so usage
is computed from bikes' tables alone. A rider's own choice (a bike, or none) stands:
later edits of the ride refresh its figures but never move it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.bikes import reminders, repo, sensors
from bikenode.bikes.logic.assignment import BikeChoice, choose_bike, learn
from bikenode.bikes.models import RideAssignment
from bikenode.errors import NotFound

CHOSEN_BY_RIDER = "chosen by the rider"


@dataclass(frozen=True)
class RideBike:
    """The bike a ride was ridden on (None: none), why, and whether the rider chose it."""

    ride_id: uuid.UUID
    bike_id: uuid.UUID | None
    reason: str | None
    chosen_by_rider: bool


def _copy_figures(
    row: RideAssignment, totals: rides.RideTotals, devices: Sequence[rides.RideDevice]
) -> None:
    row.devices = [[d.serial, d.kind] for d in devices]
    row.owner_id = totals.owner_id
    row.sport = totals.sport
    row.started_at = totals.started_at
    row.distance_m = totals.distance_m or 0.0
    row.moving_s = totals.moving_time_s or 0.0
    row.elevation_gain_m = totals.elevation_gain_m or 0.0


def refresh_ride_assignment(session: Session, *, ride_id: uuid.UUID) -> None:
    """Bring a ride's assignment up to date with the ride as it is now, and record the
    crossings it caused on the bikes it was and is on; never commits.

    Idempotent: it reads the ride's current state, so a repeated or late event changes
    nothing more. A deleted ride loses its assignment.
    """
    row = session.get(RideAssignment, ride_id)
    before = None if row is None else (row.owner_id, row.bike_id)
    after = _refresh(session, ride_id, row)
    session.flush()
    _record_crossings(session, before, after)


def _record_crossings(
    session: Session,
    before: tuple[uuid.UUID, uuid.UUID | None] | None,
    after: tuple[uuid.UUID, uuid.UUID | None] | None,
) -> None:
    owners = {pair[0] for pair in (before, after) if pair is not None}
    for owner_id in owners:
        bikes = {pair[1] for pair in (before, after) if pair is not None and pair[0] == owner_id}
        reminders.record_crossings(session, owner_id=owner_id, bike_ids=bikes)


def _refresh(
    session: Session, ride_id: uuid.UUID, row: RideAssignment | None
) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """The ride's (owner, bike) once refreshed; None when it is on no bike any more."""
    totals = rides.ride_totals(session, ride_id)
    if totals is None:
        sensors.forget_readings(session, ride_id=ride_id)
        if row is not None:
            session.delete(row)
        return None
    devices = rides.ride_devices(session, ride_id)
    # Batteries are kept whether or not the ride is on a bike (a heart-rate strap on a run).
    sensors.copy_readings(session, owner_id=totals.owner_id, ride_id=ride_id, devices=devices)
    if row is None or not row.chosen_by_rider:
        bikes = [
            BikeChoice(b.id, b.type, b.default_for_sports, b.name)
            for b in repo.default_bikes(session, totals.owner_id)
        ]
        serials = [(d.serial, d.kind) for d in devices]
        learned = learn(repo.chosen_devices(session, totals.owner_id)) if serials else None
        choice = choose_bike(totals.sport, totals.sub_sport, bikes, serials, learned)
        if choice is None:
            if row is not None:
                session.delete(row)
            return None
        if row is None:
            row = RideAssignment(ride_id=ride_id, chosen_by_rider=False)
            session.add(row)
        row.bike_id, row.reason = choice.bike_id, choice.reason
    _copy_figures(row, totals, devices)
    return totals.owner_id, row.bike_id


def forget_ride(session: Session, *, ride_id: uuid.UUID) -> None:
    """Drop a deleted ride's assignment and battery readings; never commits."""
    sensors.forget_readings(session, ride_id=ride_id)
    row = session.get(RideAssignment, ride_id)
    if row is not None:
        before = (row.owner_id, row.bike_id)
        session.delete(row)
        session.flush()
        _record_crossings(session, before, None)


def owned_ride(session: Session, *, owner_id: uuid.UUID, ride_id: uuid.UUID) -> rides.RideTotals:
    """The owner's ride; NotFound for another's ride or a missing one."""
    totals = rides.ride_totals(session, ride_id)
    if totals is None or totals.owner_id != owner_id:
        raise NotFound("no such ride")
    return totals


def ride_bike(session: Session, *, ride: rides.RideTotals) -> RideBike:
    """The bike of a ride (the caller checked it is theirs: bikes.access)."""
    ride_id = ride.ride_id
    row = session.get(RideAssignment, ride_id)
    if row is None:
        return RideBike(ride_id, None, None, chosen_by_rider=False)
    return RideBike(ride_id, row.bike_id, row.reason, row.chosen_by_rider)


def assign_ride(session: Session, *, ride: rides.RideTotals, bike_id: uuid.UUID | None) -> RideBike:
    """Put one of the owner's rides (checked: bikes.access) on one of their bikes (None: on
    no bike); its usage moves with it. NotFound for a bike that is not the owner's.
    """
    if bike_id is not None and repo.bike(session, ride.owner_id, bike_id) is None:
        raise NotFound("no such bike")
    place_ride(session, ride=ride, bike_id=bike_id, reason=CHOSEN_BY_RIDER)
    session.commit()
    return RideBike(ride.ride_id, bike_id, CHOSEN_BY_RIDER, chosen_by_rider=True)


def place_ride(
    session: Session, *, ride: rides.RideTotals, bike_id: uuid.UUID | None, reason: str
) -> None:
    """Put a ride on a bike (the caller checked both are the owner's) as the rider's choice,
    which later edits of the ride never move, recording the crossings; never commits."""
    totals, owner_id, ride_id = ride, ride.owner_id, ride.ride_id
    devices = rides.ride_devices(session, ride_id)  # read before a half-made row is flushed
    row = session.get(RideAssignment, ride_id)
    before = None if row is None else (row.owner_id, row.bike_id)
    if row is None:
        row = RideAssignment(ride_id=ride_id)
        session.add(row)
    row.bike_id, row.reason, row.chosen_by_rider = bike_id, reason, True
    _copy_figures(row, totals, devices)
    session.flush()
    _record_crossings(session, before, (owner_id, bike_id))


def rides_on_bike(session: Session, *, owner_id: uuid.UUID, bike_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the owner's rides on this bike of theirs (none for another's bike)."""
    return [r.ride_id for r in repo.rides_on_bikes(session, owner_id, bike_ids=[bike_id])]
