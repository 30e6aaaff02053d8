"""Segments' use cases: create from a ride or a polyline, find, delete, boards."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bikenode import accounts, health, rides, social
from bikenode.accounts import display_names
from bikenode.db.queue import enqueue
from bikenode.errors import InvalidInput, NotFound
from bikenode.geo import haversine_m
from bikenode.segments import repo
from bikenode.segments.backfill import BACKFILL_JOB
from bikenode.segments.efforts import match_ride_on, refresh_ride_efforts
from bikenode.segments.logic.boards import (
    BoardEffort,
    age_band,
    best_per_rider,
    merge_next_bests,
    period_bounds,
    period_key,
    period_keys,
    personal_bests,
    rank_key,
    weight_band,
)
from bikenode.segments.logic.geometry import (
    FloatArray,
    GeometryError,
    Shape,
    cell_of,
    make_shape,
)
from bikenode.segments.models import Best, Effort, Segment
from bikenode.segments.privacy import hidden_owners, hidden_segments

MAX_BOX_DEG = 1.0  # a bbox search spans at most this (about 100 km)
MAX_NEAR_RADIUS_M = 50_000.0


@dataclass(frozen=True)
class RideStretch:
    """Where on a ride a new segment lies: sample indices, or metres from the ride's start."""

    start_index: int | None = None
    end_index: int | None = None
    start_m: float | None = None
    end_m: float | None = None


def create_segment_from_ride(
    session: Session,
    *,
    owner_id: uuid.UUID,
    ride_id: uuid.UUID,
    stretch: RideStretch,
    name: str,
    visibility: str,
) -> Segment:
    """A segment cut from one of the caller's rides (NotFound for anyone else's), with the
    ride's own effort on it; InvalidInput for a stretch the ride does not have."""
    track = rides.ride_track(session, ride_id)
    if track is None or track.owner_id != owner_id:
        raise NotFound("no such ride")
    if track.lat_deg is None or track.lon_deg is None:
        raise InvalidInput("expected a ride with positions, got one without GPS")
    first, last = _stretch_indices(track.lat_deg, track.lon_deg, stretch)
    cut = slice(first, last + 1)
    finite = np.isfinite(track.lat_deg[cut]) & np.isfinite(track.lon_deg[cut])
    elevation = track.elevation_m[cut][finite] if track.elevation_m is not None else None
    shape = _shape(track.lat_deg[cut][finite], track.lon_deg[cut][finite], elevation)
    segment = _add(session, owner_id, name, track.sport, visibility, shape, ride_id)
    match_ride_on(session, track=track, segments=[segment])
    session.commit()
    return segment


def create_segment_from_points(
    session: Session,
    *,
    owner_id: uuid.UUID,
    points: list[list[float]],
    name: str,
    sport: str,
    visibility: str,
) -> Segment:
    """A segment along a polyline of [lat, lon] or [lat, lon, elevation] points."""
    array = np.array([p[:2] for p in points], dtype=np.float64).reshape(-1, 2)
    elevations = [p[2] if len(p) > 2 else math.nan for p in points]
    elevation = np.array(elevations, dtype=np.float64)
    shape = _shape(array[:, 0], array[:, 1], elevation if np.isfinite(elevation).any() else None)
    segment = _add(session, owner_id, name, sport, visibility, shape, None)
    session.commit()
    return segment


def get_visible_segment(
    session: Session, *, segment_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> Segment:
    """A public segment, or the viewer's own; NotFound otherwise (never 403)."""
    segment = session.get(Segment, segment_id)
    if segment is None or (segment.visibility != "public" and segment.owner_id != viewer_id):
        raise NotFound("no such segment")
    return segment


def get_own_segment(session: Session, *, segment_id: uuid.UUID, owner_id: uuid.UUID) -> Segment:
    """One of the caller's segments (for changes); NotFound otherwise."""
    segment = session.get(Segment, segment_id)
    if segment is None or segment.owner_id != owner_id:
        raise NotFound("no such segment")
    return segment


def delete_segment(session: Session, *, segment: Segment) -> None:
    """Remove the segment and every effort on it."""
    session.execute(delete(Best).where(Best.segment_id == segment.id))
    session.execute(delete(Effort).where(Effort.segment_id == segment.id))
    session.delete(segment)
    session.commit()


def find_segments(
    session: Session,
    *,
    viewer_id: uuid.UUID,
    box: tuple[float, float, float, float] | None = None,
    near: tuple[float, float, float] | None = None,
    limit: int = 50,
) -> list[Segment]:
    """Segments starting in a box (min_lat, min_lon, max_lat, max_lon) or within radius_m of
    (lat, lon, radius_m), nearest first for `near`; the caller's own without either."""
    if near is not None:
        lat, lon, radius = near
        if not 0 < radius <= MAX_NEAR_RADIUS_M:
            raise InvalidInput(f"expected a radius up to {MAX_NEAR_RADIUS_M:.0f} m, got {radius}")
        dlat = radius / 111_000.0
        dlon = dlat / max(math.cos(math.radians(min(abs(lat), 85.0))), 1e-6)
        found = repo.segments_in_box(
            session,
            viewer_id=viewer_id,
            box=(lat - dlat, lon - dlon, lat + dlat, lon + dlon),
            limit=1000,
        )
        distance = {s.id: float(haversine_m(lat, lon, s.start_lat, s.start_lon)) for s in found}
        within = [s for s in found if distance[s.id] <= radius]
        return sorted(within, key=lambda s: (distance[s.id], str(s.id)))[:limit]
    if box is not None:
        _check_box(box)
        return repo.segments_in_box(session, viewer_id=viewer_id, box=box, limit=limit)
    return repo.own_segments(session, viewer_id)[:limit]


@dataclass(frozen=True)
class BoardRow:
    """One line of a leaderboard: rank from 1, the rider's shown name and the effort."""

    rank: int
    rider_name: str
    effort: Effort


def leaderboard(
    session: Session,
    *,
    segment: Segment,
    viewer_id: uuid.UUID | None,
    period: str,
    limit: int = 50,
    now: datetime | None = None,
    club_id: uuid.UUID | None = None,
    classes: BoardClass | None = None,
) -> list[BoardRow]:
    """Each rider's best effort the viewer may see on the segment, fastest first.

    Others' efforts count only from public rides, and never a rider's whose privacy zones
    touch the segment (where they start, end or pass would point at their home); the viewer
    sees their own best, private rides included. With a club, only its active members'
    bests, for its members alone (NotFound for anyone else, as the club's other views).
    With an age or weight class, only riders who share theirs (class_board)."""
    try:
        key = period_key(period, now or datetime.now(UTC))
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    riders = _club_riders(session, club_id, viewer_id) if club_id is not None else None
    if classes is not None:
        return _rows(
            session, _class_bests(session, segment, viewer_id, key, classes, riders)[:limit]
        )
    shown = _others_bests(session, segment, viewer_id, key, limit, riders)
    own = repo.own_best(session, segment.id, owner_id=viewer_id, period=key) if viewer_id else None
    if own is not None:
        mine = BoardEffort(own.effort_id, own.owner_id, own.elapsed_s, own.started_at)
        shown = sorted([*shown, mine], key=rank_key)
    return _rows(session, shown[:limit])


def _rows(session: Session, shown: list[BoardEffort]) -> list[BoardRow]:
    efforts = repo.efforts_by_id(session, [b.effort_id for b in shown])
    names = _names(session, {b.owner_id for b in shown})
    return [
        BoardRow(rank + 1, names[b.owner_id], efforts[b.effort_id]) for rank, b in enumerate(shown)
    ]


@dataclass(frozen=True)
class BoardClass:
    """An age and/or weight class of a board (logic.boards' band names); None: any."""

    age: str | None = None
    weight: str | None = None


def _class_bests(
    session: Session,
    segment: Segment,
    viewer_id: uuid.UUID | None,
    key: str,
    wanted: BoardClass,
    riders: set[uuid.UUID] | None,
) -> list[BoardEffort]:
    """Each sharing rider's best in the class, fastest first. The age class is the one the
    rider reached in the effort's year; the weight class is from the rider's weight on the
    effort's day (health's latest weighing on or before it), else their current weight.
    Riders who do not share never appear, the viewer included."""
    efforts = [
        e
        for e in repo.class_board_efforts(session, segment.id, viewer_id=viewer_id)
        if key in period_keys(e.started_at) and (riders is None or e.owner_id in riders)
    ]
    classes = accounts.board_classes(session, {e.owner_id for e in efforts})
    efforts = [e for e in efforts if e.owner_id in classes]
    dated = _dated_weights(session, efforts) if wanted.weight is not None else {}
    fitting = [
        _board_effort(e) for e in efforts if _in_class(classes[e.owner_id], e, wanted, dated)
    ]
    board = best_per_rider(fitting)
    others = {b.owner_id for b in board if b.owner_id != viewer_id}
    hidden = hidden_owners(session, segment=segment, owner_ids=others)
    return [b for b in board if b.owner_id not in hidden]


def _dated_weights(session: Session, efforts: list[Effort]) -> dict[tuple[uuid.UUID, date], float]:
    """The riders' weights (kg) on their efforts' days (UTC), where health has a weighing."""
    days: dict[uuid.UUID, set[date]] = defaultdict(set)
    for effort in efforts:
        days[effort.owner_id].add(effort.started_at.astimezone(UTC).date())
    return health.weights_on_days(session, days)


def _in_class(
    held: accounts.BoardClasses,
    effort: Effort,
    wanted: BoardClass,
    dated: dict[tuple[uuid.UUID, date], float],
) -> bool:
    year = effort.started_at.year
    if wanted.age is not None and age_band(held.birth_year, year) != wanted.age:
        return False
    if wanted.weight is None:
        return True
    day = effort.started_at.astimezone(UTC).date()
    return weight_band(dated.get((effort.owner_id, day), held.weight_kg)) == wanted.weight


def _club_riders(
    session: Session, club_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> set[uuid.UUID]:
    """The club's active members, asked of social; NotFound unless the viewer is one."""
    members = None
    if viewer_id is not None:
        members = social.club_member_ids(session, club_id=club_id, viewer_id=viewer_id)
    if members is None:
        raise NotFound("no such club")
    return members


def _others_bests(
    session: Session,
    segment: Segment,
    viewer_id: uuid.UUID | None,
    key: str,
    limit: int,
    riders: set[uuid.UUID] | None = None,
) -> list[BoardEffort]:
    """The first `limit` bests others may see of riders other than the viewer whose zones
    keep clear of the segment (only of `riders` when given). A rider whose public best is
    on a ride a moderator hid shows their next-best effort others may see instead."""
    nexts: dict[uuid.UUID, BoardEffort] = {}
    page = _board_lines(session, segment, viewer_id, key, limit + 10, riders, nexts)
    return merge_next_bests(page, lambda best: nexts.get(best.owner_id), limit)


def _board_lines(
    session: Session,
    segment: Segment,
    viewer_id: uuid.UUID | None,
    key: str,
    chunk: int,
    riders: set[uuid.UUID] | None,
    nexts: dict[uuid.UUID, BoardEffort],
) -> Iterator[tuple[BoardEffort, bool]]:
    """Others' public bests in rank order with whether others may see them, read slice by
    slice (as far as the caller reads) past the viewer and riders whose zones touch it.
    Before each slice is handed on, `nexts` gets the next-best effort others may see of
    each rider whose best in it is on a hidden ride (one query per slice)."""
    offset = 0
    while True:
        page = repo.board_page(
            session, segment.id, period=key, offset=offset, limit=chunk, riders=riders
        )
        others = [(b, shown) for b, shown in page if b.owner_id != viewer_id]
        hidden = hidden_owners(session, segment=segment, owner_ids={b.owner_id for b, _ in others})
        lines = [(b, shown) for b, shown in others if b.owner_id not in hidden]
        found = repo.next_public_efforts(
            session,
            segment.id,
            owner_ids={b.owner_id for b, shown in lines if not shown},
            bounds=period_bounds(key),
        )
        nexts.update((owner_id, _board_effort(e)) for owner_id, e in found.items())
        for best, shown in lines:
            yield BoardEffort(best.effort_id, best.owner_id, best.elapsed_s, best.started_at), shown
        if len(page) < chunk:
            return
        offset += chunk


def _board_effort(effort: Effort) -> BoardEffort:
    return BoardEffort(effort.id, effort.owner_id, effort.elapsed_s, effort.started_at)


def get_visible_ride(
    session: Session, *, ride_id: uuid.UUID, viewer_id: uuid.UUID | None
) -> rides.RideAccess:
    """A ride the viewer may see (rides' one rule: their own, a public one, a followers-only
    one as an approved follower, none across a block); NotFound otherwise."""
    rides.visible_ride_owner(session, ride_id=ride_id, viewer_id=viewer_id)
    access = rides.ride_access(session, ride_id)
    if access is None:
        raise NotFound("no such ride")
    return access


def ride_efforts(
    session: Session, *, access: rides.RideAccess, viewer_id: uuid.UUID | None
) -> list[tuple[Effort, Segment]]:
    """The efforts of a ride the viewer may see, with their segments. Others never see
    efforts on segments the rider's privacy zones touch, nor on private segments."""
    efforts = repo.efforts_of_ride(session, access.ride_id)
    segments = repo.segments_by_id(session, {e.segment_id for e in efforts})
    pairs = [(e, segments[e.segment_id]) for e in efforts if e.segment_id in segments]
    if access.owner_id == viewer_id:
        return pairs
    pairs = [(e, s) for e, s in pairs if s.visibility == "public"]
    hidden = hidden_segments(session, owner_id=access.owner_id, segments=[s for _e, s in pairs])
    return [(e, s) for e, s in pairs if s.id not in hidden]


def best_history(
    session: Session, *, segment: Segment, owner_id: uuid.UUID
) -> list[tuple[Effort, bool]]:
    """The caller's efforts on the segment in the order ridden, each with whether it was a
    personal best when ridden."""
    efforts = repo.efforts_on_segment(session, segment.id, owner_id)
    boards = [BoardEffort(e.id, e.owner_id, e.elapsed_s, e.started_at) for e in efforts]
    return list(zip(efforts, personal_bests(boards), strict=True))


def my_efforts(session: Session, *, owner_id: uuid.UUID, limit: int) -> list[Effort]:
    """The caller's efforts, newest first."""
    return repo.efforts_of_owner(session, owner_id, limit)


def rematch_ride(session: Session, *, ride_id: uuid.UUID) -> int:
    """Recompute a ride's efforts from its track (CLI and tests); how many it has now."""
    count = refresh_ride_efforts(session, ride_id=ride_id)
    session.commit()
    return count


def _names(session: Session, owner_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each rider's shown name ("A rider" when they have none), in one query."""
    found = display_names(session, owner_ids)
    return {owner_id: found.get(owner_id) or "A rider" for owner_id in owner_ids}


def _stretch_indices(lat: FloatArray, lon: FloatArray, stretch: RideStretch) -> tuple[int, int]:
    """The first and last sample index of the stretch; InvalidInput outside the ride."""
    n = len(lat)
    if stretch.start_index is not None and stretch.end_index is not None:
        first, last = stretch.start_index, stretch.end_index
    elif stretch.start_m is not None and stretch.end_m is not None:
        first, last = _indices_at(lat, lon, stretch.start_m, stretch.end_m)
    else:
        raise InvalidInput("expected start_index and end_index, or start_m and end_m")
    if not 0 <= first < last < n:
        raise InvalidInput(
            f"expected 0 <= start < end < {n} (the ride's samples), got {first}, {last}"
        )
    return first, last


def _indices_at(lat: FloatArray, lon: FloatArray, start_m: float, end_m: float) -> tuple[int, int]:
    """The samples nearest to these distances from the ride's start (metres along its track)."""
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if len(ok) < 2 or not (math.isfinite(start_m) and math.isfinite(end_m)):
        raise InvalidInput("expected finite distances on a ride with positions")
    steps = haversine_m(lat[ok][:-1], lon[ok][:-1], lat[ok][1:], lon[ok][1:])
    along = np.concatenate(([0.0], np.cumsum(steps)))
    pick = np.searchsorted(along, [start_m, end_m]).clip(0, len(ok) - 1)
    return int(ok[pick[0]]), int(ok[pick[1]])


def _shape(lat: FloatArray, lon: FloatArray, elevation: FloatArray | None) -> Shape:
    try:
        return make_shape(lat, lon, elevation)
    except GeometryError as error:
        raise InvalidInput(str(error)) from error


def _add(
    session: Session,
    owner_id: uuid.UUID,
    name: str,
    sport: str,
    visibility: str,
    shape: Shape,
    source_ride_id: uuid.UUID | None,
) -> Segment:
    elevation = shape.elevation_m
    points = [
        [
            round(float(la), 7),
            round(float(lo), 7),
            _finite(elevation[i]) if elevation is not None else None,
        ]
        for i, (la, lo) in enumerate(zip(shape.lat_deg, shape.lon_deg, strict=True))
    ]
    start_lat, start_lon = float(shape.lat_deg[0]), float(shape.lon_deg[0])
    end_lat, end_lon = float(shape.lat_deg[-1]), float(shape.lon_deg[-1])
    segment = Segment(
        owner_id=owner_id,
        name=name,
        sport=sport,
        visibility=visibility,
        source_ride_id=source_ride_id,
        points=points,
        distance_m=round(shape.distance_m, 1),
        elevation_gain_m=shape.elevation_gain_m,
        avg_grade_pct=shape.avg_grade_pct,
        start_lat=start_lat,
        start_lon=start_lon,
        end_lat=end_lat,
        end_lon=end_lon,
        start_cell=cell_of(start_lat, start_lon),
        end_cell=cell_of(end_lat, end_lon),
    )
    session.add(segment)
    session.flush()
    # Riders' stored rides are timed on it in the background (segments/backfill.py).
    enqueue(session, BACKFILL_JOB, {"segment_id": str(segment.id)})
    return segment


def _finite(value: float) -> float | None:
    return round(float(value), 1) if math.isfinite(value) else None


def _check_box(box: tuple[float, float, float, float]) -> None:
    min_lat, min_lon, max_lat, max_lon = box
    if not all(math.isfinite(v) for v in box):
        raise InvalidInput("expected a bbox of four finite numbers")
    if not (-90 <= min_lat < max_lat <= 90 and -180 <= min_lon < max_lon <= 180):
        raise InvalidInput(f"expected min_lon,min_lat,max_lon,max_lat in order, got {box}")
    if max_lat - min_lat > MAX_BOX_DEG or max_lon - min_lon > MAX_BOX_DEG:
        raise InvalidInput(f"expected a bbox at most {MAX_BOX_DEG}° wide and high")
