"""Webhooks: deliveries per second and the delay from a committed ride event to the receiver
having the signed request, at a few subscription counts, beside a naive sender.

On SQLite (a file, as `bikenode serve` runs it), in one process, with a receiver on loopback
(a threaded http.server that notes when each request arrived):

- BikeNode: ride events are published in one burst (commits of 50); the event dispatcher's
  thread fans them out into deliveries and queue jobs, the job worker's thread (one, polling
  every 0.5 s as in `serve`) claims, signs (Standard Webhooks HMAC-SHA256), checks the URL
  against the SSRF guard, POSTs with a fresh pinned connection, and records the outcome;
- naive: the same number of POSTs from a `requests` loop over one kept-alive session,
  unsigned, nothing stored, no retries, no order: what a first webhook sender often is.

Delay = receiver's arrival time - the commit of the event's batch (for the naive sender: the
start of its loop, when all its "events" existed). Percentiles over every delivery.

Peers publish no numbers (Strava's webhooks are unsigned and best effort); the ratio column
is BikeNode's deliveries per second over the naive loop's.

Measured on the 2-core development machine while a test run shared it (two runs): BikeNode
57-113 deliveries/s, delay p50 1.4-7.5 s and p99 1.7-9.5 s for bursts of 300-600
deliveries; the naive loop 470-1,230 POSTs/s; ratio 0.07-0.16. Most of the difference is
the durable log (two SQLite commits per attempt), a new connection per delivery (the address
is checked again each time), one queue job per delivery, and the worker's 0.5 s poll.

`--events 10000` on the quiet machine (10,000 events committed in one burst to one webhook):
197 deliveries/s against the naive loop's 1,176 (ratio 0.17), delay p50 23.1 s, p99 33.9 s:
the burst waits in the queue; all 10,000 arrived.

Run: PYTHONPATH=src:. .venv/bin/python bench/webhooks.py [--quick | --events 10000]
"""

from __future__ import annotations

import argparse
import http.server
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bikenode.app import make_worker
from bikenode.config import Settings
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.encryption import install_key_ring, key_ring_from_settings
from bikenode.events import Dispatcher, publish
from bikenode.rides import RideImported
from bikenode.webhooks.models import WebhookDelivery, WebhookSubscription
from bikenode.webhooks.service import create_webhook
from bikenode.webhooks.subscribers import FANOUT

BATCH = 50  # events per commit
WAIT_S = 25.0  # a row gives up after this long, or 50 ms per delivery if that is longer


@dataclass
class Arrivals:
    """When each (path, ride_id) arrived, by the wall clock."""

    at: dict[tuple[str, str], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    expected: int = 0

    def reset(self, expected: int) -> None:
        with self.lock:
            self.at.clear()
            self.expected = expected
            self.done.clear()

    def note(self, path: str, ride_id: str) -> None:
        now = time.time()
        with self.lock:
            self.at.setdefault((path, ride_id), now)
            if len(self.at) >= self.expected:
                self.done.set()


@contextmanager
def receiver() -> Iterator[tuple[str, Arrivals]]:
    arrivals = Arrivals()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the naive sender keeps its connection

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            arrivals.note(self.path, json.loads(body)["data"]["ride_id"])
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", arrivals
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Row:
    deliveries: int
    per_s: float
    delays_s: list[float]

    def pct(self, p: float) -> float:
        return self.delays_s[min(len(self.delays_s) - 1, int(len(self.delays_s) * p))]


def bikenode_row(
    sessions: sessionmaker[Session],
    settings: Settings,
    base: str,
    arrivals: Arrivals,
    *,
    subs: int,
    events: int,
) -> Row:
    owner = uuid.uuid4()
    with sessions() as session:
        for n in range(subs):
            create_webhook(
                session,
                owner_id=owner,
                url=f"{base}/s{n}",
                event_types=["ride.created"],
                allowed=frozenset({"127.0.0.1"}),
            )
    arrivals.reset(subs * events)
    dispatcher = Dispatcher(sessions, [FANOUT])
    worker = make_worker(settings, sessions)
    dispatcher.start()
    worker.start()
    committed: dict[str, float] = {}
    started = time.time()
    try:
        for first in range(0, events, BATCH):
            rides = [str(uuid.uuid4()) for _ in range(min(BATCH, events - first))]
            with sessions() as session:
                for ride in rides:
                    publish(session, RideImported(ride_id=uuid.UUID(ride), owner_id=owner))
                session.commit()
            now = time.time()
            committed.update((ride, now) for ride in rides)
        arrivals.done.wait(max(WAIT_S, subs * events * 0.05))
    finally:
        worker.stop()
        dispatcher.stop()
    with arrivals.lock:
        at = dict(arrivals.at)
    if len(at) != subs * events:
        raise SystemExit(f"expected {subs * events} deliveries, {len(at)} arrived in time")
    with sessions() as session:  # the next row starts without these webhooks
        session.execute(delete(WebhookDelivery))
        session.execute(delete(WebhookSubscription))
        session.commit()
    delays = sorted(t - committed[ride] for (_, ride), t in at.items())
    return Row(len(at), len(at) / (max(at.values()) - started), delays)


def naive_row(base: str, arrivals: Arrivals, *, subs: int, events: int) -> Row:
    """A loop of unsigned POSTs over one kept-alive connection."""
    arrivals.reset(subs * events)
    rides = [str(uuid.uuid4()) for _ in range(events)]
    started = time.time()
    with requests.Session() as http:
        for ride in rides:
            body: dict[str, Any] = {"type": "ride.created", "data": {"ride_id": ride}}
            for n in range(subs):
                http.post(f"{base}/s{n}", json=body, timeout=5).raise_for_status()
    with arrivals.lock:
        at = dict(arrivals.at)
    delays = sorted(t - started for t in at.values())
    return Row(len(at), len(at) / (max(at.values()) - started), delays)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a third of the events")
    parser.add_argument(
        "--events", type=int, help="instead: this many events to one webhook (e.g. 10000)"
    )
    args = parser.parse_args()
    shape = [(1, 300), (5, 100), (20, 30)]  # (subscriptions, events)
    if args.quick:
        shape = [(subs, events // 3) for subs, events in shape]
    if args.events:
        shape = [(1, args.events)]
    with tempfile.TemporaryDirectory() as folder, receiver() as (base, arrivals):
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = create_db_engine(url)
        upgrade_to_head(engine)
        settings = Settings(
            data_dir=Path(folder),
            database_url=url,
            secret_key="bench-secret-key-long-enough-0123456789-abcdefghijklmnop",
            run_worker=False,
            webhooks_allowed_hosts="127.0.0.1",
        )
        install_key_ring(key_ring_from_settings(settings))
        sessions = make_session_factory(engine)
        rows = []
        for subs, events in shape:
            ours = bikenode_row(sessions, settings, base, arrivals, subs=subs, events=events)
            naive = naive_row(base, arrivals, subs=subs, events=events)
            rows.append((subs, events, ours, naive))
        engine.dispose()

    print("| webhooks x events | sender | deliveries/s | delay p50 | p95 | p99 | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for subs, events, ours, naive in rows:
        for name, row in (("BikeNode", ours), ("naive loop", naive)):
            ratio = f"{ours.per_s / naive.per_s:.2f}" if row is ours else "1"
            print(
                f"| {subs} x {events} | {name} | {row.per_s:.0f} | {row.pct(0.5):.2f} s"
                f" | {row.pct(0.95):.2f} s | {row.pct(0.99):.2f} s | {ratio} |"
            )


if __name__ == "__main__":
    main()
