"""Which riders' efforts on a segment others must not see: their privacy zones touch it.

Judged when a board or a ride's efforts are read, from the zones as they are now, so that a
zone added later hides efforts at once (rides announces no event for zone changes)."""

from __future__ import annotations

import uuid

import numpy as np
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.segments.models import Segment


def hidden_owners(
    session: Session, *, segment: Segment, owner_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """The riders among owner_ids with a privacy zone over any point of the segment."""
    if not owner_ids:
        return set()
    circles = rides.privacy_circles_of(session, owner_ids=owner_ids)
    lat, lon = segment_positions(segment)
    return {
        owner_id
        for owner_id, own in circles.items()
        if own and bool(rides.hidden_mask(own, lat, lon).any())
    }


def hidden_segments(
    session: Session, *, owner_id: uuid.UUID, segments: list[Segment]
) -> set[uuid.UUID]:
    """The segments among these that the rider's privacy zones touch, zones read once."""
    own = rides.privacy_circles_of(session, owner_ids={owner_id})[owner_id]
    if not own:
        return set()
    return {s.id for s in segments if bool(rides.hidden_mask(own, *segment_positions(s)).any())}


def segment_positions(segment: Segment) -> tuple[np.ndarray, np.ndarray]:
    """The segment's latitudes and longitudes as arrays, degrees."""
    points = np.array([p[:2] for p in segment.points], dtype=np.float64).reshape(-1, 2)
    return points[:, 0], points[:, 1]
