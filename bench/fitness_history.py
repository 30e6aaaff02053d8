"""A rider's 10-year history through the fitness domain, on a real (SQLite) database.

Imports N rides (power and heart rate, 30 min to 2.5 h at 1 Hz, spread over 10 years) through
the import service, then times the two recomputations the issue sets targets for. Importing
5,000 GPX files takes minutes, so past --distinct rides (500 by default) the rest are copies of
imported ones on other days: each copy's ride row and streams as the importer stored them, its
health streams sealed again under its own id (--distinct N for N distinct rides).

- from stored streams: the recompute job (bikenode.fitness.tasks.recompute_rides) with
  from_streams, as after a change of the curve maths: decoding every ride's streams and
  computing its stress and power curve (target for 5,000 rides: < 30 s);
- from stored per-ride figures: the same job as a threshold change starts it (stress from
  each ride's stored figures, no stream read); the 10-year fitness/fatigue/form series the load endpoint
  answers (bikenode.fitness.reports.load_days) and the all-time power curve (targets < 1 s
  and < 50 ms).

No peer does these over a database, so the rows stand against the targets. Used by
bench/fitness.py (its "history" rows); run alone: python bench/fitness_history.py [--rides N]
"""

from __future__ import annotations

import argparse
import base64
import math
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's tests package

from sqlalchemy.orm import Session, sessionmaker
from tests.service_factories import make_user

from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.encryption import KeyRing, current_key_ring, install_key_ring
from bikenode.fitness import repo, reports, service, tasks
from bikenode.fitness.rules import DatedValue
from bikenode.rides.imports import RiderContext, import_activity
from bikenode.rides.models import Ride, RideStreams
from bikenode.rides.storage import health_context

FIRST_DAY = date(2016, 1, 1)
YEARS = 10


@dataclass(frozen=True)
class HistoryTimes:
    rides: int
    points: int
    import_s: float
    from_streams_s: float
    recompute_from_figures_s: float
    load_from_figures_s: float
    curve_from_figures_s: float


def ride_gpx(start: datetime, seconds: int, seed: int) -> bytes:
    """A 1 Hz ride with heart rate and power, built with numpy (the bench imports thousands)."""
    rng = np.random.default_rng(seed)
    i = np.arange(seconds)
    angle = i / seconds * 2 * math.pi
    lat = 45.0 + (seed % 50) * 0.01 + 0.05 * np.sin(angle)
    lon = 6.0 + 0.08 * (1 - np.cos(angle))
    ele = 300 + 40 * np.sin(3 * angle)
    surges = np.repeat(rng.choice([0.0, 220.0], size=seconds // 30 + 1, p=[0.85, 0.15]), 30)
    power = np.clip(rng.normal(190, 60, seconds) + surges[:seconds], 0, 1500).round()
    heart = np.clip(125 + power / 12 + rng.normal(0, 3, seconds), 60, 200).round()
    first = np.datetime64(start.replace(tzinfo=None), "s")
    stamps = np.datetime_as_string(first + i.astype("timedelta64[s]"), unit="s")
    points = "".join(
        f'<trkpt lat="{a:.6f}" lon="{o:.6f}"><ele>{e:.1f}</ele><time>{t}Z</time><extensions>'
        f"<power>{p:.0f}</power><gpxtpx:TrackPointExtension><gpxtpx:hr>{h:.0f}</gpxtpx:hr>"
        "</gpxtpx:TrackPointExtension></extensions></trkpt>"
        for a, o, e, t, p, h in zip(lat, lon, ele, stamps, power, heart, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="bench"'
        ' xmlns="http://www.topografix.com/GPX/1/1"'
        ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>Ride {seed}</name><type>cycling</type><trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


def measure(
    rides: int, *, distinct: int | None = None, repeats: int = 5, progress: bool = True
) -> HistoryTimes:
    install_key_ring(KeyRing([("bench-key", base64.b64decode(base64.b64encode(bytes(32))))]))
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        upgrade_to_head(engine)
        factory = make_session_factory(engine)
        try:
            imported = rides if distinct is None else min(distinct, rides)
            owner_id, points, import_s = _import_history(factory, rides, imported, progress)
            from_streams_s = _recompute(factory, owner_id, from_streams=True)
            from_figures_s = _recompute(factory, owner_id, from_streams=False)
            with factory() as session:
                end = FIRST_DAY + timedelta(days=365 * YEARS)
                load_s = _median(
                    lambda: reports.load_days(session, owner_id=owner_id, start=FIRST_DAY, end=end),
                    repeats,
                )
                curve_s = _median(
                    lambda: reports.power_curve(
                        session, owner_id=owner_id, start=FIRST_DAY, end=end
                    ),
                    repeats,
                )
        finally:
            engine.dispose()
    return HistoryTimes(rides, points, import_s, from_streams_s, from_figures_s, load_s, curve_s)


def _import_history(
    factory: sessionmaker[Session], rides: int, distinct: int, progress: bool
) -> tuple[uuid.UUID, int, float]:
    """Imports `distinct` rides through the importer, then copies them (in turn) to the
    other days; returns the rider, the points stored and the seconds it took."""
    rng = np.random.default_rng(7)
    span_s = YEARS * 365 * 86400
    starts = np.sort(rng.choice(span_s // 86400, size=rides, replace=rides > span_s // 86400))
    durations = rng.integers(1800, 9000, rides)
    started = time.perf_counter()
    with factory() as session:
        owner_id = make_user(session)
        service.replace_thresholds(
            session,
            owner_id=owner_id,
            values=[
                DatedValue("ftp_w", FIRST_DAY, 250.0),
                DatedValue("ftp_w", date(2020, 3, 1), 265.0),
                DatedValue("max_hr_bpm", FIRST_DAY, 190.0),
                DatedValue("resting_hr_bpm", FIRST_DAY, 50.0),
            ],
        )
        imported: list[uuid.UUID] = []
        points = 0
        for n, (day, seconds) in enumerate(zip(starts, durations, strict=True)):
            start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(
                days=int(day), hours=7, minutes=n % 60
            )
            if n >= distinct:
                points += _copy_ride(session, imported[n % distinct], start)
                if (n + 1) % 500 == 0:
                    session.commit()
                continue
            result = import_activity(
                session,
                rider=RiderContext(owner_id=owner_id),
                filename=f"ride-{n}.gpx",
                data=ride_gpx(start, int(seconds), n),
            )
            if result.ride_id is None:
                raise RuntimeError(f"ride {n} was not imported: {result}")
            session.commit()
            imported.append(result.ride_id)
            points += int(seconds)
            if progress and (n + 1) % 250 == 0:
                print(f"  imported {n + 1:,} of {rides:,} rides", file=sys.stderr, flush=True)
        session.commit()
    return owner_id, points, time.perf_counter() - started


def _copy_ride(session: Session, source_id: uuid.UUID, start: datetime) -> int:
    """A copy of an imported ride starting at `start`, its health streams sealed under its
    new id; returns its points."""
    ride, stored = session.get_one(Ride, source_id), session.get_one(RideStreams, source_id)
    ring = current_key_ring()
    copy_id = uuid.uuid4()
    values = {column.key: getattr(ride, column.key) for column in Ride.__table__.columns}
    values.update(id=copy_id, started_at=start, source_sha256=uuid.uuid4().hex * 2)
    session.add(Ride(**values))
    health = stored.health_data
    if health is not None:  # sealed to its ride: opened and sealed again under the copy's id
        opened = ring.decrypt(health, context=health_context(source_id))
        health = ring.encrypt(opened, context=health_context(copy_id))
    session.add(
        RideStreams(
            ride_id=copy_id,
            data=stored.data,
            point_count=stored.point_count,
            health_data=health,
            health_key_id=stored.health_key_id if health is not None else None,
        )
    )
    return int(stored.point_count)


def _recompute(factory: sessionmaker[Session], owner_id: uuid.UUID, *, from_streams: bool) -> float:
    """Times the recompute job over every ride from day one (from streams or stored figures)."""
    with factory() as session:
        service.schedule_recompute(session, owner_id=owner_id, from_day=FIRST_DAY)
        session.commit()
        row = repo.recompute(session, owner_id)
        assert row is not None
        request_id = row.request_id
    started = time.perf_counter()
    done = tasks.recompute_rides(factory, request_id=request_id, from_streams=from_streams)
    elapsed = time.perf_counter() - started
    with factory() as session:
        status = service.recompute_status(session, owner_id=owner_id)
    if status.status != "done" or done != status.total:
        raise RuntimeError(f"the recompute did not finish: {status}")
    return elapsed


def _median(work: object, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rides", type=int, default=5000)
    parser.add_argument("--distinct", type=int, default=500, help="rides imported, not copied")
    args = parser.parse_args()
    times = measure(args.rides, distinct=args.distinct)
    copies = max(0, args.rides - args.distinct)
    print(
        f"{args.rides:,} rides ({copies:,} of them copies), {times.points:,} points,"
        f" stored in {times.import_s:.0f} s; medians of 5"
    )
    print(f"recompute from stored streams   {times.from_streams_s:8.2f} s  (target < 30 s)")
    print(f"recompute from stored figures   {times.recompute_from_figures_s:8.2f} s  (< 1 s)")
    print(f"10-year load from figures       {times.load_from_figures_s * 1e3:8.1f} ms (< 1 s)")
    print(f"all-time power curve            {times.curve_from_figures_s * 1e3:8.1f} ms (< 50 ms)")


if __name__ == "__main__":
    main()
