"""Queries on the bikes tables; never commits. Every look-up by id names the owner."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from bikenode.bikes.logic import usage
from bikenode.bikes.models import Bike, Component, Installation, RideAssignment, ServiceEntry


def bike(session: Session, owner_id: uuid.UUID, bike_id: uuid.UUID) -> Bike | None:
    """The owner's bike, None for another's or a missing one."""
    found = session.get(Bike, bike_id)
    return found if found is not None and found.owner_id == owner_id else None


def component(session: Session, owner_id: uuid.UUID, component_id: uuid.UUID) -> Component | None:
    """The owner's component, None for another's or a missing one."""
    found = session.get(Component, component_id)
    return found if found is not None and found.owner_id == owner_id else None


def bikes_of(session: Session, owner_id: uuid.UUID) -> Sequence[Bike]:
    return session.scalars(
        select(Bike).where(Bike.owner_id == owner_id).order_by(Bike.created_at, Bike.id)
    ).all()


def components_of(session: Session, owner_id: uuid.UUID) -> Sequence[Component]:
    return session.scalars(
        select(Component)
        .where(Component.owner_id == owner_id)
        .order_by(Component.created_at, Component.id)
    ).all()


def installations_of(session: Session, owner_id: uuid.UUID) -> Sequence[Installation]:
    """Every installation window of the owner's components, oldest first."""
    owned = select(Component.id).where(Component.owner_id == owner_id)
    return session.scalars(
        select(Installation)
        .where(Installation.component_id.in_(owned))
        .order_by(Installation.installed_at, Installation.id)
    ).all()


def windows_by_component(
    rows: Sequence[Installation],
) -> dict[uuid.UUID, list[usage.Installation]]:
    """The rows as the pure rules take them, grouped by component."""
    windows: dict[uuid.UUID, list[usage.Installation]] = {}
    for row in rows:
        windows.setdefault(row.component_id, []).append(
            usage.Installation(
                row.component_id,
                row.installed_at,
                row.removed_at,
                bike_id=row.bike_id,
                parent_id=row.parent_component_id,
            )
        )
    return windows


def rides_on_bikes(
    session: Session, owner_id: uuid.UUID, *, bike_ids: Collection[uuid.UUID] | None = None
) -> list[usage.RideOnBike]:
    """The owner's rides that have a bike (one of `bike_ids` if given), with their figures."""
    query = select(
        RideAssignment.ride_id,
        RideAssignment.bike_id,
        RideAssignment.started_at,
        RideAssignment.distance_m,
        RideAssignment.moving_s,
        RideAssignment.elevation_gain_m,
    ).where(RideAssignment.owner_id == owner_id, RideAssignment.bike_id.is_not(None))
    if bike_ids is not None:
        query = query.where(RideAssignment.bike_id.in_(list(bike_ids)))
    rows = session.execute(query)
    return [
        usage.RideOnBike(ride_id, bike_id, started_at, distance_m, moving_s, climb_m)
        for ride_id, bike_id, started_at, distance_m, moving_s, climb_m in rows
        if bike_id is not None
    ]


def placement_usages(
    session: Session,
    owner_id: uuid.UUID,
    groups: Sequence[Sequence[usage.Placement]],
    *,
    until: datetime,
) -> list[usage.Usage]:
    """For each group of placements, the summed figures of the owner's rides inside any of
    them that started by `until`, in one round trip: one aggregate per placement, each a
    range on the (bike, start) index. Rides held by two placements of a group count twice
    (an over-estimate; a component's own windows never overlap)."""
    parts = []
    for index, group in enumerate(groups):
        for placement in group:
            query = select(
                literal(index).label("grp"),
                func.sum(RideAssignment.distance_m).label("d"),
                func.sum(RideAssignment.moving_s).label("m"),
                func.sum(RideAssignment.elevation_gain_m).label("e"),
                func.count().label("n"),
            ).where(
                RideAssignment.bike_id == placement.bike_id,
                RideAssignment.owner_id == owner_id,
                RideAssignment.started_at >= placement.start,
                RideAssignment.started_at <= until,
            )
            if placement.end is not None:
                query = query.where(RideAssignment.started_at < placement.end)
            parts.append(query)
    totals = [usage.Usage() for _ in groups]
    if not parts:
        return totals
    for index, metres, seconds, climb, count in session.execute(union_all(*parts)):
        if count:  # an empty range sums to NULL
            totals[index] = totals[index] + usage.Usage(
                float(metres), float(seconds), float(climb), int(count)
            )
    return totals


def last_services(session: Session, owner_id: uuid.UUID) -> dict[uuid.UUID, ServiceEntry]:
    """Each of the owner's components' latest service or replacement."""
    latest: dict[uuid.UUID, ServiceEntry] = {}
    entries = session.scalars(
        select(ServiceEntry)
        .where(ServiceEntry.owner_id == owner_id)
        .order_by(ServiceEntry.done_at, ServiceEntry.created_at)
    )
    for entry in entries:
        latest[entry.component_id] = entry
    return latest


def services_of(session: Session, owner_id: uuid.UUID) -> Sequence[ServiceEntry]:
    """Every service and replacement of the owner's components, oldest first."""
    return session.scalars(
        select(ServiceEntry)
        .where(ServiceEntry.owner_id == owner_id)
        .order_by(ServiceEntry.done_at, ServiceEntry.created_at)
    ).all()


def service_entries(session: Session, component_id: uuid.UUID) -> Sequence[ServiceEntry]:
    return session.scalars(
        select(ServiceEntry)
        .where(ServiceEntry.component_id == component_id)
        .order_by(ServiceEntry.done_at, ServiceEntry.created_at)
    ).all()


def default_bikes(session: Session, owner_id: uuid.UUID) -> Sequence[Bike]:
    """The owner's bikes in service (not retired), oldest first."""
    return session.scalars(
        select(Bike)
        .where(Bike.owner_id == owner_id, Bike.retired_at.is_(None))
        .order_by(Bike.created_at, Bike.id)
    ).all()


def chosen_devices(
    session: Session, owner_id: uuid.UUID
) -> list[tuple[uuid.UUID, list[tuple[str, str]]]]:
    """(bike, [(serial, kind)]) of each ride the owner put on a bike themselves."""
    rows = session.execute(
        select(RideAssignment.bike_id, RideAssignment.devices).where(
            RideAssignment.owner_id == owner_id,
            RideAssignment.chosen_by_rider.is_(True),
            RideAssignment.bike_id.is_not(None),
        )
    )
    return [
        (bike_id, [(str(serial), str(kind)) for serial, kind in devices or []])
        for bike_id, devices in rows
        if bike_id is not None
    ]
