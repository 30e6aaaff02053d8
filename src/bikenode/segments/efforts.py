"""Efforts from tracks: a ride matched against its candidate segments, stored anew each time.

Replacing a ride's efforts wholesale makes every update idempotent: a re-delivered event, an
edit or a visibility change gives the same rows as a match from scratch would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.segments import repo
from bikenode.segments.bests import Pair, refresh_bests
from bikenode.segments.logic.geometry import cells_near_track
from bikenode.segments.logic.matching import (
    GATE_HALF_WIDTH_M,
    clean_track,
    match_segment,
    prepare_segment,
)
from bikenode.segments.models import Effort, Segment
from bikenode.segments.privacy import segment_positions


def refresh_ride_efforts(session: Session, *, ride_id: uuid.UUID) -> int:
    """Match the ride against every candidate segment and store its efforts in place of the
    old ones (none for a deleted or untimed ride); flushes only. Returns the efforts stored."""
    old = repo.delete_efforts_of_ride(session, ride_id)
    track = rides.ride_track(session, ride_id)
    if track is None or track.lat_deg is None or track.lon_deg is None:
        refresh_bests(session, old)
        return 0
    cells = cells_near_track(track.lat_deg, track.lon_deg, GATE_HALF_WIDTH_M)
    candidates = repo.candidate_segments(session, cells=cells, rider_id=track.owner_id)
    return match_ride_on(session, track=track, segments=candidates, also=old)


def forget_ride(session: Session, *, ride_id: uuid.UUID) -> int:
    """Drop a deleted ride's efforts and what they held on the boards; flushes only."""
    old = repo.delete_efforts_of_ride(session, ride_id)
    refresh_bests(session, old)
    return len(old)


def match_ride_on(
    session: Session,
    *,
    track: rides.RideTrack,
    segments: Sequence[Segment],
    also: Iterable[Pair] = (),
) -> int:
    """Store the ride's efforts on these segments and refresh the bests they touch (and
    those of the pairs in `also`, whose efforts just went); how many efforts it stored."""
    touched = set(also)
    count = _store_matches(session, track, segments, touched)
    refresh_bests(session, touched)
    return count


def _store_matches(
    session: Session, track: rides.RideTrack, segments: Sequence[Segment], touched: set[Pair]
) -> int:
    if track.time_s is None or track.lat_deg is None or track.lon_deg is None:
        return 0
    cleaned = clean_track(track.time_s, track.lat_deg, track.lon_deg, track.power_w, track.hr_bpm)
    if len(cleaned.time_s) < 2:
        return 0
    count = 0
    for segment in segments:
        if segment.visibility != "public" and segment.owner_id != track.owner_id:
            continue
        lat, lon = segment_positions(segment)
        for found in match_segment(cleaned, prepare_segment(lat, lon)):
            started_at = _utc(found.start_s)
            if started_at is None:
                continue  # a clock past year 9999: no date to rank it by
            session.add(
                Effort(
                    segment_id=segment.id,
                    ride_id=track.ride_id,
                    owner_id=track.owner_id,
                    ride_visibility=track.visibility,
                    started_at=started_at,
                    elapsed_s=round(found.elapsed_s, 2),
                    moving_s=round(found.moving_s, 2),
                    avg_power_w=found.avg_power_w,
                    avg_hr_bpm=found.avg_hr_bpm,
                    start_index=found.start_index,
                    end_index=found.end_index,
                )
            )
            touched.add((segment.id, track.owner_id))
            count += 1
    session.flush()
    return count


def _utc(epoch_s: float) -> datetime | None:
    """The moment as an aware UTC datetime; None when no datetime can hold it."""
    try:
        return datetime.fromtimestamp(epoch_s, UTC)
    except (OverflowError, OSError, ValueError):
        return None
