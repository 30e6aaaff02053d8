"""Ending a live session against batches being stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.db.engine import make_session_factory
from bikenode.live import repo
from bikenode.live import service as live_service
from bikenode.live.logic import decode_batch
from bikenode.live.models import LiveBatch, LiveSession
from tests.live_tools import batch_frame


def _row(session_id: uuid.UUID, batch_no: int) -> dict[str, object]:
    batch = decode_batch(
        batch_frame(batch_no), max_points=100, after_time_ms=None, now_ms=int(time.time() * 1000)
    )
    return live_service.batch_row(session_id, batch)


def _stored(session: Session, session_id: uuid.UUID) -> list[int]:
    numbers = select(LiveBatch.batch_no).where(LiveBatch.session_id == session_id)
    return sorted(session.scalars(numbers))


def test_a_batch_of_an_ended_session_is_refused_and_costs_no_other_rider_theirs(
    session: Session,
) -> None:
    ended, riding = LiveSession(owner_id=uuid.uuid4()), LiveSession(owner_id=uuid.uuid4())
    session.add_all([ended, riding])
    session.commit()
    assert live_service.store_batches(session, rows=[_row(ended.id, 1)]).ended == set()
    live_service.end_session(session, session_id=ended.id, owner_id=ended.owner_id)
    # Both in one group commit, as LiveNode writes them: the ended one is named, not stored.
    refused = live_service.store_batches(session, rows=[_row(ended.id, 2), _row(riding.id, 1)])
    assert refused == live_service.RefusedBatches(gone=set(), ended={ended.id})
    assert _stored(session, ended.id) == [1]
    assert _stored(session, riding.id) == [1]


def test_an_end_waits_for_a_batch_being_stored_and_its_ride_holds_that_batch(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    with factory() as db:
        live = LiveSession(owner_id=uuid.uuid4())
        db.add(live)
        db.commit()
        session_id, owner_id = live.id, live.owner_id
    writer = factory()
    assert repo.lock_sessions(writer, {session_id}) == {session_id: "live"}
    repo.insert_batches(writer, [_row(session_id, 1)])  # stored, not yet committed
    ride_ids: list[uuid.UUID | None] = []

    def end() -> None:
        with factory() as db:
            ended = live_service.end_session(db, session_id=session_id, owner_id=owner_id)
            ride_ids.append(ended.ride_id)

    ending = threading.Thread(target=end)
    ending.start()
    ending.join(0.5)
    assert ending.is_alive()  # the end waits for the batch's transaction
    writer.commit()
    writer.close()
    ending.join(20)
    assert ride_ids and ride_ids[0] is not None  # the batch made it into the ride
    with factory() as db:
        assert live_service.store_batches(db, rows=[_row(session_id, 2)]).ended == {session_id}
        assert _stored(db, session_id) == [1]
