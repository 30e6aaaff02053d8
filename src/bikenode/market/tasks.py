"""Queue jobs of the market: they take a repair job's id and open their own session."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.queue import JobHandler, JobLease
from bikenode.errors import Conflict
from bikenode.market import service


def timers_job(sessions: sessionmaker[Session]) -> JobHandler:
    """The `market.timers` handler: the job's due time-based transitions (expiry...)."""

    def run(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        with sessions() as session:
            try:
                service.run_timers(session, job_id=uuid.UUID(payload["job_id"]))
            except Conflict:
                # A rider's change won the race: nothing is due any more, or the next
                # scheduled run (each quote and state schedules one) finds it.
                session.rollback()

    return run
