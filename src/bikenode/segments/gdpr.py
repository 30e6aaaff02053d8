"""A rider's segments and efforts for GDPR requests: everything for an export, or erased."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.segments import repo
from bikenode.segments.heatmaps import TILE_CACHE, heat_settings, heat_store_counts
from bikenode.segments.models import Best, Effort, HeatChunk, HeatRider, HeatTile, Segment

SEGMENT_FIELDS = (
    "id",
    "name",
    "sport",
    "visibility",
    "source_ride_id",
    "distance_m",
    "elevation_gain_m",
    "avg_grade_pct",
    "points",
    "created_at",
)
EFFORT_FIELDS = (
    "id",
    "segment_id",
    "ride_id",
    "started_at",
    "elapsed_s",
    "moving_s",
    "avg_power_w",
    "avg_hr_bpm",
    "created_at",
)


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): segments/segments.json (the segments the rider made),
    segments/efforts.json (every effort of their rides) and segments/heatmap.json (what the
    heatmap point store and tile cache hold of them, and their community opt-out)."""
    segments = [fields_of(s, SEGMENT_FIELDS) for s in repo.own_segments(session, owner_id)]
    yield "segments/segments.json", json_bytes(segments)
    efforts = [fields_of(e, EFFORT_FIELDS) for e in repo.efforts_of_owner(session, owner_id)]
    yield "segments/efforts.json", json_bytes(efforts)
    heatmap = {
        "point_store": heat_store_counts(session, owner_id),
        "cached_tiles": TILE_CACHE.count(owner_id),
        "community_opt_out": heat_settings(session, owner_id=owner_id),
    }
    yield "segments/heatmap.json", json_bytes(heatmap)
    session.rollback()  # end the read: writers are not held up (SQLite)


def erase_user_data(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    """Delete the rider's efforts (off every board), their segments and everyone's efforts
    on those, their heatmap point store, settings and cached tiles; flushes only. Returns how
    many segments, efforts and heatmap chunks of theirs went. Released community counts stay:
    they are differentially private aggregates, not the rider's data."""
    own = select(Segment.id).where(Segment.owner_id == owner_id)
    counts = {
        "segments": float(session.scalar(select(func.count()).select_from(own.subquery())) or 0),
        "efforts": float(
            session.scalar(select(func.count()).where(Effort.owner_id == owner_id)) or 0
        ),
        "heatmap_chunks": float(
            session.scalar(select(func.count()).where(HeatChunk.owner_id == owner_id)) or 0
        ),
    }
    session.execute(delete(HeatChunk).where(HeatChunk.owner_id == owner_id))
    session.execute(delete(HeatRider).where(HeatRider.owner_id == owner_id))
    session.execute(delete(HeatTile).where(HeatTile.owner_id == owner_id))
    TILE_CACHE.forget(owner_id)
    session.execute(delete(Best).where(or_(Best.owner_id == owner_id, Best.segment_id.in_(own))))
    session.execute(
        delete(Effort).where(or_(Effort.owner_id == owner_id, Effort.segment_id.in_(own)))
    )
    session.execute(delete(Segment).where(Segment.owner_id == owner_id))
    session.flush()
    return counts
