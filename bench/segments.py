"""Segments: a 4-hour ride matched against 10,000 (and 100,000) stored segments, and a
leaderboard over many efforts, on SQLite (a file, as `bikenode serve` runs it).

Measured, median and p95 over the runs:

- indexed: what the event subscriber does for a new ride — the ride's grid cells, the
  candidate query on the (start_cell) index, then the full matcher on each candidate;
  targets (issue 19): < 50 ms at 10,000 segments, < 200 ms at 100,000 (p95);
- naive: the same matcher over every segment, no index (each still rejected by its bounding
  box first, which is the cheapest honest all-pairs matcher); the ratio is naive / indexed;
- leaderboard: one board page (best per rider, privacy zones checked) over E efforts;
  target < 20 ms p95 with 100,000 efforts.

N rides: generated 4-hour rides (14,400 one-second samples) along winding roads in a
100 km square; segments are random stretches of 0.5 to 5 km in that square, plus 20 cut
from each ride (true efforts the matcher must find: the table prints how many it found).

Run: PYTHONPATH=src:. .venv/bin/python bench/segments.py [--full] [--runs 7]
     [--databases sqlite,postgresql] [--board-only]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session
from tests.servers import postgres_server

from bikenode import rides as rides_domain
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.segments import repo, service
from bikenode.segments.bests import rebuild_bests
from bikenode.segments.logic.geometry import cell_of, cells_near_track, make_shape
from bikenode.segments.logic.matching import (
    GATE_HALF_WIDTH_M,
    SegmentPath,
    Track,
    clean_track,
    match_segment,
    prepare_segment,
)
from bikenode.segments.models import Effort, Segment
from bikenode.segments.privacy import segment_positions

LAT0, LON0 = 46.0, 14.0
M_PER_DEG = math.radians(1.0) * 6_371_008.8
AREA_M = 100_000.0
TRUE_PER_RIDE = 20
T = TypeVar("T")


def degrees(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return LAT0 + xy[:, 1] / M_PER_DEG, LON0 + xy[:, 0] / (M_PER_DEG * math.cos(math.radians(LAT0)))


def wander(rng: np.random.Generator, length_m: float, step_m: float = 8.0) -> np.ndarray:
    """A road of smooth bends from a random point of the square (kept inside it)."""
    n = int(length_m / step_m)
    heading = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0.0, 0.03, n))
    xy = np.cumsum(np.column_stack((np.cos(heading), np.sin(heading))) * step_m, axis=0)
    xy += rng.uniform(0.2, 0.8, 2) * AREA_M
    return np.clip(xy, 0.0, AREA_M)


def four_hour_ride(rng: np.random.Generator) -> Track:
    xy = wander(rng, 4 * 3600 * 8.0)  # 14,400 samples at 8 m/s
    xy += rng.normal(0.0, 3.0, xy.shape)  # GPS noise
    lat, lon = degrees(xy)
    return clean_track(1.78e9 + np.arange(len(lat), dtype=np.float64), lat, lon)


def segment_row(
    owner: uuid.UUID, lat: np.ndarray, lon: np.ndarray, simplify: bool = True
) -> dict[str, object]:
    """A segments row; the random ones skip simplification (already coarse: 100 m steps)."""
    if simplify:
        shape = make_shape(lat, lon, None)
        lat, lon = shape.lat_deg, shape.lon_deg
    points = [[float(a), float(b), None] for a, b in zip(lat, lon, strict=True)]
    start, end = (float(lat[0]), float(lon[0])), (float(lat[-1]), float(lon[-1]))
    return {
        "id": uuid.uuid4(),
        "owner_id": owner,
        "name": "s",
        "sport": "cycling",
        "visibility": "public",
        "source_ride_id": None,
        "points": points,
        "distance_m": 1_000.0,
        "elevation_gain_m": None,
        "avg_grade_pct": None,
        "start_lat": start[0],
        "start_lon": start[1],
        "end_lat": end[0],
        "end_lon": end[1],
        "start_cell": cell_of(*start),
        "end_cell": cell_of(*end),
        "created_at": datetime.now(UTC),
    }


def fill_segments(session: Session, rides: list[Track], count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    owner = uuid.uuid4()
    rows = []
    for track in rides:
        for k in range(TRUE_PER_RIDE):
            first = 300 + k * 600
            last = first + int(rng.integers(100, 500))
            rows.append(segment_row(owner, track.lat_deg[first:last], track.lon_deg[first:last]))
    while len(rows) < count:
        lat, lon = degrees(wander(rng, rng.uniform(500.0, 5_000.0), step_m=100.0))
        rows.append(segment_row(owner, lat, lon, simplify=False))
    for first in range(0, len(rows), 5_000):
        session.execute(insert(Segment), rows[first : first + 5_000])
    session.commit()


def indexed_match(session: Session, track: Track) -> int:
    cells = cells_near_track(track.lat_deg, track.lon_deg, GATE_HALF_WIDTH_M)
    found = 0
    for segment in repo.candidate_segments(session, cells=cells, rider_id=uuid.uuid4()):
        lat, lon = segment_positions(segment)
        found += len(match_segment(track, prepare_segment(lat, lon)))
    session.rollback()
    return found


def naive_match(track: Track, prepared: list[SegmentPath]) -> int:
    return sum(len(match_segment(track, segment)) for segment in prepared)


def timed(run: Callable[[], T], runs: int) -> tuple[float, float, T]:
    """Median and p95 milliseconds of the runs, and the last run's result."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return (
        statistics.median(times),
        times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)],
        result,
    )


def fill_efforts(session: Session, segment_id: uuid.UUID, count: int, riders: int) -> None:
    rng = np.random.default_rng(7)
    owners = [uuid.uuid4() for _ in range(riders)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "segment_id": segment_id,
            "ride_id": uuid.uuid4(),
            "owner_id": owners[int(rng.integers(riders))],
            "ride_visibility": "public" if rng.random() < 0.9 else "private",
            "started_at": start + timedelta(minutes=int(rng.integers(0, 400_000))),
            "elapsed_s": float(rng.uniform(300, 900)),
            "moving_s": 300.0,
            "avg_power_w": None,
            "avg_hr_bpm": None,
            "start_index": 0,
            "end_index": 1,
            "created_at": start,
        }
        for _ in range(count)
    ]
    for first in range(0, count, 10_000):
        session.execute(insert(Effort), rows[first : first + 10_000])
    rebuild_bests(session)  # what the subscriber keeps up to date ride by ride
    session.commit()


@contextlib.contextmanager
def database(name: str) -> Iterator[str]:
    """A SQLite file in a temporary folder, or a real PostgreSQL server on loopback."""
    if name == "postgresql":
        with postgres_server() as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="also 100,000 segments and efforts")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rides", type=int, default=3)
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgresql")
    parser.add_argument("--board-only", action="store_true", help="only the leaderboard part")
    args = parser.parse_args()
    for name in args.databases.split(","):
        print(f"\n{name}")
        with database(name) as url:
            run_board(url, args) if args.board_only else run(url, args)


def run(url: str, args: argparse.Namespace) -> None:
    """Fill one database and print its table."""
    rng = np.random.default_rng(19)
    rides = [four_hour_ride(rng) for _ in range(args.rides)]
    sizes = [10_000, 100_000] if args.full else [10_000]
    print(
        f"{'segments':>9} {'rides':>5} {'indexed med':>11} {'p95':>7} {'naive med':>10} "
        f"{'ratio':>6} {'efforts found':>14}"
    )
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    filled = 0
    for size in sizes:
        with sessions() as session:
            fill_segments(session, rides if filled == 0 else [], size - filled, seed=size)
            filled = size
        with sessions() as session:
            medians, p95s, found = [], [], 0
            for track in rides:
                med, p95, result = timed(
                    functools.partial(indexed_match, session, track), args.runs
                )
                medians.append(med)
                p95s.append(p95)
                found += result
            prepared = [prepare_segment(*segment_positions(s)) for s in session.query(Segment)]
        naive_med, _, naive_found = timed(functools.partial(naive_match, rides[0], prepared), 1)
        ratio = naive_med / statistics.median(medians[:1])
        print(
            f"{size:>9,} {len(rides):>5} {statistics.median(medians):>9.1f}ms "
            f"{max(p95s):>5.1f}ms {naive_med:>8.0f}ms {ratio:>5.0f}x "
            f"{found:>5}/{TRUE_PER_RIDE * len(rides)} (naive {naive_found})"
        )
    board(sessions, args)
    engine.dispose()


def run_board(url: str, args: argparse.Namespace) -> None:
    """Only the leaderboard part, on one segment."""
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        lat, lon = degrees(np.array([[0.0, 0.0], [1_000.0, 0.0]]))
        session.execute(insert(Segment), [segment_row(uuid.uuid4(), lat, lon, simplify=False)])
        session.commit()
    board(sessions, args)
    engine.dispose()


def board(sessions: Callable[[], Session], args: argparse.Namespace) -> None:
    """Time one board page, then again with the best rides of 20 of its top 50 riders
    hidden by a moderator (each of those riders then shows their next-best effort)."""
    efforts = 100_000 if args.full else 20_000
    with sessions() as session:
        segment = session.query(Segment).first()
        assert segment is not None
        fill_efforts(session, segment.id, efforts, riders=5_000)
        page = functools.partial(
            service.leaderboard, session, segment=segment, viewer_id=uuid.uuid4(), period="year"
        )
        med, p95, rows = timed(page, args.runs)
        hidden = [row.effort.ride_id for row in rows[:50:2][:20]]
        with hidden_rides(hidden):
            hid_med, hid_p95, hid_rows = timed(page, args.runs)
    print(
        f"\nleaderboard page over {efforts:,} efforts of 5,000 riders: "
        f"median {med:.1f} ms, p95 {p95:.1f} ms ({len(rows)} lines; target < 20 ms p95)"
        f"\n  with {len(hidden)} top rides hidden by a moderator: "
        f"median {hid_med:.1f} ms, p95 {hid_p95:.1f} ms ({len(hid_rows)} lines)"
    )


@contextlib.contextmanager
def hidden_rides(ride_ids: list[uuid.UUID]) -> Iterator[None]:
    """Rides' moderation hook answering that a moderator hid these rides."""
    before = rides_domain.current_audience()

    class Hidden:
        def __getattr__(self, name: str) -> object:
            return getattr(before, name)

        def withheld_rides(self) -> Select[uuid.UUID]:
            # correlate(None): a list of ids, not a filter on the outer efforts row
            return select(Effort.ride_id).where(Effort.ride_id.in_(ride_ids)).correlate(None)

    rides_domain.register_audience(Hidden())  # type: ignore[arg-type]
    try:
        yield
    finally:
        rides_domain.register_audience(before)


if __name__ == "__main__":
    main()
