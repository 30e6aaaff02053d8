"""Bikes: usage of 50 components over a 10-year history of 5,000 rides, and one new ride.

A rider with 5 bikes, each with 10 components (a wheelset holding tyres, a chain, pads...),
some swapped between bikes over the years, and 5,000 rides over 10 years on SQLite (a file,
as `bikenode serve` runs it). Measured, median of the runs:

- the due list: the usage, interval state and wear prediction of all 50 components,
  computed exactly from the rides (`maintenance.due_list`); target < 1 s;
- assigning a new ride to a bike (`assignments.assign_ride`, the rider's own choice): the
  row written, every component on that bike checked for a threshold crossing, committed;
  target < 10 ms; measured twice: with the long history's thresholds all recorded, and
  after every part was serviced two days before (thresholds pending again);
- the sensors list (`sensors.list_sensors`): 4 sensors read twice on every ride (40,000
  battery readings for 5,000 rides), each sensor's battery state; our own target < 250 ms
  (a page load).

There is no named peer for these; the targets come from issue 17 and are printed beside
the measurements.

Run: PYTHONPATH=src:. .venv/bin/python bench/bikes.py [--quick] [--runs 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bikenode.bikes import assignments, maintenance, sensors
from bikenode.bikes.models import Bike, Component, Installation, RideAssignment, SensorReading
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.rides import RideTotals

START = datetime(2015, 1, 1, tzinfo=UTC)
YEARS = 10
PARTS = ["chain", "cassette", "chainring", "brake_pads", "rotor", "bottom_bracket", "other"]


def build(session: Session, owner_id: uuid.UUID, rides: int, seed: int) -> list[uuid.UUID]:
    """The garage and its history; returns the bikes."""
    rng = random.Random(seed)
    bikes = [
        Bike(id=uuid.uuid4(), owner_id=owner_id, name=f"bike {n}", type="road") for n in range(5)
    ]
    session.add_all(bikes)
    for n, bike in enumerate(bikes):
        wheelset = Component(id=uuid.uuid4(), owner_id=owner_id, type="wheelset")
        tyres = [Component(id=uuid.uuid4(), owner_id=owner_id, type="tyre") for _ in range(2)]
        parts = [Component(id=uuid.uuid4(), owner_id=owner_id, type=t) for t in PARTS]
        session.add_all([wheelset, *tyres, *parts])
        session.flush()
        # The wheelset spends years 3-5 on the next bike, then comes back.
        other = bikes[(n + 1) % len(bikes)].id
        for at, until, on in (
            (START, START + timedelta(days=3 * 365), bike.id),
            (START + timedelta(days=3 * 365), START + timedelta(days=5 * 365), other),
            (START + timedelta(days=5 * 365), None, bike.id),
        ):
            session.add(
                Installation(
                    component_id=wheelset.id, bike_id=on, installed_at=at, removed_at=until
                )
            )
        for position, tyre in zip(("front", "rear"), tyres, strict=True):
            session.add(
                Installation(
                    component_id=tyre.id,
                    parent_component_id=wheelset.id,
                    position=position,
                    installed_at=START,
                )
            )
        for part in parts:
            session.add(
                Installation(
                    component_id=part.id,
                    bike_id=bike.id,
                    installed_at=START,
                    position=part.type if part.type == "other" else "",
                )
            )
    span = YEARS * 365 * 86_400
    for n in range(rides):
        km = rng.uniform(20, 120)
        ride_id = uuid.uuid4()
        started = START + timedelta(seconds=rng.uniform(0, span))
        add_readings(session, owner_id, ride_id, started, n)
        session.add(
            RideAssignment(
                ride_id=ride_id,
                owner_id=owner_id,
                bike_id=rng.choice(bikes).id,
                reason="bench",
                sport="cycling",
                started_at=started,
                distance_m=km * 1000,
                moving_s=km / 27 * 3600,
                elevation_gain_m=km * 8,
            )
        )
    session.commit()
    return [b.id for b in bikes]


SENSORS = (("11", "power_meter"), ("120", "heart_rate"), ("121", "speed_cadence"), ("40", "radar"))


def add_readings(
    session: Session, owner_id: uuid.UUID, ride_id: uuid.UUID, started: datetime, n: int
) -> None:
    """Each sensor's battery at the start and end of the ride, a coin cell wearing down."""
    for serial, kind in SENSORS:
        for hours in (0, 2):
            session.add(
                SensorReading(
                    owner_id=owner_id,
                    ride_id=ride_id,
                    serial=serial,
                    kind=kind,
                    read_at=started + timedelta(hours=hours),
                    status="ok",
                    voltage_v=3.0 - (n % 300) / 300,
                )
            )


def timed(runs: int, action: object) -> float:
    """The median of `runs` timings of action() in milliseconds."""
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rides", type=int, default=5_000)
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        upgrade_to_head(engine)
        factory = make_session_factory(engine)
        owner_id = uuid.uuid4()
        with factory() as session:
            bikes = build(session, owner_id, args.rides, seed=17)
        with factory() as session:
            components = len(maintenance.due_list(session, owner_id=owner_id))
            session.rollback()

            def due_list() -> None:
                maintenance.due_list(session, owner_id=owner_id)
                session.rollback()

            due_ms = timed(runs, due_list)
            assign_runs = runs * 10

            def assign() -> None:
                started = START + timedelta(days=YEARS * 365 - 1, seconds=random.uniform(0, 9e4))
                ride = RideTotals(
                    uuid.uuid4(), owner_id, "cycling", None, started, 42_000.0, 5_600.0, 300.0
                )
                assignments.assign_ride(session, ride=ride, bike_id=bikes[0])

            assign_ms = timed(assign_runs, assign)

            # Every part serviced two days before the new rides: their thresholds are
            # pending again, so each is checked against its interval's usage.
            serviced = START + timedelta(days=YEARS * 365 - 2)
            for part in maintenance.due_list(session, owner_id=owner_id):
                maintenance.log_service(
                    session,
                    owner_id=owner_id,
                    component_id=part.component.id,
                    kind="service",
                    done_at=serviced,
                    cost=None,
                    notes="",
                )
            pending_ms = timed(assign_runs, assign)

            def sensor_list() -> None:
                sensors.list_sensors(session, owner_id=owner_id)
                session.rollback()

            sensors_ms = timed(runs, sensor_list)
        engine.dispose()
    print(f"bikes: {components} components, {args.rides:,} rides over {YEARS} years, SQLite")
    print(f"{'measure':<58} {'median':>10} {'target':>10}")
    rows = (
        (f"due list: usage, state, prediction of {components} parts ({runs} runs)", due_ms, 1000),
        (f"assign a new ride, check its bike's parts ({assign_runs} runs)", assign_ms, 10),
        (f"the same, every part just serviced ({assign_runs} runs)", pending_ms, 10),
        (f"sensors: 4 batteries from {args.rides * 8:,} readings ({runs} runs)", sensors_ms, 250),
    )
    for name, value, target in rows:
        verdict = "ok" if value < target else "OVER"
        print(f"{name:<58} {value:>7.1f} ms {target:>7} ms  {verdict}")


if __name__ == "__main__":
    main()
