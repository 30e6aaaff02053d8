"""Assigning rides records exactly the crossings a full recompute would.

`record_crossings` skips parts whose pending thresholds their interval's summed usage (an
aggregate query) cannot reach, and loads rides only for the rest. Over random sequences
of rides put on bikes, moved between them and taken off, in any start order (back-filled
ones included), the reminders recorded must equal a reference built from the pure rules:
after every step, every part's crossings recomputed from all of the rider's rides, each
(part, threshold, interval) kept the first time it appears (exactly once).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.bikes import assignments, maintenance, repo, service
from bikenode.bikes.garage import Garage, current_interval, interval_of
from bikenode.bikes.logic import usage as rules
from bikenode.bikes.logic.crossings import crossings
from bikenode.bikes.models import Reminder
from bikenode.db.base import utcnow
from bikenode.rides import RideTotals
from tests.service_factories import make_user

START = datetime(2024, 1, 1, tzinfo=UTC)
KM = 1000.0

Key = tuple[uuid.UUID, str, datetime]
Seen = tuple[datetime, str, float, float, int]


def _garage(session: Session, owner: uuid.UUID) -> list[uuid.UUID]:
    """Three bikes; chains with short distance or moving-time intervals, one with starting
    usage; a wheelset (with a tyre inside) that spends a spell on the second bike."""
    bikes = [
        service.create_bike(session, owner_id=owner, fields={"name": f"b{n}", "type": "road"}).id
        for n in range(3)
    ]
    limits = (
        {"interval_distance_m": 400 * KM},
        {"interval_moving_s": 20 * 3600.0},
        {"interval_distance_m": 600 * KM, "start_distance_m": 350 * KM},
    )
    for bike, extra in zip(bikes, limits, strict=True):
        service.create_component(
            session,
            owner_id=owner,
            fields={"type": "chain", **extra},
            bike_id=bike,
            installed_at=START,
        )
    wheelset = service.create_component(
        session,
        owner_id=owner,
        fields={"type": "wheelset", "interval_distance_m": 900 * KM},
        bike_id=bikes[0],
        installed_at=START,
    )
    service.create_component(
        session,
        owner_id=owner,
        fields={"type": "tyre", "interval_distance_m": 500 * KM},
        parent_id=wheelset.id,
        installed_at=START,
        position="rear",
    )
    service.install_component(
        session,
        owner_id=owner,
        component_id=wheelset.id,
        bike_id=bikes[1],
        parent_id=None,
        installed_at=START + timedelta(days=100),
    )
    service.install_component(
        session,
        owner_id=owner,
        component_id=wheelset.id,
        bike_id=bikes[0],
        parent_id=None,
        installed_at=START + timedelta(days=200),
    )
    return bikes


def _full_recompute(session: Session, owner: uuid.UUID) -> dict[Key, Seen]:
    """Every part's crossings by now, from all of the rider's rides."""
    garage, now = Garage.load(session, owner), utcnow()
    found: dict[Key, Seen] = {}
    for component in repo.components_of(session, owner):
        if component.retired_at is not None or interval_of(component).empty:
            continue
        where = rules.placements(component.id, garage.windows)
        current = current_interval(garage, component, where)
        rides = [r for r in garage.rides if rules.counts(current.placements, r)]
        for c in crossings(
            interval_of(component),
            start=current.start,
            since=current.since,
            rides=rides,
            now=now,
        ):
            found[(component.id, c.threshold, current.since)] = (
                c.at,
                c.limit,
                round(c.usage.distance_m, 3),
                round(c.usage.moving_s, 3),
                c.usage.rides,
            )
    return found


def _recorded(session: Session, owner: uuid.UUID) -> dict[Key, Seen]:
    rows = session.scalars(select(Reminder).where(Reminder.owner_id == owner))
    return {
        (r.component_id, r.threshold, _utc(r.interval_start)): (
            _utc(r.crossed_at),
            r.limit,
            round(r.distance_m, 3),
            round(r.moving_s, 3),
            r.rides,
        )
        for r in rows
    }


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_assigning_records_what_a_full_recompute_finds(session: Session, seed: int) -> None:
    rng = random.Random(seed)
    owner = make_user(session)
    bikes = _garage(session, owner)
    reference = _recorded(session, owner)  # what the garage's own changes recorded
    placed: list[RideTotals] = []
    for step in range(45):
        if placed and rng.random() < 0.25:
            ride = rng.choice(placed)  # moved to another bike, or off every bike
        else:
            km = rng.uniform(20, 90)
            started = START + timedelta(days=rng.uniform(0, 330))  # back-filled in any order
            ride = RideTotals(
                uuid.uuid4(), owner, "cycling", None, started, km * KM, km / 27 * 3600, km * 9
            )
            placed.append(ride)
        bike = None if rng.random() < 0.1 else rng.choice(bikes)
        assignments.assign_ride(session, ride=ride, bike_id=bike)
        if step == 30:  # a service part-way: the chain's interval starts again
            chain = repo.components_of(session, owner)[0]
            maintenance.log_service(
                session,
                owner_id=owner,
                component_id=chain.id,
                kind="service",
                done_at=START + timedelta(days=150),
                cost=None,
                notes="",
            )
        for key, seen in _full_recompute(session, owner).items():
            reference.setdefault(key, seen)  # exactly once: the first sighting stays
        assert _recorded(session, owner) == reference, f"step {step}"
    assert len(reference) >= 4  # the sequence did cross thresholds, both kinds
    assert {t for _, t, _ in reference} == {"warn", "due"}
