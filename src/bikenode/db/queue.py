"""A durable job queue in the database: a killed worker loses nothing.

A job is claimed with a lease; the worker renews the lease while it works. If the worker dies,
the lease runs out and another worker (or the restarted one) takes the job again, so jobs
must be idempotent: they record their progress and skip what is already done.

A worker that lost its lease (it stalled past the lease, and another worker took the job) must
stop: `JobLease` raises `LeaseLost` at its next heartbeat, and `JobLease.hold` checks the lease
inside the transaction that records progress, so two workers never both record a step.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, Text, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bikenode.db.base import Base, utcnow
from bikenode.db.engine import begin_read, begin_write

log = logging.getLogger("bikenode.queue")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claimable", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, max_attempts: int = 5) -> Job:
    """Add a job in the caller's transaction (it runs only if the caller commits)."""
    job = Job(kind=kind, payload=payload, max_attempts=max_attempts)
    session.add(job)
    return job


def enqueue_claimed(
    session: Session, kind: str, payload: dict[str, Any], *, worker: str, lease: timedelta
) -> Job:
    """Add a job already leased to `worker`, in the caller's transaction.

    For a process that queues work and runs it itself (`bikenode import`): no other worker
    can take the job unless this one dies and the lease runs out.
    """
    now = utcnow()
    job = Job(
        kind=kind,
        payload=payload,
        status=RUNNING,
        attempts=1,
        worker=worker,
        lease_until=now + lease,
        run_after=now,
        created_at=now,
    )
    session.add(job)
    return job


def _runnable(now: datetime) -> Any:
    return (Job.run_after <= now) & or_(
        Job.status == QUEUED, (Job.status == RUNNING) & (Job.lease_until < now)
    )


def any_runnable(session: Session, *, now: datetime) -> bool:
    """Whether some job is runnable now, asked in a read-only transaction: an idle worker's
    poll never takes SQLite's write lock from the requests that need it."""
    begin_read(session)
    found = session.scalars(select(Job.id).where(_runnable(now)).limit(1)).first() is not None
    session.commit()
    return found


def claim(session: Session, *, worker: str, lease: timedelta, now: datetime) -> Job | None:
    """Take the oldest runnable job (queued, or running with an expired lease) and commit."""
    claimable = (
        select(Job.id)
        .where(_runnable(now))
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL: workers never wait on each other
    )
    job_id = session.scalars(claimable).first()
    if job_id is None:
        session.rollback()
        return None
    # Re-checked in the UPDATE itself, so two SQLite processes cannot both win.
    claimed = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(Job.status == QUEUED, (Job.status == RUNNING) & (Job.lease_until < now)),
        )
        .values(status=RUNNING, lease_until=now + lease, worker=worker, attempts=Job.attempts + 1)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Job, job_id, populate_existing=True)


def renew(session: Session, job_id: int, *, worker: str, lease: timedelta, now: datetime) -> bool:
    """Extend a job's lease and commit; False if the job is no longer ours."""
    held = _extend(session, job_id, worker=worker, lease=lease, now=now)
    session.commit()
    return held


def _extend(session: Session, job_id: int, *, worker: str, lease: timedelta, now: datetime) -> bool:
    # A claim changes the worker, so this matches only while nobody took the job over; on
    # PostgreSQL the row lock orders a renewal and a concurrent claim, and the later one's
    # WHERE sees the earlier one's change.
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker == worker, Job.status == RUNNING)
        .values(lease_until=now + lease)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def new_worker_name() -> str:
    """A name no other worker, in this process or any other, has: host, process id, random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseLost(Exception):
    """Another worker took this job over; the one that lost it must stop at once."""


class JobLease:
    """A worker's hold on one job: call it often (a heartbeat), and `hold` before each commit
    that records progress."""

    def __init__(
        self, session_factory: sessionmaker[Session], job_id: int, *, worker: str, lease: timedelta
    ) -> None:
        self._sessions = session_factory
        self.job_id = job_id
        self.worker = worker
        self._lease = lease
        self._renewed_at = time.monotonic()

    def __call__(self) -> None:
        """Renew the lease a few times per lease period; LeaseLost if it is no longer ours."""
        if time.monotonic() - self._renewed_at < self._lease.total_seconds() / 4:
            return
        with self._sessions() as session:
            self._renewed_at = time.monotonic()
            if not renew(session, self.job_id, worker=self.worker, lease=self._lease, now=utcnow()):
                raise LeaseLost(f"job {self.job_id} was taken over by another worker")

    def hold(self, session: Session) -> None:
        """Renew the lease inside the caller's transaction, so that what it commits is
        committed only while the job is still ours; LeaseLost (nothing written) if not."""
        if not _extend(session, self.job_id, worker=self.worker, lease=self._lease, now=utcnow()):
            raise LeaseLost(f"job {self.job_id} was taken over by another worker")
        self._renewed_at = time.monotonic()


def finish(session: Session, job_id: int, *, worker: str, error: str | None, now: datetime) -> None:
    """Mark a job done, or failed (retried with backoff until max_attempts).

    Only the worker holding the job may finish it; a worker that lost it changes nothing.
    """
    job = session.get(Job, job_id, populate_existing=True, with_for_update=True)
    if job is None or job.worker != worker or job.status != RUNNING:
        session.rollback()
        return
    if error is None:
        job.status, job.finished_at, job.last_error = DONE, now, None
    elif job.attempts >= job.max_attempts:
        job.status, job.finished_at, job.last_error = FAILED, now, error
    else:
        job.status, job.last_error = QUEUED, error
        job.run_after = now + timedelta(seconds=min(300, 2**job.attempts))
    job.lease_until = None
    session.commit()


JobHandler = Callable[[dict[str, Any], JobLease], None]


class Worker:
    """Runs queued jobs in a background thread: claim, run the handler, finish; repeat."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        handlers: dict[str, JobHandler],
        *,
        lease_s: float = 60.0,
        poll_s: float = 0.5,
    ) -> None:
        self._sessions = session_factory
        self._handlers = handlers
        self._lease = timedelta(seconds=lease_s)
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.name = new_worker_name()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bikenode-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    def run_until_idle(self) -> int:
        """Run jobs in this thread until none is runnable; return how many ran."""
        ran = 0
        while self._run_one():
            ran += 1
        return ran

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._run_one()
            except Exception:  # the loop must survive a broken database connection
                log.exception("worker loop error")
                busy = False
            if not busy:
                self._wake.wait(self._poll_s)
                self._wake.clear()

    def _run_one(self) -> bool:
        with self._sessions() as session:
            if not any_runnable(session, now=utcnow()):
                return False
            begin_write(session)
            job = claim(session, worker=self.name, lease=self._lease, now=utcnow())
            if job is None:
                return False
            job_id, kind, payload = job.id, job.kind, dict(job.payload)
        try:
            error = self._execute(job_id, kind, payload)
        except LeaseLost:
            log.warning("job taken over by another worker", extra={"job_id": job_id})
            return True
        with self._sessions() as session:
            finish(session, job_id, worker=self.name, error=error, now=utcnow())
        return True

    def _execute(self, job_id: int, kind: str, payload: dict[str, Any]) -> str | None:
        handler = self._handlers.get(kind)
        if handler is None:
            return f"no handler for job kind {kind!r}"
        lease = JobLease(self._sessions, job_id, worker=self.name, lease=self._lease)
        try:
            handler(payload, lease)
        except LeaseLost:
            raise
        except Exception as error:
            log.exception("job failed", extra={"job_id": job_id, "kind": kind})
            return job_error(error)
        return None


def job_error(error: Exception) -> str:
    """What a failed job stores and shows: the error's words, never SQL (that goes to the log)."""
    if isinstance(error, SQLAlchemyError):
        return f"a database error ({type(error).__name__}) stopped this job; it was logged"
    return f"{type(error).__name__}: {error}"
