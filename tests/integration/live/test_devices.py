"""Device positions on SQLite and PostgreSQL: stored once, a device's requests one at a time,
a new session after the rider ends one, a revoked token refused."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.db.engine import make_session_factory
from bikenode.errors import NotAuthenticated
from bikenode.live import devices, service
from bikenode.live.models import LiveBatch, LiveSession
from bikenode.live.osmand import DeviceFix, DeviceReport
from tests.service_factories import make_user

START_MS = int(time.time() * 1000) - 3_600_000


def _report(token: str, *seconds: int) -> DeviceReport:
    return DeviceReport(
        token, [DeviceFix(START_MS + 1000 * s, 45.0 + s * 1e-4, 6.0, 500.0) for s in seconds]
    )


def _batches(session: Session, session_id: uuid.UUID) -> list[tuple[int, int, int]]:
    rows = session.execute(
        select(LiveBatch.batch_no, LiveBatch.first_time_ms, LiveBatch.point_count)
        .where(LiveBatch.session_id == session_id)
        .order_by(LiveBatch.batch_no)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_positions_are_stored_once_in_time_order_and_repeats_skipped(session: Session) -> None:
    owner = make_user(session)
    _, token = devices.create_device(session, owner_id=owner, name="Tracker")
    first = devices.store_report(session, report=_report(token, 3, 1, 2, 2))
    assert first.repeats == 1 and first.batch is not None
    assert first.batch.columns["t"] == [START_MS + 1000, START_MS + 2000, START_MS + 3000]
    again = devices.store_report(session, report=_report(token, 2, 3))  # a resent buffer
    assert again.batch is None and again.repeats == 2
    later = devices.store_report(session, report=_report(token, 3, 4))
    assert later.repeats == 1 and later.session_id == first.session_id
    assert _batches(session, first.session_id) == [(1, START_MS + 1000, 3), (2, START_MS + 4000, 1)]


def test_a_new_session_opens_after_the_rider_ends_one_and_revoked_tokens_fail(
    session: Session,
) -> None:
    owner = make_user(session)
    device, token = devices.create_device(session, owner_id=owner, name="Tracker")
    first = devices.store_report(session, report=_report(token, *range(0, 60, 5)))
    ended = service.end_session(session, session_id=first.session_id, owner_id=owner)
    assert ended.ride_id is not None
    second = devices.store_report(session, report=_report(token, 100))
    assert second.session_id != first.session_id
    assert session.get(LiveSession, second.session_id).status == "live"  # type: ignore[union-attr]
    devices.revoke_device(session, device=device)
    with pytest.raises(NotAuthenticated):
        devices.store_report(session, report=_report(token, 200))


def test_one_devices_concurrent_requests_never_share_a_batch_number(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as db:
        owner = make_user(db)
        _, token = devices.create_device(db, owner_id=owner, name="Tracker")
    errors: list[BaseException] = []

    def send(offset: int) -> None:
        try:
            for i in range(10):
                with factory() as db:
                    devices.store_report(db, report=_report(token, offset + 2 * i))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(offset,)) for offset in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with factory() as db:
        [session_id] = db.scalars(select(LiveSession.id).where(LiveSession.owner_id == owner))
        stored = _batches(db, session_id)
    numbers = [batch_no for batch_no, _, _ in stored]
    times = [first_ms for _, first_ms, _ in stored]
    assert numbers == list(range(1, len(stored) + 1))  # none lost to a clash
    assert times == sorted(set(times)) and len(stored) >= 10
