"""Market: job state transitions, ledger postings and the open-jobs search on SQLite.

On a SQLite file (as `bikenode serve` runs it), medians of the runs:

- pure transitions/s: `logic.states.apply_transition` over the happy path (no database);
- job transitions/s on the database: start, finish, invoice of 50 accepted jobs through the
  service (state machine, version compare-and-set, outbox event, commit each);
- ledger postings/s: 500 `ledger.transfer` posted transfers (two accounts locked, balances
  checked and updated, the transfer written), one commit each, and 100 per commit;
- paid jobs/s (50 jobs): pay (provider charge), its callback (into escrow, two holds), the review
  (both holds posted): 6 transfers and 3 commits each;
- open jobs near a point: one query among 10,000 open jobs (bounding box, then distance),
  median and p95 in ms;
- `ledger verify` over every transfer written, in ms.

No named peer: TigerBeetle's published figures (~1M transfers/s, batched, on its own
storage engine) are of another kind of system; the ratio printed beside postings is to the
issue's need (a busy node: ~10 payments/s means ~60 postings/s).

About 50 s with --runs 3 on a shared two-core machine. --quick: a fifth of the sizes.

Run: PYTHONPATH=src:. .venv/bin/python bench/market.py [--quick] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bikenode.accounts.models import User
from bikenode.accounts.user_view import view_of
from bikenode.bikes.models import Bike
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.market import ledger, payments, service
from bikenode.market.logic.states import apply_transition
from bikenode.market.models import RepairJob

HAPPY = [
    ("draft", "publish", "rider"),
    ("open", "receive_quote", "mechanic"),
    ("quoted", "accept", "rider"),
    ("accepted", "start", "mechanic"),
    ("in_progress", "finish", "mechanic"),
    ("done", "invoice", "mechanic"),
    ("invoiced", "pay", "system"),
    ("paid", "review", "rider"),
]


def _user(session: Session, role: str) -> User:
    user = User(
        email=f"{role}-{uuid.uuid4().hex[:8]}@example.org",
        password_hash="x",
        display_name=role,
        role=role,
    )
    session.add(user)
    session.commit()
    return user


def _accepted_jobs(session: Session, count: int) -> tuple[list[service.JobAccess], User, User]:
    rider, mechanic = _user(session, "rider"), _user(session, "mechanic")
    bike = Bike(id=uuid.uuid4(), owner_id=rider.id, name="Road", type="road")
    session.add(bike)
    session.commit()
    accesses = []
    until = datetime.now(UTC) + timedelta(days=5)
    for _ in range(count):
        job = service.post_job(
            session,
            owner_id=rider.id,
            bike_id=bike.id,
            component_ids=[],
            title="Bottom bracket",
            description="Creaks",
            lat_deg=51.5,
            lon_deg=-0.12,
            currency="EUR",
            publish_now=True,
        )
        quote = service.submit_quote(
            session,
            mechanic=view_of(mechanic),
            job_id=job.id,
            price_minor=4500,
            currency="EUR",
            message="",
            valid_until=until,
        )
        found_quote, access = service.quote_access(session, user=view_of(rider), quote_id=quote.id)
        service.accept_quote(session, quote=found_quote, access=access)
        accesses.append(service.JobAccess(job, "mechanic", found_quote))
    return accesses, rider, mechanic


def pure_transitions(n: int) -> float:
    started = time.perf_counter()
    for _ in range(n // len(HAPPY)):
        for state, name, actor in HAPPY:
            apply_transition(state, name, actor)  # type: ignore[arg-type]
    return (n // len(HAPPY)) * len(HAPPY) / (time.perf_counter() - started)


def db_transitions(sessions: sessionmaker[Session], jobs: int) -> float:
    with sessions() as session:
        accesses, _, _ = _accepted_jobs(session, jobs)
        started = time.perf_counter()
        for access in accesses:
            for name in ("start", "finish", "invoice"):
                service.take_transition(session, access=access, name=name)
        return 3 * jobs / (time.perf_counter() - started)


def postings(sessions: sessionmaker[Session], count: int, per_commit: int) -> float:
    job_id = uuid.uuid4()
    accounts = ledger.accounts_of(job_id, "EUR")
    with sessions() as session:
        started = time.perf_counter()
        for n in range(count):
            ledger.transfer(
                session,
                transfer_id=f"bench:{job_id}:{n}",
                kind="posted",
                debit=accounts.gateway,
                credit=accounts.escrow,
                amount_minor=100 + n,
                currency="EUR",
            )
            if (n + 1) % per_commit == 0:
                session.commit()
        session.commit()
        return count / (time.perf_counter() - started)


def paid_jobs(sessions: sessionmaker[Session], jobs: int) -> float:
    with sessions() as session:
        accesses, _, _ = _accepted_jobs(session, jobs)
        for access in accesses:
            for name in ("start", "finish", "invoice"):
                service.take_transition(session, access=access, name=name)
        gateway = payments.FakeCardGateway()
        started = time.perf_counter()
        for access in accesses:
            as_rider = service.JobAccess(access.job, "rider", None)
            payments.pay_job(session, access=as_rider, gateway=gateway)
            for callback in gateway.drain():
                payments.apply_provider_event(session, callback=callback)
            payments.review_job(session, access=as_rider, rating=5, text="")
        return jobs / (time.perf_counter() - started)


def open_jobs_query(sessions: sessionmaker[Session], jobs: int, queries: int) -> list[float]:
    rng = random.Random(7)
    with sessions() as session:
        owner = uuid.uuid4()
        session.add_all(
            RepairJob(
                id=uuid.uuid4(),
                owner_id=owner,
                bike_id=None,
                component_ids=[],
                title="Job",
                description="Creaks",
                lat_deg=rng.uniform(45, 55),  # a region 1,100 km tall
                lon_deg=rng.uniform(-5, 10),
                currency="EUR",
                state="open",
                version=1,
                expires_at=datetime.now(UTC) + timedelta(days=30),
            )
            for _ in range(jobs)
        )
        session.commit()
        mechanic = view_of(_user(session, "mechanic"))
        times = []
        for _ in range(queries):
            lat, lon = rng.uniform(46, 54), rng.uniform(-4, 9)
            started = time.perf_counter()
            service.open_jobs_near(session, user=mechanic, lat_deg=lat, lon_deg=lon, radius_km=25)
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
        return times


def verify_ms(sessions: sessionmaker[Session]) -> tuple[float, int]:
    with sessions() as session:
        started = time.perf_counter()
        found = ledger.verify(session)
        elapsed = (time.perf_counter() - started) * 1000
        if found:
            raise SystemExit(f"ledger violations: {found[:3]}")
        return elapsed, len(session.scalars(ledger.select_transfer_ids()).all())


def _median(run: Callable[[], float], runs: int) -> float:
    return statistics.median(run() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        jobs, posts = int(50 * scale), int(500 * scale)
        rows: list[tuple[str, float, int]] = [
            ("pure transitions/s", _median(lambda: pure_transitions(200_000), args.runs), 0),
            (
                "job transitions/s (DB)",
                _median(lambda: db_transitions(sessions, jobs), args.runs),
                0,
            ),
            (
                "ledger postings/s, 1/commit",
                _median(lambda: postings(sessions, posts, 1), args.runs),
                60,
            ),
            (
                "ledger postings/s, 100/commit",
                _median(lambda: postings(sessions, posts, 100), args.runs),
                60,
            ),
            (
                "paid jobs/s (pay+callback+review)",
                _median(lambda: paid_jobs(sessions, jobs), args.runs),
                10,
            ),
        ]
        query = open_jobs_query(sessions, int(10_000 * scale), 50)
        verified, transfers = verify_ms(sessions)
        engine.dispose()
    print(f"market on SQLite, medians of {args.runs} runs")
    print(f"{'measure':36} {'value':>12} {'need':>8} {'ratio':>8}")
    for name, value, need in rows:
        ratio = f"{value / need:7.0f}x" if need else ""
        print(f"{name:36} {value:12,.0f} {need or '':>8} {ratio:>8}")
    p95 = statistics.quantiles(query, n=20)[-1]
    print(f"{'open jobs near, median ms':36} {statistics.median(query):12.2f}")
    print(f"{'open jobs near, p95 ms':36} {p95:12.2f} {'50':>8} {50 / p95:7.0f}x")
    print(f"{f'ledger verify of {transfers:,} transfers, ms':36} {verified:12.1f}")


if __name__ == "__main__":
    main()
