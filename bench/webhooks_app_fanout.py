"""Webhooks: what app subscriptions add to the fan-out of one ride event.

On SQLite (a file), one rider with one webhook of their own; then 10 and 40 app webhooks
(one per app), the rider having granted half of the apps rides:read_all. Each row times
fan_out (webhooks.subscribers) for 200 ride.created events, each rolled back afterwards so
every event sees the same tables; the median and p90 per event, and the ratio of the median
to the row without apps. Each app webhook costs two small queries per event (does its app
still exist, what has the rider granted it) and, if granted, one delivery row and one job.

Measured on the 2-core development machine shared with four other engineers' test runs (two
runs after the grants and apps were read in one query each, not one per app): median per
event 6.6-7.4 ms without app webhooks, 6.1-19.6 ms with 10 (5 granted), 18.4-64.3 ms with
40 (20 granted): ratio 2.5-9.8 for 21 deliveries instead of 1, about the cost of the
deliveries themselves. Before batching, with a query per app: 82.6 and 218.4 ms.

Run: PYTHONPATH=src:. .venv/bin/python bench/webhooks_app_fanout.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bikenode.apps.models import App, AppGrant
from bikenode.config import Settings
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.encryption import install_key_ring, key_ring_from_settings
from bikenode.events import Envelope
from bikenode.rides import RideImported
from bikenode.webhooks.service import create_app_webhook, create_webhook
from bikenode.webhooks.subscribers import fan_out

EVENTS = 200
LOOPBACK = frozenset({"127.0.0.1"})
URL = "http://127.0.0.1:9/hooks"
SUMMARY = {"name": "Dawn loop", "sport": "cycling", "visibility": "private", "distance_m": 4e4}


def add_apps(sessions: sessionmaker[Session], rider: uuid.UUID, count: int) -> None:
    """`count` apps of a developer, each with a webhook; the rider grants every other one."""
    developer = uuid.uuid4()
    with sessions() as session:
        for n in range(count):
            app = App(
                owner_id=developer,
                name=f"app {n}",
                client_id=f"bnc_{uuid.uuid4().hex}",
                redirect_uris=["https://a.example/cb"],
            )
            session.add(app)
            session.flush()
            if n % 2 == 0:
                session.add(AppGrant(app_id=app.id, user_id=rider, scope="rides:read_all"))
            session.commit()
            create_app_webhook(
                session,
                owner_id=developer,
                app_id=app.id,
                url=URL,
                event_types=["ride.created"],
                allowed=LOOPBACK,
            )


def time_fan_out(sessions: sessionmaker[Session], rider: uuid.UUID) -> list[float]:
    """Milliseconds per fan_out of one event, each rolled back."""
    times = []
    later = datetime.now(UTC) + timedelta(minutes=1)  # after the webhooks' creation
    for n in range(EVENTS):
        event = RideImported(ride_id=uuid.uuid4(), owner_id=rider, summary=SUMMARY)
        with sessions() as session:
            started = time.perf_counter()
            fan_out(session, Envelope(id=n + 1, occurred_at=later, event=event))
            session.flush()
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = create_db_engine(url)
        upgrade_to_head(engine)
        settings = Settings(
            data_dir=Path(folder),
            database_url=url,
            secret_key="bench-secret-key-long-enough-0123456789-abcdefghijklmnop",
            run_worker=False,
        )
        install_key_ring(key_ring_from_settings(settings))
        sessions = make_session_factory(engine)
        rider = uuid.uuid4()
        with sessions() as session:
            create_webhook(
                session, owner_id=rider, url=URL, event_types=["ride.created"], allowed=LOOPBACK
            )
        print(f"{'app webhooks':>12} {'median ms':>10} {'p90 ms':>8} {'ratio':>6}")
        base = None
        for total in (0, 10, 40):
            add_apps(sessions, rider, total - (0 if total <= 10 else 10))
            times = sorted(time_fan_out(sessions, rider))
            median = statistics.median(times)
            base = base or median
            p90 = times[int(len(times) * 0.9)]
            print(f"{total:>12} {median:>10.2f} {p90:>8.2f} {median / base:>6.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
