"""Queue jobs of fitness. They take ids and open their own sessions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode import accounts, rides
from bikenode.db.base import utcnow
from bikenode.db.engine import begin_read, begin_write
from bikenode.db.queue import JobLease
from bikenode.fitness import figures, repo
from bikenode.fitness.rules import rider_zone

RECOMPUTE_BATCH = 100  # rides decoded per write (only their time, power and heart rate)
# Rides recomputed from stored figures per write: small rows, so the job costs a few writes
# and the progress bar still moves on a 10-year history.
FIGURES_BATCH = 2000


def recompute_rides(
    session_factory: sessionmaker[Session],
    *,
    request_id: uuid.UUID,
    lease: JobLease | None = None,
    from_streams: bool = False,
) -> int:
    """Recompute the figures of the rider's rides from the day their thresholds changed;
    returns the rides done. Stops early (leaving the rest to the newer job) when a later
    threshold change superseded this one.

    A threshold changes no power curve nor any stream figure, so rides are recomputed from
    their stored figures; only rows from before those were kept, and every ride when
    `from_streams` is set (the maths of curves or stream figures changed), decode streams.
    Each batch is computed in a read and stored in a short write of its own, so the write
    lock is never held while streams are decoded; a killed job's retry starts again.
    """
    with session_factory() as session:
        todo = _rides_to_do(session, request_id)
        if todo is None:
            return 0
        owner_id, starts = todo
        _progress(session, request_id, lease, status="running", total=len(starts))
        done, stale = 0, list(starts)
        if not from_streams:
            done, left = _restress_rides(session, request_id, lease, owner_id, starts)
            if left is None:
                return done
            stale = left
        for first in range(0, len(stale), RECOMPUTE_BATCH):
            batch = stale[first : first + RECOMPUTE_BATCH]
            begin_read(session)
            computed = _compute_batch(session, owner_id, starts, batch)
            if not _progress(session, request_id, lease, done=done + len(batch)):
                return done
            gone = [ride_id for ride_id in batch if computed.get(ride_id) is None]
            figures.drop(session, gone)
            figures.store_many(session, [c for c in computed.values() if c is not None])
            session.commit()
            done += len(batch)
        _progress(session, request_id, lease, status="done")
        return done


def _restress_rides(
    session: Session,
    request_id: uuid.UUID,
    lease: JobLease | None,
    owner_id: uuid.UUID,
    starts: dict[uuid.UUID, datetime],
) -> tuple[int, list[uuid.UUID] | None]:
    """Recompute from their stored figures the rides that have them, FIGURES_BATCH a write;
    returns the rides done and those left for their streams (None: a newer request
    superseded this one, stop)."""
    done, stale = 0, []
    ride_ids = list(starts)
    for first in range(0, len(ride_ids), FIGURES_BATCH):
        chunk = {ride_id: starts[ride_id] for ride_id in ride_ids[first : first + FIGURES_BATCH]}
        begin_read(session)
        settings = figures.rider_settings(session, owner_id)
        kept, missing = figures.restress(session, starts=chunk, settings=settings)
        if not _progress(session, request_id, lease, done=done + len(kept)):
            return done, None
        figures.store_stress(session, owner_id, kept)
        session.commit()
        done += len(kept)
        stale.extend(missing)
    return done, stale


def _rides_to_do(
    session: Session, request_id: uuid.UUID
) -> tuple[uuid.UUID, dict[uuid.UUID, datetime]] | None:
    """The rider and the start of each of their rides on or after the request's first day,
    oldest first; None if the request was superseded."""
    begin_read(session)
    row = repo.recompute_request(session, request_id)
    if row is None:
        return None
    profile = accounts.get_rider_profile(session, row.owner_id)
    zone = rider_zone(profile.timezone if profile else "UTC")
    return row.owner_id, {
        start.ride_id: start.started_at
        for start in rides.list_ride_starts(session, row.owner_id)
        if start.started_at is not None and start.started_at.astimezone(zone).date() >= row.from_day
    }


def _compute_batch(
    session: Session,
    owner_id: uuid.UUID,
    starts: dict[uuid.UUID, datetime],
    batch: list[uuid.UUID],
) -> dict[uuid.UUID, figures.ComputedFigures | None]:
    """The batch's figures from their streams by ride id (None: the ride is gone or untimed).
    The rider's settings are read once; the rides' streams are read in one query."""
    settings = figures.rider_settings(session, owner_id)
    signals = rides.rides_signals(session, batch)
    computed: dict[uuid.UUID, figures.ComputedFigures | None] = {}
    for ride_id in batch:
        found = signals.get(ride_id)
        computed[ride_id] = figures.compute(session, found, settings) if found else None
    return computed


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
        recompute_rides(
            session_factory,
            request_id=uuid.UUID(payload["request_id"]),
            lease=lease,
            from_streams=bool(payload.get("from_streams", False)),
        )

    return handle
