"""Bikes learns of finished repair jobs (market.job_completed): one service entry per part
of the rider's that the job named, once per event however often it is delivered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.bikes.models import ServiceEntry
from bikenode.bikes.subscribers import record_job_service
from bikenode.events import Envelope
from bikenode.market import JobCompleted
from tests.service_factories import make_bike, make_user

DONE = datetime(2026, 11, 2, 15, tzinfo=UTC)


def _completed(owner: uuid.UUID, bike: uuid.UUID, parts: list[uuid.UUID]) -> JobCompleted:
    return JobCompleted(
        job_id=uuid.uuid4(),
        owner_id=owner,
        bike_id=bike,
        component_ids=tuple(parts),
        title="Bottom bracket swap",
        price_minor=8990,
        currency="EUR",
        done_at=DONE,
    )


def test_a_redelivered_event_logs_each_part_once(session: Session) -> None:
    rider = make_user(session)
    bike, parts = make_bike(session, rider, parts=2)
    envelope = Envelope(id=41, occurred_at=DONE, event=_completed(rider, bike, parts))
    for _ in range(2):
        record_job_service(session, envelope)
        session.commit()
    entries = session.scalars(select(ServiceEntry)).all()
    assert sorted(e.component_id for e in entries) == sorted(parts)
    assert {(e.kind, e.done_at, e.cost) for e in entries} == {("service", DONE, 89.9)}
    assert all("Bottom bracket swap" in e.notes for e in entries)


def test_parts_that_are_not_the_riders_are_ignored(session: Session) -> None:
    rider, other = make_user(session), make_user(session)
    bike, _ = make_bike(session, rider)
    _, theirs = make_bike(session, other)
    record_job_service(
        session, Envelope(id=7, occurred_at=DONE, event=_completed(rider, bike, theirs))
    )
    session.commit()
    assert session.scalars(select(ServiceEntry)).all() == []
