"""Feed: a page of the followed riders' rides, and what a new ride costs its rider.

The world (issue 18): 10,000 riders, a power-law follower graph (5 stars followed by 5,000
riders each, everyone else following a few riders picked with weights 1/rank), and 100,000
rides (60% public, 30% followers-only, 10% private) over two years. Viewers follow exactly
N riders (10, 100, 1,000) picked the same way. Measured on SQLite (a file, as `bikenode
serve` runs it) and on a throw-away PostgreSQL on loopback:

- a feed page (20 rides, newest first, kudos and comment counts, the figures others see) as
  `GET /api/v1/feed` computes it, first page and third page by cursor: p50 and p95 over the
  viewers; target p95 < 50 ms;
- the same with club posts (the feed merges the posts of the viewer's clubs): viewers who
  follow 100 riders and are members of 20 of the 500 clubs, which hold a post for every
  five rides;
- a new ride from a star (5,000 followers): BikeNode fans out on read, so the cost is one row
  and one commit whatever the followers; beside it, what fan-out on write would add (one
  feed row per follower, 5,000 rows in the same commit).

`--scale 0.2` builds a fifth of the world (the table says which); the full world takes a
few minutes to build on PostgreSQL.

Run: PYTHONPATH=src:. .venv/bin/python bench/feed.py [--scale 1.0] [--runs 30]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Column, Engine, MetaData, Table, Uuid, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.servers import postgres_server

from bikenode.accounts.models import User
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.rides import register_audience
from bikenode.rides.models import Ride
from bikenode.social import AUDIENCE
from bikenode.social.clubs.models import Club, ClubMember, ClubPost
from bikenode.social.feed import feed
from bikenode.social.models import Follow

STARS, STAR_FOLLOWERS = 5, 5_000
VIEWER_FOLLOWS = (10, 100, 1_000)
CLUBS, VIEWER_CLUBS, RIDES_PER_POST = 500, 20, 5
CLUB_VIEWERS = "100 + 20 clubs"
BATCH = 5_000
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _batched(rows: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert(engine: Engine, table: object, rows: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        for batch in _batched(rows):
            connection.execute(insert(table), batch)  # type: ignore[arg-type]


class Picker:
    """Riders picked with weights 1/rank (rank 0 the most followed): a power law."""

    def __init__(self, riders: list[uuid.UUID]) -> None:
        self.riders = riders
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(riders))))

    def pick(self, rng: random.Random, n: int) -> set[uuid.UUID]:
        chosen: set[uuid.UUID] = set()
        while len(chosen) < min(n, len(self.riders)):
            at = bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])
            chosen.add(self.riders[min(at, len(self.riders) - 1)])
        return chosen


def build(engine: Engine, users: int, rides: int, seed: int) -> dict[int | str, list[uuid.UUID]]:
    """The world; returns viewers by how many riders each follows (and clubs)."""
    rng = random.Random(seed)
    riders = [uuid.uuid4() for _ in range(users)]
    _insert(
        engine,
        User,
        [
            {"id": r, "email": f"r{n}@bench.test", "password_hash": "-", "display_name": f"R{n}"}
            for n, r in enumerate(riders)
        ],
    )
    stars, others = riders[:STARS], riders[STARS:]
    picker = Picker(others)
    follows: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for star in stars:
        follows |= {(f, star) for f in rng.sample(others, min(STAR_FOLLOWERS, len(others)))}
    for follower in others:
        count = min(int(rng.expovariate(1 / 10)) + 1, 200)
        follows |= {(follower, f) for f in picker.pick(rng, count) if f != follower}
    viewers: dict[int | str, list[uuid.UUID]] = {}
    for n in (*VIEWER_FOLLOWS, CLUB_VIEWERS):
        viewers[n] = [uuid.uuid4() for _ in range(10)]
        _insert(
            engine,
            User,
            [
                {"id": v, "email": f"{v}@bench.test", "password_hash": "-", "display_name": "V"}
                for v in viewers[n]
            ],
        )
        for viewer in viewers[n]:
            follows |= {(viewer, f) for f in picker.pick(rng, n if isinstance(n, int) else 100)}
    _insert(
        engine,
        Follow,
        [
            {"user_id": a, "followee_id": b, "status": "accepted", "created_at": NOW}
            for a, b in follows
        ],
    )
    visibilities = ["public"] * 6 + ["followers"] * 3 + ["private"]
    _insert(
        engine,
        Ride,
        [
            {
                "id": uuid.uuid4(),
                "owner_id": stars[n % STARS] if n % 50 == 0 else rng.choice(riders),
                "name": f"ride {n}",
                "visibility": rng.choice(visibilities),
                "started_at": NOW - timedelta(seconds=rng.randrange(2 * 365 * 86400)),
                "distance_m": 30_000.0,
                "moving_time_s": 3600.0,
                "elevation_gain_m": 300.0,
                "source_format": "gpx",
                "source_sha256": f"{n:064x}",
                "summary": {},
                "import_notes": [],
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(rides)
        ],
    )
    _clubs(engine, rng, riders, viewers[CLUB_VIEWERS], rides // RIDES_PER_POST)
    return viewers


def _clubs(
    engine: Engine,
    rng: random.Random,
    riders: list[uuid.UUID],
    viewers: list[uuid.UUID],
    posts: int,
) -> None:
    """CLUBS clubs, each with an owner and 20 members; each viewer in VIEWER_CLUBS of them;
    `posts` posts by the clubs' members over two years."""
    clubs = [uuid.uuid4() for _ in range(CLUBS)]
    _insert(
        engine, Club, [{"id": c, "name": f"club {n}", "sport": "road"} for n, c in enumerate(clubs)]
    )
    members: dict[uuid.UUID, list[uuid.UUID]] = {c: rng.sample(riders, 20) for c in clubs}
    rows: list[dict[str, object]] = [
        {"club_id": c, "user_id": u, "role": "owner" if k == 0 else "member", "status": "active"}
        for c, people in members.items()
        for k, u in enumerate(people)
    ]
    rows += [
        {"club_id": c, "user_id": v, "role": "member", "status": "active"}
        for v in viewers
        for c in rng.sample(clubs, VIEWER_CLUBS)
    ]
    _insert(engine, ClubMember, rows)
    made: list[dict[str, object]] = []
    for n in range(posts):
        club = rng.choice(clubs)
        at = NOW - timedelta(seconds=rng.randrange(2 * 365 * 86400))
        made.append({"id": uuid.uuid4(), "club_id": club, "user_id": rng.choice(members[club]),
                     "body": f"post {n}", "created_at": at})  # fmt: skip
    _insert(engine, ClubPost, made)


def _timed_feed(
    session: Session, viewer: uuid.UUID, cursor: str | None
) -> tuple[float, str | None]:
    """Milliseconds of one feed page, and the cursor of the next."""
    started = time.perf_counter()
    _, next_cursor = feed(session, viewer_id=viewer, limit=20, cursor=cursor)
    return (time.perf_counter() - started) * 1000, next_cursor


def feed_pages(
    sessions: sessionmaker[Session], viewers: list[uuid.UUID], runs: int
) -> tuple[list[float], list[float]]:
    """Times of the first and the third page, each viewer `runs` times over."""
    first: list[float] = []
    third: list[float] = []
    with sessions() as session:  # warm: the first query of a process loads more
        _timed_feed(session, viewers[0], None)
    for viewer in viewers * max(1, runs // len(viewers)):
        with sessions() as session:
            took, cursor = _timed_feed(session, viewer, None)
            first.append(took)
            _, cursor = _timed_feed(session, viewer, cursor)
            third.append(_timed_feed(session, viewer, cursor)[0])
    return first, third


FANOUT = Table("bench_feed_fanout", MetaData(), Column("viewer_id", Uuid), Column("ride_id", Uuid))


def new_ride_costs(
    engine: Engine, sessions: sessionmaker[Session], star: uuid.UUID, runs: int
) -> tuple[float, float, int]:
    """Median ms of a star's new ride as stored (fan-out on read), and with one feed row
    per follower written in the same commit (fan-out on write)."""
    FANOUT.create(engine, checkfirst=True)
    with sessions() as session:
        followers = list(session.scalars(select(Follow.user_id).where(Follow.followee_id == star)))
    on_read: list[float] = []
    on_write: list[float] = []
    for n in range(runs):
        for fan_out, times in ((False, on_read), (True, on_write)):
            ride_id = uuid.uuid4()
            row = Ride(
                id=ride_id, owner_id=star, name="new", visibility="public",
                started_at=NOW, source_format="gpx", source_sha256=f"new{n}{fan_out}",
            )  # fmt: skip

            def store(
                row: Ride = row, ride_id: uuid.UUID = ride_id, fan_out: bool = fan_out
            ) -> None:
                with sessions() as session:
                    session.add(row)
                    if fan_out:
                        session.flush()
                        session.execute(
                            insert(FANOUT),
                            [{"viewer_id": f, "ride_id": ride_id} for f in followers],
                        )
                    session.commit()

            started = time.perf_counter()
            store()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(on_read), statistics.median(on_write), len(followers)


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


def main(scale: float, runs: int) -> None:
    register_audience(AUDIENCE)  # as create_app does
    users, rides = int(10_000 * scale), int(100_000 * scale)
    rows = []
    for name in ("SQLite", "PostgreSQL"):
        with _database(name) as url:
            engine = create_db_engine(url)
            upgrade_to_head(engine)
            started = time.perf_counter()
            viewers = build(engine, users, rides, seed=1)
            with engine.begin() as connection:  # as autovacuum would after a bulk load
                connection.execute(text("ANALYZE"))
            built_s = time.perf_counter() - started
            sessions = make_session_factory(engine)
            for n, group in viewers.items():
                first, third = feed_pages(sessions, group, runs)
                rows.append((name, n, statistics.median(first), p95(first), p95(third)))
            star_id = _star(sessions)
            on_read, on_write, fans = new_ride_costs(engine, sessions, star_id, max(5, runs // 3))
            rows.append((name, -fans, on_read, on_write, built_s))
            engine.dispose()
    print(
        f"feed: {users:,} riders, {rides:,} rides, {STARS} stars with up to {STAR_FOLLOWERS:,}"
        f" followers (scale {scale}); 10 viewers per row; pages of 20; target p95 < 50 ms"
    )
    print(f"{'database':<12} {'follows':>14} {'p50 ms':>8} {'p95 ms':>8} {'p95 page 3':>11}")
    for name, n, a, b, c in rows:
        if isinstance(n, str) or n >= 0:
            label = n if isinstance(n, str) else f"{n:,}"
            print(f"{name:<12} {label:>14} {a:>8.1f} {b:>8.1f} {c:>11.1f}")
    print("\nnew ride from the most followed rider: fan-out on read (BikeNode) and on write")
    print(f"{'database':<12} {'followers':>9} {'read ms':>8} {'write ms':>9} {'ratio':>6}  built")
    for name, n, a, b, c in rows:
        if isinstance(n, int) and n < 0:
            print(f"{name:<12} {-n:>9,} {a:>8.1f} {b:>9.1f} {b / a:>5.0f}x  {c:.0f} s")


def _star(sessions: sessionmaker[Session]) -> uuid.UUID:
    """The most followed rider."""
    with sessions() as session:
        count = func.count()
        star: uuid.UUID = session.execute(
            select(Follow.followee_id, count).group_by(Follow.followee_id).order_by(count.desc())
        ).first()[0]  # type: ignore[index]
        return star


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=30)
    arguments = parser.parse_args()
    main(arguments.scale, arguments.runs)
