"""The community heatmap: weekly differentially private releases, and tiles drawn from them.

A week is released once, after it ends (segments/logic/heat_privacy.py has the mechanism):
public rides only, riders who opted out left out, each rider's zones cut with a keyed random
buffer. Tiles read the released counts of the last WINDOW_DAYS and nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.errors import InvalidInput, NotFound
from bikenode.segments.heatmaps import Tile, encode_png
from bikenode.segments.logic.heat import SENTINEL, from_store_px, tile_in_range
from bikenode.segments.logic.heat_privacy import (
    WINDOW_DAYS,
    Cell,
    ReleasePolicy,
    bound_contribution,
    community_cells,
    community_grid,
    count_riders,
    release,
    tile_cell_range,
    zone_buffer_m,
)
from bikenode.segments.models import HeatChunk, HeatRelease, HeatReleasedCell, HeatRider

WEEK = timedelta(days=7)
COMMUNITY_CACHE_CONTROL = "public, max-age=3600"  # released counts change once a week
_SYSTEM = secrets.SystemRandom()


def _secure_normal(cells: list[Cell]) -> NDArray[np.float64]:
    return np.array([_SYSTEM.gauss(0.0, 1.0) for _ in cells], dtype=np.float64)


def _secure_sample(cells: list[Cell], k: int) -> list[Cell]:
    return _SYSTEM.sample(cells, k)


def week_start_of(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the moment's ISO week."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def release_week(
    session: Session,
    *,
    week_start: datetime,
    key: bytes,
    now: datetime,
    policy: ReleasePolicy | None = None,
    noise: Callable[[list[Cell]], NDArray[np.float64]] = _secure_normal,
    choose: Callable[[list[Cell], int], list[Cell]] = _secure_sample,
) -> int:
    """Release one ended week's community counts, once (a second call releases nothing);
    commits. Returns the cells released. InvalidInput for a week not begun on a Monday at
    00:00 UTC or not yet over."""
    policy = policy or ReleasePolicy()
    if week_start != week_start_of(week_start) or week_start + WEEK > now:
        raise InvalidInput(f"expected the Monday 00:00 UTC of an ended week, got {week_start}")
    if session.get(HeatRelease, week_start) is not None:
        return 0
    weekly = rider_week_cells(session, week_start, key)
    bounded = [bound_contribution(cells, policy.max_cells, choose) for cells in weekly.values()]
    released = release(count_riders(bounded), policy, noise)
    for (cx, cy), riders in released.items():
        session.add(HeatReleasedCell(week_start=week_start, cell_x=cx, cell_y=cy, riders=riders))
    session.add(
        HeatRelease(
            week_start=week_start,
            epsilon=policy.epsilon,
            delta=policy.delta,
            max_cells=policy.max_cells,
            min_riders=policy.min_riders,
            cells=len(released),
        )
    )
    session.commit()
    return len(released)


def release_due_weeks(session: Session, *, key: bytes, now: datetime) -> int:
    """Release every ended week of the window not released yet; commits. Returns the cells."""
    week = week_start_of(now - timedelta(days=WINDOW_DAYS))
    total = 0
    while week + WEEK <= now:
        total += release_week(session, week_start=week, key=key, now=now)
        week += WEEK
    return total


def rider_week_cells(
    session: Session, week_start: datetime, key: bytes, owners: set[uuid.UUID] | None = None
) -> dict[uuid.UUID, set[Cell]]:
    """Each rider's community cells of the week (only `owners`' when given): public rides,
    riders who opted out left out, zones cut with their keyed buffers; before bounding."""
    opted_out = select(HeatRider.owner_id).where(HeatRider.community_opt_out.is_(True))
    query = select(HeatChunk.owner_id, HeatChunk.points).where(
        HeatChunk.level == 0,  # the whole track: zones are cut from every sample
        HeatChunk.ride_visibility == "public",
        HeatChunk.started_at >= week_start,
        HeatChunk.started_at < week_start + WEEK,
        HeatChunk.owner_id.not_in(opted_out),
    )
    if owners is not None:
        query = query.where(HeatChunk.owner_id.in_(owners))
    rows = session.execute(query).all()
    points: dict[uuid.UUID, list[NDArray[np.uint32]]] = defaultdict(list)
    for owner_id, blob in rows:
        array = np.frombuffer(blob, dtype="<u4").reshape(-1, 2)
        points[owner_id].append(array[array[:, 0] != SENTINEL])
    circles = rides.privacy_circles_of(session, owner_ids=set(points))
    cells: dict[uuid.UUID, set[Cell]] = {}
    for owner_id, parts in points.items():
        xy = np.concatenate(parts)
        lat, lon = from_store_px(xy[:, 0], xy[:, 1])
        buffered = [
            rides.HiddenCircle(
                c.lat_deg,
                c.lon_deg,
                c.radius_m + zone_buffer_m(key, owner_id, c.lat_deg, c.lon_deg),
            )
            for c in circles.get(owner_id, [])
        ]
        keep = ~rides.hidden_mask(buffered, lat, lon)
        cells[owner_id] = community_cells(xy[keep, 0], xy[keep, 1])
    return cells


def community_tile(
    session: Session, *, z: int, x: int, y: int, now: datetime, if_none_match: str | None = None
) -> Tile:
    """The instance's community heatmap tile, from the released counts of the window.
    NotFound for a tile outside zoom 0 to 18 or its zoom's x/y range."""
    latest = session.scalar(select(func.max(HeatRelease.released_at)))
    return released_tile(
        session,
        cells=select(HeatReleasedCell.cell_x, HeatReleasedCell.cell_y, HeatReleasedCell.riders)
        .where(HeatReleasedCell.week_start >= window_start(now))
        .subquery(),
        tag=f"{latest}",
        place=(z, x, y),
        now=now,
        if_none_match=if_none_match,
    )


def window_start(now: datetime) -> datetime:
    """The first week a tile drawn at `now` sums."""
    return week_start_of(now) - timedelta(days=WINDOW_DAYS)


def released_tile(
    session: Session,
    *,
    cells: Subquery,
    tag: str,
    place: tuple[int, int, int],
    now: datetime,
    if_none_match: str | None,
) -> Tile:
    """A tile drawn from released weekly cells (columns cell_x, cell_y, riders), summed over
    the window; its ETag changes with `tag` (the latest release) and the window."""
    z, x, y = place
    if not tile_in_range(z, x, y):
        raise NotFound(f"no tile {z}/{x}/{y}: expected zoom 0-18 and x, y below 2**zoom")
    digest = hashlib.sha256(f"{tag}|{window_start(now)}|{z}/{x}/{y}".encode()).hexdigest()[:32]
    etag = f'"c{digest}"'
    if if_none_match is not None and etag in {p.strip() for p in if_none_match.split(",")}:
        return Tile(etag, None)
    min_x, max_x, min_y, max_y = tile_cell_range(z, x, y)
    rows = session.execute(
        select(cells.c.cell_x, cells.c.cell_y, func.sum(cells.c.riders))
        .where(cells.c.cell_x.between(min_x, max_x), cells.c.cell_y.between(min_y, max_y))
        .group_by(cells.c.cell_x, cells.c.cell_y)
    ).all()
    cx = np.array([r[0] for r in rows], dtype=np.int64)
    cy = np.array([r[1] for r in rows], dtype=np.int64)
    riders = np.array([float(r[2]) for r in rows], dtype=np.float64)
    return Tile(etag, encode_png(community_grid(cx, cy, riders, z, x, y)))
