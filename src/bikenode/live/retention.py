"""What the retention policy may delete from live tracking: positions already kept as a ride."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bikenode.live.models import LiveBatch, LiveSession


def expired_positions(
    session: Session, *, now: datetime, days: int, dry_run: bool
) -> tuple[int, int]:
    """(positions, bytes) of sessions that ended more than `days` ago and became a ride.
    A session that ended without a ride keeps its positions: they exist nowhere else."""
    done = select(LiveSession.id).where(
        LiveSession.status == "ended",
        LiveSession.ride_id.is_not(None),
        LiveSession.ended_at < now - timedelta(days=days),
    )
    selected = LiveBatch.session_id.in_(done)
    size = func.length(LiveBatch.points) + func.coalesce(func.length(LiveBatch.health_sealed), 0)
    points, stored = session.execute(
        select(
            func.coalesce(func.sum(LiveBatch.point_count), 0), func.coalesce(func.sum(size), 0)
        ).where(selected)
    ).one()
    if not dry_run and points:
        session.execute(delete(LiveBatch).where(selected))
    return int(points), int(stored)
