"""Time-based transitions: open jobs expire, lapsed quotes reopen a job, done jobs are
invoiced after a week; each from the durable queue's job or the CLI's sweep."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.db.queue import Job
from bikenode.market import service
from bikenode.market.models import Quote, RepairJob
from tests.service_factories import make_mechanic, make_repair_job, make_user, view_of_user


def _state(session: Session, job_id: uuid.UUID) -> str:
    session.expire_all()
    job = session.get(RepairJob, job_id)
    assert job is not None
    return job.state


def test_each_job_and_quote_schedules_its_timer_on_the_queue(session: Session) -> None:
    rider = make_user(session)
    job_id, _ = make_repair_job(session, rider, mechanics=[make_mechanic(session)])
    timers = session.scalars(select(Job).where(Job.kind == service.TIMERS_JOB)).all()
    assert {t.payload["job_id"] for t in timers} == {str(job_id)}
    assert len(timers) == 2  # the job's expiry and the quote's validity
    assert all(t.run_after > utcnow() + timedelta(days=2) for t in timers)


def test_a_quoted_job_whose_quotes_lapse_reopens_then_expires(session: Session) -> None:
    rider = make_user(session)
    job_id, [quote_id] = make_repair_job(session, rider, mechanics=[make_mechanic(session)])
    assert service.run_due_timers(session, now=utcnow() + timedelta(days=1)) == 0
    assert _state(session, job_id) == "quoted"
    assert service.run_due_timers(session, now=utcnow() + timedelta(days=4)) == 1
    assert _state(session, job_id) == "open"
    assert session.scalar(select(Quote.state).where(Quote.id == quote_id)) == "expired"
    service.run_due_timers(session, now=utcnow() + service.JOB_LIFETIME + timedelta(days=1))
    assert _state(session, job_id) == "expired"
    service.run_due_timers(session, now=utcnow() + timedelta(days=400))  # again: no change
    assert _state(session, job_id) == "expired"


def test_a_done_job_is_invoiced_after_a_week(session: Session) -> None:
    rider, mechanic = make_user(session), make_mechanic(session)
    job_id, [quote_id] = make_repair_job(session, rider, mechanics=[mechanic])
    quote, access = service.quote_access(
        session, user=view_of_user(session, rider), quote_id=quote_id
    )
    service.accept_quote(session, quote=quote, access=access)
    as_mechanic = service.job_access(session, user=view_of_user(session, mechanic), job_id=job_id)
    for name in ("start", "finish"):
        service.take_transition(session, access=as_mechanic, name=name)
    service.run_timers(session, job_id=job_id, now=utcnow() + timedelta(days=6))
    assert _state(session, job_id) == "done"
    service.run_timers(session, job_id=job_id, now=utcnow() + timedelta(days=8))
    assert _state(session, job_id) == "invoiced"
