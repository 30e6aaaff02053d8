"""Outbox throughput and delay: events per second to 3 subscribers, commit-to-handler p50/p99.

Run: PYTHONPATH=src:. .venv/bin/python bench/events.py [N]  (SQLite in a temporary folder,
then a throw-away PostgreSQL on loopback; N events for the throughput run, default 20,000)

Throughput: N events already in the log, one dispatcher drains them to 3 subscribers whose
handlers do nothing (the cost measured is the outbox's). Delay: a publisher commits 10 events
every 10 ms (1,000 events/s) while the dispatcher runs; each handler notes how long after the
commit it saw the event. On PostgreSQL the publisher is another process and the dispatcher is
woken only by LISTEN/NOTIFY, as on another node; on SQLite by the commit in this process.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from tests.servers import postgres_server

from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.events import Dispatcher, Envelope, Event, Subscriber, publish
from bikenode.events.outbox import remove_commit_listener

SUBSCRIBERS = 3
LATENCY_EVENTS = 3_000
PER_COMMIT = 10


@dataclass(frozen=True)
class Ticked(Event):
    """The bench's event: the n-th tick of one of 100 aggregates."""

    type = "bench.ticked"
    aggregate = "key"

    key: str
    n: int


class Clock:
    """Commit times of published events and when each subscriber's handler saw them."""

    def __init__(self) -> None:
        self.committed: dict[int, float] = {}
        self.seen: list[tuple[int, float]] = []
        self.handled = 0
        self.lock = threading.Lock()

    def handle(self, _session: Session, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, Ticked):
            raise TypeError(f"expected Ticked, got {type(event).__name__}")
        seen = time.time()  # wall clock: the publisher may be another process
        with self.lock:
            self.handled += 1
            self.seen.append((event.n, seen))

    def delays(self) -> list[float]:
        """Seconds from commit to handler, for every delivery of a timed event, sorted."""
        return sorted(t - self.committed[n] for n, t in self.seen if n in self.committed)


def _subscribers(clock: Clock) -> list[Subscriber]:
    types = frozenset({Ticked.type})
    return [Subscriber(f"bench.s{i}", types, clock.handle) for i in range(SUBSCRIBERS)]


def _publish(sessions: sessionmaker[Session], first: int, count: int) -> float:
    """Publish count events in one transaction; the wall-clock time of its commit."""
    with sessions() as session:
        for n in range(first, first + count):
            publish(session, Ticked(key=f"k{n % 100}", n=n))
        session.commit()
    return time.time()


def _publish_steadily(url: str, first: int, count: int) -> dict[int, float]:
    """Publish PER_COMMIT events every 10 ms; each event's commit time."""
    engine = create_db_engine(url)
    sessions = make_session_factory(engine)
    committed: dict[int, float] = {}
    for start in range(first, first + count, PER_COMMIT):
        at = _publish(sessions, start, PER_COMMIT)
        committed.update((n, at) for n in range(start, start + PER_COMMIT))
        time.sleep(0.01)
    engine.dispose()
    return committed


def throughput(sessions: sessionmaker[Session], n: int) -> float:
    """Events per second delivered to every subscriber, draining a log of n events."""
    for first in range(0, n, 1_000):
        _publish(sessions, first, min(1_000, n - first))
    clock = Clock()
    dispatcher = Dispatcher(sessions, _subscribers(clock), batch_size=1_000)
    started = time.perf_counter()
    dispatcher.run_until_idle()
    elapsed = time.perf_counter() - started
    if clock.handled != SUBSCRIBERS * n:
        raise RuntimeError(f"expected {SUBSCRIBERS * n} deliveries, got {clock.handled}")
    return n / elapsed


def delays(url: str, sessions: sessionmaker[Session], *, postgres: bool) -> tuple[float, float]:
    """p50 and p99 seconds from commit to handler at 1,000 events/s.

    PostgreSQL: the publisher is another process and the dispatcher is woken by NOTIFY only,
    as a web node and a dispatcher on different nodes would be. SQLite: one process, woken by
    the commit (SQLite serves one node).
    """
    clock = Clock()
    dispatcher = Dispatcher(sessions, _subscribers(clock), poll_s=1.0)
    dispatcher.run_until_idle()  # registers the subscribers at the end of the log
    dispatcher.start()
    base = 10_000_000
    if postgres:
        remove_commit_listener(dispatcher.wake)
        time.sleep(0.5)  # the listener connects
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            committed = pool.submit(_publish_steadily, url, base, LATENCY_EVENTS).result()
    else:
        committed = _publish_steadily(url, base, LATENCY_EVENTS)
    deadline = time.monotonic() + 30
    while clock.handled < SUBSCRIBERS * LATENCY_EVENTS and time.monotonic() < deadline:
        time.sleep(0.01)
    dispatcher.stop()
    clock.committed = committed
    ordered = clock.delays()
    if len(ordered) != SUBSCRIBERS * LATENCY_EVENTS:
        raise RuntimeError(
            f"expected {SUBSCRIBERS * LATENCY_EVENTS} deliveries, got {len(ordered)}"
        )
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99)]


@contextmanager
def _database(name: str) -> Iterator[str]:
    if name == "PostgreSQL":
        with postgres_server() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


def main(n: int) -> None:
    rows = []
    for name in ("SQLite", "PostgreSQL"):
        with _database(name) as url:
            engine = create_db_engine(url)
            upgrade_to_head(engine)
            sessions = make_session_factory(engine)
            rate = throughput(sessions, n)
            p50, p99 = delays(url, sessions, postgres=name == "PostgreSQL")
            engine.dispose()
        rows.append((name, rate, p50 * 1000, p99 * 1000))
    print(f"outbox: {n:,} events to {SUBSCRIBERS} subscribers; delay at 1,000 events/s")
    print(f"{'database':<12} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8}  (target: 5,000, 100)")
    for name, rate, p50, p99 in rows:
        print(f"{name:<12} {rate:>10,.0f} {p50:>8.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
