"""Each club's community heatmap: weekly differentially private releases from the public
rides of the club's active members, seen by members only.

The mechanism is the instance's (segments/logic/heat_privacy.py, community_heat.py): public
rides only, opted-out riders left out, zones cut with the same keyed buffers, at most
max_cells cells per rider-week, Gaussian noise and a threshold. Membership is read at release
time, so a member who leaves stops counting from the next release (released weeks stay).
A rider counts in at most MAX_CLUBS_PER_RIDER clubs a week, the ones joined first, so that
the guarantee across clubs has a bound (docs/security.md states it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode import social
from bikenode.errors import InvalidInput, NotFound
from bikenode.segments.community_heat import (
    WEEK,
    _secure_normal,
    _secure_sample,
    released_tile,
    rider_week_cells,
    week_start_of,
    window_start,
)
from bikenode.segments.heatmaps import Tile
from bikenode.segments.logic.heat_privacy import (
    WINDOW_DAYS,
    Cell,
    ReleasePolicy,
    bound_contribution,
    count_riders,
    release,
)
from bikenode.segments.models import HeatClubRelease, HeatClubReleasedCell

# The instance's epsilon, delta and per-rider bound; 5 distinct riders, not 3, before a cell
# is even a candidate: members of a club know one another by name.
CLUB_POLICY = ReleasePolicy(epsilon=1.0, delta=1e-6, max_cells=32, min_riders=5)
MAX_CLUBS_PER_RIDER = 3
CLUB_CACHE_CONTROL = "private, max-age=3600"  # members only; released once a week
NO_CLUB = "no such club"


def heat_clubs(
    memberships: Iterable[tuple[uuid.UUID, uuid.UUID]], max_clubs: int = MAX_CLUBS_PER_RIDER
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """The riders each club's release counts, from (club, rider) pairs earliest joined first:
    every active member, but each rider in only the first `max_clubs` clubs they joined."""
    clubs: dict[uuid.UUID, set[uuid.UUID]] = {}
    joined: dict[uuid.UUID, int] = {}
    for club_id, rider_id in memberships:
        members = clubs.setdefault(club_id, set())
        if joined.get(rider_id, 0) < max_clubs:
            members.add(rider_id)
            joined[rider_id] = joined.get(rider_id, 0) + 1
    return clubs


def release_club_week(
    session: Session,
    *,
    club_id: uuid.UUID,
    members: set[uuid.UUID],
    week_start: datetime,
    key: bytes,
    now: datetime,
    policy: ReleasePolicy = CLUB_POLICY,
    noise: Callable[[list[Cell]], NDArray[np.float64]] = _secure_normal,
    choose: Callable[[list[Cell], int], list[Cell]] = _secure_sample,
) -> int:
    """Release one club's counts of one ended week from its members' rides, once (a second
    call releases nothing); commits. Returns the cells released. InvalidInput for a week not
    begun on a Monday at 00:00 UTC or not yet over."""
    if week_start != week_start_of(week_start) or week_start + WEEK > now:
        raise InvalidInput(f"expected the Monday 00:00 UTC of an ended week, got {week_start}")
    if session.get(HeatClubRelease, (club_id, week_start)) is not None:
        return 0
    weekly = rider_week_cells(session, week_start, key, owners=members) if members else {}
    bounded = [bound_contribution(cells, policy.max_cells, choose) for cells in weekly.values()]
    released = release(count_riders(bounded), policy, noise)
    for (cx, cy), riders in released.items():
        session.add(
            HeatClubReleasedCell(
                club_id=club_id, week_start=week_start, cell_x=cx, cell_y=cy, riders=riders
            )
        )
    session.add(
        HeatClubRelease(
            club_id=club_id,
            week_start=week_start,
            epsilon=policy.epsilon,
            delta=policy.delta,
            max_cells=policy.max_cells,
            min_riders=policy.min_riders,
            members=len(weekly),
            cells=len(released),
        )
    )
    session.commit()
    return len(released)


def release_due_club_weeks(session: Session, *, key: bytes, now: datetime) -> int:
    """Release, for every club, every ended week of the window not released yet for it, from
    its members of now; commits. Returns the cells."""
    clubs = heat_clubs(social.active_memberships(session))
    total = 0
    week = week_start_of(now - timedelta(days=WINDOW_DAYS))
    while week + WEEK <= now:
        for club_id, members in clubs.items():
            total += release_club_week(
                session, club_id=club_id, members=members, week_start=week, key=key, now=now
            )
        week += WEEK
    return total


def club_tile(
    session: Session,
    *,
    club_id: uuid.UUID,
    viewer_id: uuid.UUID,
    place: tuple[int, int, int],
    now: datetime,
    if_none_match: str | None = None,
) -> Tile:
    """A tile of the club's heatmap, from its released counts of the window. NotFound unless
    the viewer is an active member (as the club's boards), or for a tile out of range."""
    if social.club_member_ids(session, club_id=club_id, viewer_id=viewer_id) is None:
        raise NotFound(NO_CLUB)
    latest = session.scalar(
        select(func.max(HeatClubRelease.released_at)).where(HeatClubRelease.club_id == club_id)
    )
    cells = (
        select(
            HeatClubReleasedCell.cell_x, HeatClubReleasedCell.cell_y, HeatClubReleasedCell.riders
        )
        .where(
            HeatClubReleasedCell.club_id == club_id,
            HeatClubReleasedCell.week_start >= window_start(now),
        )
        .subquery()
    )
    return released_tile(
        session,
        cells=cells,
        tag=f"{club_id}|{latest}",
        place=place,
        now=now,
        if_none_match=if_none_match,
    )
