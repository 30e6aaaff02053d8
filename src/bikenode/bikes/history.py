"""Each bike's totals and one bike's timeline, for the garage pages: a few queries each.

A bike's total is its starting distance plus the rides on it. Its timeline lists, by date,
every fitting and removal of a component on it (directly, or inside a part that was on it
then) and every service or replacement logged while the component rode on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from bikenode.bikes import repo, service
from bikenode.bikes.logic import usage as rules
from bikenode.bikes.models import Component, Installation, ServiceEntry

EventKind = Literal["installed", "removed", "service", "replace"]


def bike_totals(session: Session, *, owner_id: uuid.UUID) -> dict[uuid.UUID, rules.Usage]:
    """Every bike of the owner's usage: its starting distance plus the rides on it."""
    totals = {
        b.id: rules.Usage(distance_m=b.start_distance_m) for b in repo.bikes_of(session, owner_id)
    }
    for ride in repo.rides_on_bikes(session, owner_id):
        if ride.bike_id in totals:
            totals[ride.bike_id] = totals[ride.bike_id] + ride.usage
    return totals


@dataclass(frozen=True)
class BikeEvent:
    """One dated change on a bike. other_bike_id: where an installed part came from, or
    where a removed part went (the same moment on another bike)."""

    at: datetime
    kind: EventKind
    component: Component
    parent: Component | None = None
    other_bike_id: uuid.UUID | None = None
    entry: ServiceEntry | None = None


def _on_bike(where: Sequence[rules.Placement], bike_id: uuid.UUID, at: datetime) -> bool:
    return any(
        p.bike_id == bike_id and p.start <= at and (p.end is None or at < p.end) for p in where
    )


def _neighbour(own: Sequence[Installation], at: datetime, *, before: bool) -> uuid.UUID | None:
    """The bike of the component's window that ends (before) or starts (after) at `at`."""
    for row in own:
        if (row.removed_at if before else row.installed_at) == at:
            return row.bike_id
    return None


def bike_history(session: Session, *, owner_id: uuid.UUID, bike_id: uuid.UUID) -> list[BikeEvent]:
    """The bike's fittings, removals and services, oldest first; NotFound for another's bike."""
    service.get_bike(session, owner_id=owner_id, bike_id=bike_id)
    components = {c.id: c for c in repo.components_of(session, owner_id)}
    rows = repo.installations_of(session, owner_id)
    windows = repo.windows_by_component(rows)
    where = {cid: rules.placements(cid, windows) for cid in components}
    by_component: dict[uuid.UUID, list[Installation]] = {}
    for row in rows:
        by_component.setdefault(row.component_id, []).append(row)
    events: list[BikeEvent] = []
    for row in rows:
        parent = components.get(row.parent_component_id) if row.parent_component_id else None
        if row.bike_id != bike_id and (
            parent is None or not _on_bike(where[parent.id], bike_id, row.installed_at)
        ):
            continue
        own = [r for r in by_component[row.component_id] if r is not row]
        part = components[row.component_id]
        came_from = _neighbour(own, row.installed_at, before=True)
        events.append(BikeEvent(row.installed_at, "installed", part, parent, came_from))
        if row.removed_at is not None:
            went_to = _neighbour(own, row.removed_at, before=False)
            events.append(BikeEvent(row.removed_at, "removed", part, parent, went_to))
    for entry in repo.services_of(session, owner_id):
        if _on_bike(where.get(entry.component_id, []), bike_id, entry.done_at):
            kind: EventKind = "replace" if entry.kind == "replace" else "service"
            events.append(
                BikeEvent(entry.done_at, kind, components[entry.component_id], entry=entry)
            )
    return sorted(events, key=lambda e: e.at)
