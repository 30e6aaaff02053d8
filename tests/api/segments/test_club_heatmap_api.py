"""A club's community heatmap over HTTP: released from its active members' public rides only
(a non-member's never count, a leaver's stop counting, opt-outs honoured, a lone rider's
road stays dark), and its tiles seen by members only."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bikenode import social
from bikenode.geo import haversine_m
from bikenode.segments.club_heat import (
    CLUB_POLICY,
    heat_clubs,
    release_club_week,
    release_due_club_weeks,
)
from bikenode.segments.logic.heat_privacy import Cell, ReleasePolicy
from bikenode.segments.models import HeatClubRelease, HeatClubReleasedCell
from tests.api.segments.test_heatmaps_api import (
    AFTER,
    MIDDLE,
    T0,
    WEEK1,
    Rider,
    _cell_centre,
    lit_pixels,
    tile_at,
)

# Loose, so that a handful of riders show: the bounds the tests check hold for any policy.
# Threshold 6.5: seven riders show, six do not (with no noise).
SMALL_CLUB = ReleasePolicy(epsilon=200.0, delta=0.4, max_cells=100, min_riders=5)
KEY = b"test key" * 4
FAR_M = 15_000.0  # the lone rider rides 30 km east of the club's road


def _club(client: TestClient, owner: Rider, members: list[Rider]) -> uuid.UUID:
    made = client.post(
        "/api/v1/clubs", json={"name": "Dawn Patrol", "sport": "road"}, headers=owner.headers
    )
    assert made.status_code == 201, made.text
    club = str(made.json()["id"])
    for member in members:
        joined = client.post(f"/api/v1/clubs/{club}/membership", headers=member.headers)
        assert joined.status_code == 200 and joined.json()["status"] == "active", joined.text
    return uuid.UUID(club)


def _release(client: TestClient, club: uuid.UUID, week: datetime, noise: float) -> dict[Cell, int]:
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        members = heat_clubs(social.active_memberships(session)).get(club, set())
        release_club_week(
            session,
            club_id=club,
            members=members,
            week_start=week,
            key=KEY,
            now=AFTER,
            policy=SMALL_CLUB,
            noise=lambda cells: np.full(len(cells), noise),
        )
        rows = session.execute(
            select(
                HeatClubReleasedCell.cell_x,
                HeatClubReleasedCell.cell_y,
                HeatClubReleasedCell.riders,
            ).where(HeatClubReleasedCell.club_id == club, HeatClubReleasedCell.week_start == week)
        ).all()
    return {(cx, cy): n for cx, cy, n in rows}


def _far(cells: dict[Cell, int]) -> list[Cell]:
    return [c for c in cells if haversine_m(*MIDDLE, *_cell_centre(c)) > FAR_M]


def test_a_club_heatmap_counts_its_members_only_and_never_a_lone_road(
    client: TestClient,
) -> None:
    owner, *members = [Rider(client) for _ in range(8)]
    loner, outsider = Rider(client), Rider(client)
    club = _club(client, owner, [*members, loner])
    opted_out = members[-1]
    answer = client.put(
        "/api/v1/heatmaps/settings", json={"community_opt_out": True}, headers=opted_out.headers
    )
    assert answer.status_code == 200
    for rider in (owner, *members, outsider):
        rider.upload()
    loner.upload(shift_m=30_000.0)

    # Week 1: the owner and six members count (seven); the outsider on the same road and
    # the member who opted out do not (either would make eight).
    week1 = _release(client, club, WEEK1, noise=0.0)
    assert week1 and set(week1.values()) == {7}
    assert _far(week1) == []  # the lone member's road

    # Week 2: one member has left; noise pushes every count up by 10 riders, and still the
    # lone member's road never lights (a cell needs 5 riders before noise is even drawn).
    leaver = members[0]
    assert client.delete(f"/api/v1/clubs/{club}/membership", headers=leaver.headers).is_success
    week2_t0 = T0 + 7 * 86_400
    for rider in (owner, *members, outsider):
        rider.upload(t0=week2_t0)
    loner.upload(shift_m=30_000.0, t0=week2_t0)
    week2 = _release(client, club, WEEK1 + timedelta(days=7), noise=10.0 / SMALL_CLUB.sigma)
    assert week2 and set(week2.values()) == {6 + 10}
    assert _far(week2) == []
    assert _release(client, club, WEEK1 + timedelta(days=7), noise=0.0) == week2  # once

    # The tiles: a member sees the club's heat, privately cached; anyone else gets 404.
    path = f"community/{tile_at(*MIDDLE, 12)}?club={club}"
    status, png, headers = owner.tile(path)
    assert status == 200 and lit_pixels(png) > 0
    assert headers["cache-control"].startswith("private")
    assert owner.tile(path, **{"If-None-Match": headers["etag"]})[0] == 304
    assert owner.tile(f"community/{tile_at(*MIDDLE, 12)}")[2]["etag"] != headers["etag"]
    for stranger in (outsider, leaver):
        assert stranger.tile(path)[0] == 404
    assert client.get(f"/api/v1/heatmaps/{path}").status_code == 401
    assert owner.tile(f"community/1/0/0.png?club={uuid.uuid4()}")[0] == 404
    assert owner.tile("community/1/0/0.png?club=not-a-club")[0] == 422
    assert owner.tile(f"community/3/8/1.png?club={club}")[0] == 404  # out of range
    far_tile = f"community/{tile_at(MIDDLE[0], MIDDLE[1] + 0.39, 12)}?club={club}"
    status, png, _ = loner.tile(far_tile)
    assert status == 200 and lit_pixels(png) == 0


def test_the_release_job_releases_every_club_once_and_a_small_club_stays_dark(
    client: TestClient,
) -> None:
    owner, *members = [Rider(client) for _ in range(6)]
    club = _club(client, owner, members)
    for rider in (owner, *members):
        rider.upload()
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        cells = release_due_club_weeks(session, key=KEY, now=AFTER)
        again = release_due_club_weeks(session, key=KEY, now=AFTER)
        releases = session.scalars(
            select(HeatClubRelease).where(HeatClubRelease.club_id == club)
        ).all()
        released = session.scalar(select(func.count()).select_from(HeatClubReleasedCell))
    # Six riders are far below the club threshold (about 142 at epsilon 1): nothing shows.
    assert cells == 0 and again == 0 and released == 0
    assert len(releases) >= 52 and len({r.week_start for r in releases}) == len(releases)
    assert {r.min_riders for r in releases} == {CLUB_POLICY.min_riders}
    assert max(r.members for r in releases) == 6
