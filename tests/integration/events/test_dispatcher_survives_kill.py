"""A dispatcher killed with SIGKILL in the middle of a batch loses nothing and applies nothing
twice: each handler's writes commit with the subscriber's progress, or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bikenode.db.engine import make_session_factory
from bikenode.events.models import OutboxEvent, SubscriberProgress
from tests.events_tools import audited_deliveries, publish_pings
from tests.integration.events.dispatch_until_idle import SUBSCRIBERS

ROOT = Path(__file__).resolve().parents[3]
EVENTS = 600


def _dispatcher(database_url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.events.dispatch_until_idle", database_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_handles_every_event_once(
    database_url: str, engine: Engine
) -> None:
    sessions = make_session_factory(engine)
    reads = make_session_factory(engine, read_only=True)  # never waits for the writer's lock
    publish_pings(sessions, [(f"ride-{i % 50}", i) for i in range(EVENTS)])
    process = _dispatcher(database_url)
    deadline = time.monotonic() + 60
    written = 0
    while written < 200 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        with reads() as session:
            written = sum(audited_deliveries(session).values())
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert 0 < written < 3 * EVENTS, "the kill should land while events are being handled"

    with sessions() as session:
        ids = list(session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)))
        positions = {p.name: p.after_id for p in session.scalars(select(SubscriberProgress))}
        written_after_kill = audited_deliveries(session)
    # What each subscriber wrote is exactly what its position says it handled.
    for name in SUBSCRIBERS:
        handled = {event_id for (who, event_id) in written_after_kill if who == name}
        assert handled == {i for i in ids if i <= positions.get(name, 0)}
    assert set(written_after_kill.values()) <= {1}

    restarted = _dispatcher(database_url)
    assert restarted.wait(120) == 0
    with sessions() as session:
        final = audited_deliveries(session)
    assert final == {(name, event_id): 1 for name in SUBSCRIBERS for event_id in ids}
