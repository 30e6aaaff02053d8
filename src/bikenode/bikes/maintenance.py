"""Usage, the service log and what is due: read from bikes' tables in a few queries.

Usage is computed when asked, exactly, from the rides' copied figures and the windows
(bikes/logic/usage.py); nothing is cached, so a ride moved, edited or deleted, or a window
changed, shows at once. A component's interval counts from its latest service or
replacement; before any, from its first installation, with its starting usage added.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bikenode.bikes import reminders, repo, service, sync_records
from bikenode.bikes.garage import Garage, current_interval, interval_of
from bikenode.bikes.logic import usage as rules
from bikenode.bikes.logic.intervals import (
    WARN_AT,
    IntervalStatus,
    ServiceInterval,
    interval_status,
)
from bikenode.bikes.logic.prediction import History, Prediction, predict_due
from bikenode.bikes.models import Component, Installation, ServiceEntry
from bikenode.db.base import utcnow

NO_HISTORY = History({})


@dataclass(frozen=True)
class ComponentUsage:
    """A component's whole usage (starting usage included), its usage since the last
    service, the interval that applies, how far into it the component is and when it is
    expected due (bikes/logic/prediction.py)."""

    component: Component
    total: rules.Usage
    since_service: rules.Usage
    last_service_at: datetime | None
    interval: ServiceInterval
    status: IntervalStatus
    placements: list[rules.Placement]
    bike_id: uuid.UUID | None  # the bike it rides on now, if any
    prediction: Prediction | None  # when it will be due at its bike's recent rate


def histories(garage: Garage) -> dict[uuid.UUID, History]:
    """Each bike's riding per UTC day, for wear prediction."""
    daily: dict[uuid.UUID, dict[date, tuple[float, float]]] = {}
    for ride in garage.rides:
        if ride.started_at is None:
            continue
        days = daily.setdefault(ride.bike_id, {})
        metres, seconds = days.get(ride.started_at.date(), (0.0, 0.0))
        days[ride.started_at.date()] = (metres + ride.distance_m, seconds + ride.moving_s)
    return {bike_id: History(days) for bike_id, days in daily.items()}


def _usage(
    garage: Garage,
    component: Component,
    now: datetime,
    warn_at: float,
    by_bike: dict[uuid.UUID, History],
) -> ComponentUsage:
    where = rules.placements(component.id, garage.windows)
    start = rules.Usage(component.start_distance_m, component.start_moving_s)
    total = start + rules.usage_of(where, garage.rides)
    current = current_interval(garage, component, where)
    last = current.last_service
    since_service = total if last is None else rules.usage_of(current.placements, garage.rides)
    interval = interval_of(component)
    status = interval_status(interval, since_service, since=current.since, now=now, warn_at=warn_at)
    fitted = [p for p in where if p.start <= now and (p.end is None or now < p.end)]
    bike_id = fitted[-1].bike_id if fitted else None
    prediction = None
    if not interval.empty and (bike_id is not None or interval.days is not None):
        history = by_bike.get(bike_id, NO_HISTORY) if bike_id is not None else NO_HISTORY
        prediction = predict_due(
            interval, since_service, since=current.since, history=history, today=now.date()
        )
    return ComponentUsage(
        component,
        total,
        since_service,
        None if last is None else last.done_at,
        interval,
        status,
        where,
        bike_id,
        prediction,
    )


def component_usage(
    session: Session, *, owner_id: uuid.UUID, component_id: uuid.UUID, warn_at: float = WARN_AT
) -> ComponentUsage:
    """One component's usage and interval state; NotFound for another's component."""
    component = service.get_component(session, owner_id=owner_id, component_id=component_id)
    garage = Garage.load(session, owner_id)
    return _usage(garage, component, utcnow(), warn_at, histories(garage))


def due_list(
    session: Session, *, owner_id: uuid.UUID, warn_at: float = WARN_AT
) -> list[ComponentUsage]:
    """Every component in service, the most used part of its interval first (those without
    an interval last)."""
    garage, now = Garage.load(session, owner_id), utcnow()
    by_bike = histories(garage)
    found = [
        _usage(garage, c, now, warn_at, by_bike)
        for c in repo.components_of(session, owner_id)
        if c.retired_at is None
    ]
    return sorted(found, key=lambda u: (u.status.fraction is None, -(u.status.fraction or 0.0)))


def log_service(
    session: Session,
    *,
    owner_id: uuid.UUID,
    component_id: uuid.UUID,
    kind: str,
    done_at: datetime | None,
    cost: float | None,
    notes: str,
) -> ServiceEntry:
    """A service or replacement of one of the owner's components; its interval restarts."""
    component = service.get_component(session, owner_id=owner_id, component_id=component_id)
    entry = ServiceEntry(
        id=uuid.uuid4(),
        owner_id=owner_id,
        component_id=component.id,
        kind=kind,
        done_at=done_at or utcnow(),
        cost=cost,
        notes=notes,
    )
    session.add(entry)
    session.flush()
    sync_records.record_service_saved(session, entry)
    reminders.record_crossings(session, owner_id=owner_id)  # a new interval starts
    session.commit()
    return entry


def service_log(
    session: Session, *, owner_id: uuid.UUID, component_id: uuid.UUID
) -> Sequence[ServiceEntry]:
    """A component's services and replacements, oldest first."""
    service.get_component(session, owner_id=owner_id, component_id=component_id)
    return repo.service_entries(session, component_id)


@dataclass(frozen=True)
class Fitted:
    """A component fitted at a moment, with what is fitted inside it."""

    component: Component
    window: Installation
    parts: list[Fitted]


def bike_tree(
    session: Session, *, owner_id: uuid.UUID, bike_id: uuid.UUID, at: datetime | None = None
) -> list[Fitted]:
    """What is fitted on the bike at `at` (now by default), parts inside their parents."""
    service.get_bike(session, owner_id=owner_id, bike_id=bike_id)
    moment = at or utcnow()
    components = {c.id: c for c in repo.components_of(session, owner_id)}
    fitted = [
        w
        for w in repo.installations_of(session, owner_id)
        if w.installed_at <= moment and (w.removed_at is None or moment < w.removed_at)
    ]

    def inside(
        holder_bike: uuid.UUID | None, holder_part: uuid.UUID | None, depth: int
    ) -> list[Fitted]:
        if depth > rules.MAX_TREE_DEPTH:
            return []
        return [
            Fitted(components[w.component_id], w, inside(None, w.component_id, depth + 1))
            for w in fitted
            if (w.bike_id, w.parent_component_id) == (holder_bike, holder_part)
        ]

    return inside(bike_id, None, 0)
