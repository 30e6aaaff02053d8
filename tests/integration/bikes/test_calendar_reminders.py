"""A part's calendar interval is crossed by time alone: `bikenode reminders` (daily) records
each such crossing once and announces it, with no ride to trigger it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bikenode.bikes import service
from bikenode.bikes.models import Installation, Reminder
from bikenode.bikes.reminders import record_calendar_crossings
from bikenode.db.base import utcnow
from bikenode.events.models import OutboxEvent
from tests.service_factories import make_user


def _garage(session: Session, installed: datetime) -> None:
    """A rider's 30-day part (never ridden) and a part with no calendar limit, fitted at
    `installed` (a change records what has crossed by now: nothing yet, for a recent one)."""
    owner = make_user(session)
    bike = service.create_bike(session, owner_id=owner, fields={"name": "Road", "type": "road"})
    for fields in ({"type": "chain", "interval_days": 30.0}, {"type": "tyre"}):
        service.create_component(
            session, owner_id=owner, fields=fields, bike_id=bike.id, installed_at=installed
        )


def _reminders(session: Session) -> list[tuple[str, str]]:
    rows = session.scalars(select(Reminder).order_by(Reminder.crossed_at))
    return [(row.threshold, row.limit) for row in rows]


def _announced(session: Session) -> int:
    query = select(func.count()).where(OutboxEvent.type == "bikes.component_due")
    return int(session.scalar(query) or 0)


def test_time_alone_makes_a_part_due_once(engine: Engine, session: Session) -> None:
    installed = utcnow() - timedelta(days=1)
    _garage(session, installed)
    assert _reminders(session) == []
    assert record_calendar_crossings(session, now=installed + timedelta(days=10)) == 0
    assert record_calendar_crossings(session, now=installed + timedelta(days=25)) == 1
    assert record_calendar_crossings(session, now=installed + timedelta(days=26)) == 0
    assert record_calendar_crossings(session, now=installed + timedelta(days=31)) == 1
    assert record_calendar_crossings(session, now=installed + timedelta(days=40)) == 0
    assert len(_reminders(session)) == 2
    assert {limit for _, limit in _reminders(session)} == {"days"}
    assert _announced(session) == 2


def test_the_daily_command_records_and_counts(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    _garage(session, utcnow() - timedelta(days=1))
    # A month passes with no ride and no change: the window's start moves back by as much.
    month = timedelta(days=31)
    for window in session.scalars(select(Installation)):
        window.installed_at -= month
    session.commit()
    assert _reminders(session) == []
    session.close()
    env = dict(os.environ, BIKENODE_DATA_DIR=str(tmp_path), BIKENODE_DATABASE_URL=database_url)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bikenode", "reminders"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    first = run()  # 32 days in: both crossings at once
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "2 reminders recorded"
    again = run()
    assert again.returncode == 0 and again.stdout.strip() == "0 reminders recorded"
