"""Queue jobs of fitness. They take ids and open their own sessions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode import accounts, rides
from bikenode.db.base import utcnow
from bikenode.db.engine import begin_read, begin_write
from bikenode.db.queue import JobLease
from bikenode.fitness import figures, repo
from bikenode.fitness.rules import local_day

RECOMPUTE_BATCH = 20


def recompute_rides(
    session_factory: sessionmaker[Session],
    *,
    request_id: uuid.UUID,
    lease: JobLease | None = None,
) -> int:
    """Recompute the figures of the rider's rides from the day their thresholds changed;
    returns the rides done. Stops early (leaving the rest to the newer job) when a later
    threshold change superseded this one.

    Each batch is computed in a read and stored in a short write of its own, so the write
    lock is never held while streams are decoded; a killed job's retry starts again.
    """
    with session_factory() as session:
        ride_ids = _rides_to_do(session, request_id)
        if ride_ids is None:
            return 0
        _progress(session, request_id, lease, status="running", total=len(ride_ids))
        done = 0
        for first in range(0, len(ride_ids), RECOMPUTE_BATCH):
            batch = ride_ids[first : first + RECOMPUTE_BATCH]
            begin_read(session)
            computed = [_compute(session, ride_id) for ride_id in batch]
            if not _progress(session, request_id, lease, done=done + len(batch)):
                return done
            for ride_id, figures_now in zip(batch, computed, strict=True):
                if figures_now is None:
                    repo.delete_ride_figures(session, ride_id)
                else:
                    figures.store(session, figures_now)
            session.commit()
            done += len(batch)
        _progress(session, request_id, lease, status="done")
        return done


def _rides_to_do(session: Session, request_id: uuid.UUID) -> list[uuid.UUID] | None:
    """The rider's rides on or after the request's first day; None if it was superseded."""
    begin_read(session)
    row = repo.recompute_request(session, request_id)
    if row is None:
        return None
    profile = accounts.get_rider_profile(session, row.owner_id)
    timezone = profile.timezone if profile else "UTC"
    return [
        start.ride_id
        for start in rides.list_ride_starts(session, row.owner_id)
        if start.started_at is not None and local_day(start.started_at, timezone) >= row.from_day
    ]


def _compute(session: Session, ride_id: uuid.UUID) -> figures.ComputedFigures | None:
    signals = rides.ride_signals(session, ride_id)
    return figures.compute(session, signals) if signals is not None else None


def _progress(
    session: Session,
    request_id: uuid.UUID,
    lease: JobLease | None,
    *,
    status: str | None = None,
    total: int | None = None,
    done: int | None = None,
) -> bool:
    """Record progress in the caller's write transaction (committed only for status or
    total changes); False, with nothing written, if a newer request superseded this one."""
    begin_write(session)
    if lease is not None:
        lease.hold(session)
    row = repo.recompute_request(session, request_id, lock=True)
    if row is None:
        session.rollback()
        return False
    if status is not None:
        row.status = status
        row.finished_at = utcnow() if status == "done" else None
    if total is not None:
        row.total = total
    if done is not None:
        row.done = done
    if done is None:
        session.commit()
    return True


def recompute_job(
    session_factory: sessionmaker[Session],
) -> Callable[[dict[str, Any], JobLease], None]:
    """The queue handler for fitness.recompute jobs."""

    def handle(payload: dict[str, Any], lease: JobLease) -> None:
        recompute_rides(session_factory, request_id=uuid.UUID(payload["request_id"]), lease=lease)

    return handle
