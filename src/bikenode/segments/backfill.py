"""A new segment timed on the rides riders already have: a queue job walks, page by page,
the rides whose bounding box holds the segment's ends, each matched in a short transaction
of its own (rides' new events then keep the efforts up to date)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bikenode import rides
from bikenode.segments.efforts import match_ride_on
from bikenode.segments.logic.matching import GATE_HALF_WIDTH_M
from bikenode.segments.models import Effort, Segment

BACKFILL_JOB = "segments.backfill"
_PAGE = 200
_MARGIN_DEG = GATE_HALF_WIDTH_M / 111_000.0  # a gate may be hit this far off the end


def backfill_segment(
    sessions: sessionmaker[Session],
    *,
    segment_id: uuid.UUID,
    renew: Callable[[], object] = lambda: None,
) -> int:
    """Match the segment against every stored ride that may pass it; the efforts stored.
    Rides that already hold efforts on it (its source ride) are left as they are."""
    with sessions() as session:
        segment = session.get(Segment, segment_id)
        if segment is None:
            return 0  # deleted before the job ran
        box = _ends_box(segment)
    stored, after = 0, None
    while True:
        with sessions() as session:
            page = rides.rides_around(session, box=box, after=after, limit=_PAGE)
        for ride_id in page:
            renew()
            stored += _match_one(sessions, segment_id, ride_id)
        if len(page) < _PAGE:
            return stored
        after = page[-1]


def _match_one(sessions: sessionmaker[Session], segment_id: uuid.UUID, ride_id: uuid.UUID) -> int:
    with sessions() as session:
        segment = session.get(Segment, segment_id)
        held = session.scalar(
            select(Effort.id).where(Effort.segment_id == segment_id, Effort.ride_id == ride_id)
        )
        track = rides.ride_track(session, ride_id)
        if segment is None or held is not None or track is None:
            return 0
        count = match_ride_on(session, track=track, segments=[segment])
        session.commit()
        return count


def _ends_box(segment: Segment) -> tuple[float, float, float, float]:
    """The box of the segment's two ends, less the gates' reach (a ride's box must hold it)."""
    lats, lons = (segment.start_lat, segment.end_lat), (segment.start_lon, segment.end_lon)
    return (
        min(lats) + _MARGIN_DEG,
        min(lons) + _MARGIN_DEG,
        max(lats) - _MARGIN_DEG,
        max(lons) - _MARGIN_DEG,
    )
