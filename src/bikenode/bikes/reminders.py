"""Reminders: each threshold crossing of a component's interval recorded and announced once.

`record_crossings` runs in the transaction of every change that can move usage or the
interval: a ride assigned, changed, moved or deleted (bikes' subscriber and the rider's
own choice), a window opened or closed, a component's interval edited, a service or
replacement logged. It recomputes the current interval of the components concerned
(bikes/logic/crossings.py) and inserts a `bikes_reminders` row per crossing not yet
recorded, publishing `ComponentDue` beside it. The unique constraint (component, threshold,
interval start) is the guard: a repeated or replayed event, or a recompute running at the
same time in another transaction, fails to insert the same crossing (inside a savepoint)
and announces nothing. A service or replacement starts a new interval, hence new crossings.
A crossing once recorded stays, even if the ride that caused it is deleted later: it was
announced. Retired components stop counting: none of their crossings is recorded or listed.

A calendar limit is crossed by time alone, with no change to trigger it: `bikenode
reminders`, run daily (cron or a systemd timer, like `bikenode retention`), records those.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.bikes import repo
from bikenode.bikes.events import ComponentDue
from bikenode.bikes.garage import CurrentInterval, Garage, current_interval, interval_of
from bikenode.bikes.logic import usage as rules
from bikenode.bikes.logic.catalogue import CATALOGUE
from bikenode.bikes.logic.crossings import Crossing, crossings, thresholds
from bikenode.bikes.logic.intervals import WARN_AT, ServiceInterval
from bikenode.bikes.models import Component, Reminder
from bikenode.db.base import utcnow
from bikenode.errors import InvalidInput, NotFound
from bikenode.events import publish


def record_crossings(
    session: Session,
    *,
    owner_id: uuid.UUID,
    bike_ids: Collection[uuid.UUID | None] | None = None,
    now: datetime | None = None,
    warn_at: float = WARN_AT,
) -> list[Reminder]:
    """Record and announce the crossings not yet recorded of the owner's components in
    service (only those that rode on one of `bike_ids`, if given); never commits.

    Fast path (a ride assigned runs this inside its request): a component whose thresholds
    are all recorded for its current interval is skipped, and one whose interval usage (an
    aggregate query per placement, on the (bike, start) index) is below every threshold
    still pending, with no calendar moment passed, cannot have crossed one. Only the rest
    load their rides and go through the exact computation, so the result is the same as
    recomputing every component from all its rides.
    """
    bikes = None if bike_ids is None else {b for b in bike_ids if b is not None}
    if bikes is not None and not bikes:
        return []
    moment = now or utcnow()
    levels = thresholds(warn_at)
    garage = Garage(
        repo.windows_by_component(repo.installations_of(session, owner_id)),
        [],
        repo.last_services(session, owner_id),
    )
    known = _known(session, owner_id)
    pending: list[tuple[Component, CurrentInterval, list[float]]] = []
    for component in repo.components_of(session, owner_id):
        if component.retired_at is not None or interval_of(component).empty:
            continue
        where = rules.placements(component.id, garage.windows)
        if bikes is not None and not any(p.bike_id in bikes for p in where):
            continue
        current = current_interval(garage, component, where)
        open_levels = [f for t, f in levels if (component.id, t, current.since) not in known]
        if open_levels:
            pending.append((component, current, open_levels))
    sums = repo.placement_usages(
        session, owner_id, [c.placements for _, c, _ in pending], until=moment
    )
    exact = [
        (component, current)
        for (component, current, open_levels), used in zip(pending, sums, strict=True)
        if _may_cross(interval_of(component), current, current.start + used, open_levels, moment)
    ]
    if not exact:
        return []
    # Every bike the remaining parts rode on, not only `bike_ids`: a wheelset that spent a
    # season on another bike counts those rides too.
    riders = {p.bike_id for _, current in exact for p in current.placements}
    rides = repo.rides_on_bikes(session, owner_id, bike_ids=riders)
    recorded = []
    for component, current in exact:
        found = crossings(
            interval_of(component),
            start=current.start,
            since=current.since,
            rides=[r for r in rides if rules.counts(current.placements, r)],
            now=moment,
            warn_at=warn_at,
        )
        for crossing in found:
            if (component.id, crossing.threshold, current.since) in known:
                continue
            reminder = _insert(session, component, crossing, current.since)
            if reminder is not None:
                recorded.append(reminder)
    return recorded


# Summed in another order than the exact pass sums, floats may differ in the last bits:
# a part this close below a threshold takes the exact pass rather than risk a miss.
_SLACK = 1e-9


def _may_cross(
    interval: ServiceInterval,
    current: CurrentInterval,
    used: rules.Usage,
    fractions: Sequence[float],
    now: datetime,
) -> bool:
    """Whether the interval, with at most `used` by now, may have crossed one of the
    fractions (an over-estimate of the usage only sends more parts to the exact pass)."""
    for fraction in fractions:
        for limit, spent in (
            (interval.distance_m, used.distance_m),
            (interval.moving_s, used.moving_s),
        ):
            if limit is not None and spent >= limit * fraction * (1 - _SLACK) - _SLACK:
                return True
        if (
            interval.days is not None
            and current.since + timedelta(days=interval.days * fraction) <= now
        ):
            return True
    return False


def record_calendar_crossings(session: Session, *, now: datetime | None = None) -> int:
    """Record the crossings time alone has made, for every rider with a part in service
    whose interval has a calendar limit (its own or its type's); commits each rider's own.
    Returns how many were recorded; running it again records nothing more."""
    rows = session.execute(
        select(Component.owner_id, Component.type, Component.interval_days).where(
            Component.retired_at.is_(None)
        )
    ).all()
    owners = sorted(
        {
            owner_id
            for owner_id, kind, days in rows
            if days is not None or (kind in CATALOGUE and CATALOGUE[kind].interval.days)
        }
    )
    recorded = 0
    for owner_id in owners:
        recorded += len(record_crossings(session, owner_id=owner_id, now=now))
        session.commit()
    return recorded


def _known(session: Session, owner_id: uuid.UUID) -> set[tuple[uuid.UUID, str, datetime]]:
    rows = session.execute(
        select(Reminder.component_id, Reminder.threshold, Reminder.interval_start).where(
            Reminder.owner_id == owner_id
        )
    )
    return {(c, t, s) for c, t, s in rows}


def _insert(
    session: Session, component: Component, crossing: Crossing, since: datetime
) -> Reminder | None:
    """The new reminder, announced; None if another transaction recorded it first."""
    reminder = Reminder(
        id=uuid.uuid4(),
        owner_id=component.owner_id,
        component_id=component.id,
        threshold=crossing.threshold,
        fraction=crossing.fraction,
        limit=crossing.limit,
        interval_start=since,
        crossed_at=crossing.at,
        distance_m=crossing.usage.distance_m,
        moving_s=crossing.usage.moving_s,
        rides=crossing.usage.rides,
    )
    try:
        with session.begin_nested():
            session.add(reminder)
            session.flush()
    except IntegrityError:
        return None  # the unique constraint: this crossing is already announced
    publish(
        session,
        ComponentDue(
            component_id=component.id,
            owner_id=component.owner_id,
            threshold=crossing.threshold,
            crossed_on=crossing.at.date(),
        ),
    )
    return reminder


def list_reminders(
    session: Session, *, owner_id: uuid.UUID, include_all: bool = False
) -> Sequence[Reminder]:
    """The owner's reminders of components in service, newest crossing first: by default
    only those neither acknowledged nor snoozed past now."""
    query = (
        select(Reminder)
        .join(Component, Component.id == Reminder.component_id)
        .where(Reminder.owner_id == owner_id, Component.retired_at.is_(None))
        .order_by(Reminder.crossed_at.desc(), Reminder.threshold.desc())
    )
    if not include_all:
        now = utcnow()
        query = query.where(
            Reminder.acknowledged_at.is_(None),
            Reminder.snoozed_until.is_(None) | (Reminder.snoozed_until <= now),
        )
    return session.scalars(query).all()


def get_reminder(session: Session, *, owner_id: uuid.UUID, reminder_id: uuid.UUID) -> Reminder:
    """The owner's reminder; NotFound for another's or a missing one (the same answer)."""
    found = session.get(Reminder, reminder_id)
    if found is None or found.owner_id != owner_id:
        raise NotFound("no such reminder")
    return found


def snooze_reminder(session: Session, *, reminder: Reminder, until: datetime) -> Reminder:
    """Hide the reminder until `until` (it shows again then); InvalidInput for a past time."""
    if until <= utcnow():
        raise InvalidInput(f"expected a snooze end in the future, got {until:%Y-%m-%d %H:%M}")
    reminder.snoozed_until = until
    session.commit()
    return reminder


def acknowledge_reminder(session: Session, *, reminder: Reminder) -> Reminder:
    """Mark the reminder seen and dealt with: it leaves the list for good."""
    if reminder.acknowledged_at is None:
        reminder.acknowledged_at = utcnow()
    session.commit()
    return reminder
