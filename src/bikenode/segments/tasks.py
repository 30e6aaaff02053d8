"""Queue jobs of segments: they take a segment id and open their own sessions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.queue import JobHandler, JobLease
from bikenode.segments.backfill import backfill_segment


def backfill_job(sessions: sessionmaker[Session]) -> JobHandler:
    """The `segments.backfill` handler: time a new segment on the rides already stored."""

    def run(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        backfill_segment(sessions, segment_id=uuid.UUID(payload["segment_id"]), renew=lease)

    return run
