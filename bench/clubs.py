"""Clubs: the weekly leaderboard of a small club and of a full one (2,000 members).

Each club member has 25 rides over a year (60% public, 30% followers-only, 10% private), the
world around them 20,000 rides of other riders. A leaderboard is what
`GET /api/v1/clubs/{id}/leaderboard` computes: the members' shared rides of one ISO week
summed through rides' public interface (one query, the members as a sub-select), ranked, the
first 50 named. p50 and p95 over the runs, on SQLite (a file) and a throw-away PostgreSQL on loopback, and the ratio of the
full club to the small one (the cost grows with the members, not with the whole table).

Run: PYTHONPATH=src:. .venv/bin/python bench/clubs.py [--runs 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker
from tests.servers import postgres_server

from bikenode.accounts.models import User
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.rides.models import Ride
from bikenode.social.clubs.activity import leaderboard
from bikenode.social.clubs.models import Club, ClubMember
from bikenode.social.clubs.service import MAX_MEMBERS, ClubAccess

SIZES = (100, MAX_MEMBERS)
RIDES_PER_MEMBER = 25
OTHER_RIDES = 20_000
WEEK = "2026-W23"
MONDAY = datetime(2026, 6, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _ride(n: int, owner: uuid.UUID, rng: random.Random) -> dict[str, object]:
    # A year of rides around the measured week, one in eight inside it.
    inside = rng.random() < 0.125
    start = MONDAY + timedelta(seconds=rng.randrange(7 * 86400)) if inside else (
        MONDAY - timedelta(days=180) + timedelta(seconds=rng.randrange(365 * 86400))
    )  # fmt: skip
    return {
        "id": uuid.uuid4(), "owner_id": owner, "name": f"ride {n}",
        "visibility": rng.choice(["public"] * 6 + ["followers"] * 3 + ["private"]),
        "started_at": start, "distance_m": rng.uniform(10e3, 150e3),
        "moving_time_s": rng.uniform(1800, 20000), "elevation_gain_m": rng.uniform(0, 3000),
        "source_format": "gpx", "source_sha256": f"{n:064x}", "summary": {},
        "import_notes": [], "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip


def build(engine: Engine, seed: int) -> dict[int, uuid.UUID]:
    """Riders, rides and one club per size; the club ids by size."""
    rng = random.Random(seed)
    riders = [uuid.uuid4() for _ in range(max(SIZES))]
    users = [
        {"id": r, "email": f"r{n}@bench.test", "password_hash": "-", "display_name": f"R{n}"}
        for n, r in enumerate(riders)
    ]
    rides = [_ride(n, riders[n % len(riders)], rng) for n in range(len(riders) * RIDES_PER_MEMBER)]
    rides += [_ride(len(rides) + n, uuid.uuid4(), rng) for n in range(OTHER_RIDES)]
    clubs = {size: uuid.uuid4() for size in SIZES}
    members = [
        {"club_id": club_id, "user_id": r, "role": "member", "status": "active",
         "created_at": NOW, "joined_at": NOW}
        for size, club_id in clubs.items()
        for r in riders[:size]
    ]  # fmt: skip
    with engine.begin() as connection:
        for table, rows in ((User, users), (Ride, rides)):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])
        connection.execute(
            insert(Club),
            [{"id": c, "name": f"club {s}", "description": "", "sport": "cycling",
              "private": False, "created_at": NOW, "updated_at": NOW} for s, c in clubs.items()],
        )  # fmt: skip
        connection.execute(insert(ClubMember), members)
    return clubs


def timed(sessions: sessionmaker[Session], club_id: uuid.UUID, runs: int) -> list[float]:
    """Milliseconds of `runs` leaderboards of the club, each in a fresh session."""
    times = []
    for _ in range(runs + 1):
        with sessions() as session:
            club = session.get_one(Club, club_id)
            access = ClubAccess(club, None, None, None)
            started = time.perf_counter()
            board = leaderboard(session, access=access, week=WEEK, board="distance")
            times.append((time.perf_counter() - started) * 1000)
            if not board.rows:
                raise RuntimeError("expected riders on the board")
    return times[1:]  # the first warms the process


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


@contextmanager
def _database(name: str) -> Iterator[str]:
    if name == "PostgreSQL":
        with postgres_server() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


def main(runs: int) -> None:
    rows: list[tuple[str, int, float, float, float | None]] = []
    for name in ("SQLite", "PostgreSQL"):
        with _database(name) as url:
            engine = create_db_engine(url)
            upgrade_to_head(engine)
            clubs = build(engine, seed=1)
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
            sessions = make_session_factory(engine)
            medians = {}
            for size, club_id in clubs.items():
                took = timed(sessions, club_id, runs)
                medians[size] = statistics.median(took)
                rows.append((name, size, medians[size], p95(took), None))
            small, full = SIZES
            rows.append((name, -1, medians[small], medians[full], medians[full] / medians[small]))
            engine.dispose()
    total = max(SIZES) * RIDES_PER_MEMBER + OTHER_RIDES
    print(f"club leaderboard: {total:,} rides, {RIDES_PER_MEMBER} per member, week {WEEK}")
    print(f"{'database':<12} {'members':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, size, a, b, _ in rows:
        if size >= 0:
            print(f"{name:<12} {size:>8,} {a:>8.1f} {b:>8.1f}")
    print(f"\n{'database':<12} {'ratio p50 full / small club':>28}")
    for name, size, _, _, ratio in rows:
        if size < 0:
            print(f"{name:<12} {ratio:>28.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    main(parser.parse_args().runs)
