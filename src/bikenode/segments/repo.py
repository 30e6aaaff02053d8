"""Queries on segments' tables; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.segments.models import Best, Effort, Segment

_IN_BATCH = 500  # ids per IN (...): far below SQLite's and PostgreSQL's parameter limits


def candidate_segments(session: Session, *, cells: set[int], rider_id: uuid.UUID) -> list[Segment]:
    """Segments starting and ending in these cells that the rider may be timed on (public
    ones and the rider's own private ones)."""
    wanted: list[uuid.UUID] = []
    ordered = sorted(cells)
    for first in range(0, len(ordered), _IN_BATCH):
        batch = ordered[first : first + _IN_BATCH]
        rows = session.execute(
            select(Segment.id, Segment.end_cell).where(
                Segment.start_cell.in_(batch),
                or_(Segment.visibility == "public", Segment.owner_id == rider_id),
            )
        )
        # Both ends must lie in the ride's cells; only those rows are loaded whole.
        wanted += [segment_id for segment_id, end_cell in rows if end_cell in cells]
    found = segments_by_id(session, wanted)
    return sorted(found.values(), key=lambda s: str(s.id))


def segments_in_box(
    session: Session,
    *,
    viewer_id: uuid.UUID,
    box: tuple[float, float, float, float],
    limit: int,
) -> list[Segment]:
    """Segments the viewer may see whose start lies in (min_lat, min_lon, max_lat, max_lon)."""
    min_lat, min_lon, max_lat, max_lon = box
    statement = (
        select(Segment)
        .where(
            Segment.start_lat.between(min_lat, max_lat),
            Segment.start_lon.between(min_lon, max_lon),
            or_(Segment.visibility == "public", Segment.owner_id == viewer_id),
        )
        .order_by(Segment.created_at, Segment.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def own_segments(session: Session, owner_id: uuid.UUID) -> list[Segment]:
    """The rider's segments, oldest first."""
    return list(
        session.scalars(
            select(Segment)
            .where(Segment.owner_id == owner_id)
            .order_by(Segment.created_at, Segment.id)
        )
    )


def segments_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Segment]:
    """The segments with these ids (missing ones left out)."""
    wanted = sorted(set(ids), key=str)
    found: dict[uuid.UUID, Segment] = {}
    for first in range(0, len(wanted), _IN_BATCH):
        batch = wanted[first : first + _IN_BATCH]
        found.update(
            (s.id, s) for s in session.scalars(select(Segment).where(Segment.id.in_(batch)))
        )
    return found


def efforts_of_ride(session: Session, ride_id: uuid.UUID) -> list[Effort]:
    """The ride's efforts, in the order they were ridden."""
    return list(
        session.scalars(
            select(Effort).where(Effort.ride_id == ride_id).order_by(Effort.started_at, Effort.id)
        )
    )


def efforts_on_segment(
    session: Session, segment_id: uuid.UUID, owner_id: uuid.UUID
) -> list[Effort]:
    """The rider's efforts on one segment, in the order ridden."""
    return list(
        session.scalars(
            select(Effort)
            .where(Effort.segment_id == segment_id, Effort.owner_id == owner_id)
            .order_by(Effort.started_at, Effort.id)
            .limit(10_000)
        )
    )


def efforts_of_owner(
    session: Session, owner_id: uuid.UUID, limit: int | None = None
) -> list[Effort]:
    """The rider's efforts, newest first."""
    statement = (
        select(Effort)
        .where(Effort.owner_id == owner_id)
        .order_by(Effort.started_at.desc(), Effort.id)
    )
    return list(session.scalars(statement if limit is None else statement.limit(limit)))


def board_page(
    session: Session,
    segment_id: uuid.UUID,
    *,
    period: str,
    offset: int,
    limit: int,
    riders: Iterable[uuid.UUID] | None = None,
) -> list[tuple[Best, bool]]:
    """A slice of the public board of one period, fastest first (one index range read),
    without suspended riders, each best with whether others may see it (False when a
    moderator hid its ride); only these riders' bests when `riders` is given."""
    audience = rides.current_audience()
    hidden_efforts = select(Effort.id).where(Effort.ride_id.in_(audience.withheld_rides()))
    statement = (
        select(Best, Best.effort_id.not_in(hidden_efforts))
        .where(Best.segment_id == segment_id, Best.scope == "public", Best.period == period)
        .where(Best.owner_id.not_in(audience.withheld_riders()))
        .where(Best.owner_id.in_(sorted(riders, key=str)) if riders is not None else true())
        .order_by(Best.elapsed_s, Best.started_at, Best.effort_id)
        .offset(offset)
        .limit(limit)
    )
    return [(best, bool(shown)) for best, shown in session.execute(statement)]


def next_public_efforts(
    session: Session,
    segment_id: uuid.UUID,
    *,
    owner_ids: Collection[uuid.UUID],
    bounds: tuple[datetime, datetime] | None,
) -> dict[uuid.UUID, Effort]:
    """Each rider's fastest effort on the segment within bounds (UTC, end excluded) that
    others may see: on a public ride no moderator hid. For bests on hidden rides; one query
    (each rider's efforts read on the (segment, owner, elapsed) index)."""
    if not owner_ids:
        return {}
    order = (Effort.elapsed_s, Effort.started_at, Effort.id)
    place = func.row_number().over(partition_by=Effort.owner_id, order_by=order)
    ranked = (
        select(Effort.id, place.label("place"))
        .where(Effort.segment_id == segment_id, Effort.owner_id.in_(sorted(owner_ids, key=str)))
        .where(*_shown_to_others())
    )
    if bounds is not None:
        ranked = ranked.where(Effort.started_at >= bounds[0], Effort.started_at < bounds[1])
    firsts = ranked.subquery()
    statement = select(Effort).join(firsts, firsts.c.id == Effort.id).where(firsts.c.place == 1)
    return {e.owner_id: e for e in session.scalars(statement)}


MAX_CLASS_EFFORTS = 20_000  # efforts read for one age or weight board: the fastest ones


def class_board_efforts(
    session: Session, segment_id: uuid.UUID, *, viewer_id: uuid.UUID | None
) -> list[Effort]:
    """The fastest efforts on the segment a class board may rank: from public rides and not
    withheld by a moderator, plus all of the viewer's own; at most MAX_CLASS_EFFORTS."""
    others = and_(*_shown_to_others())
    shown = or_(others, Effort.owner_id == viewer_id) if viewer_id is not None else others
    statement = (
        select(Effort)
        .where(Effort.segment_id == segment_id, shown)
        .order_by(Effort.elapsed_s, Effort.started_at, Effort.id)
        .limit(MAX_CLASS_EFFORTS)
    )
    return list(session.scalars(statement))


def _shown_to_others() -> list[ColumnElement[bool]]:
    """Efforts others may rank: on public rides, neither the ride hidden nor its rider
    suspended by a moderator (rides' moderation hook: the same selects rides' feed uses, so
    lifting either brings the effort back at once)."""
    audience = rides.current_audience()
    return [
        Effort.ride_visibility == "public",
        Effort.owner_id.not_in(audience.withheld_riders()),
        Effort.ride_id.not_in(audience.withheld_rides()),
    ]


def own_best(
    session: Session, segment_id: uuid.UUID, *, owner_id: uuid.UUID, period: str
) -> Best | None:
    """The rider's own best of the period, private rides included."""
    return session.get(Best, (segment_id, owner_id, "all", period))


def efforts_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Effort]:
    """The efforts with these ids."""
    wanted = sorted(set(ids), key=str)
    found: dict[uuid.UUID, Effort] = {}
    for first in range(0, len(wanted), _IN_BATCH):
        rows = session.scalars(
            select(Effort).where(Effort.id.in_(wanted[first : first + _IN_BATCH]))
        )
        found.update((e.id, e) for e in rows)
    return found


def delete_efforts_of_ride(
    session: Session, ride_id: uuid.UUID
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Remove the ride's efforts; the (segment, rider) pairs they were on."""
    pairs = session.execute(
        select(Effort.segment_id, Effort.owner_id).where(Effort.ride_id == ride_id).distinct()
    )
    touched = {(segment_id, owner_id) for segment_id, owner_id in pairs}
    session.execute(delete(Effort).where(Effort.ride_id == ride_id))
    return touched
