"""Group-ride geometry: centre, spread, clusters along a route or straight-line, stale members."""

from __future__ import annotations

import math

import pytest

from bikenode.live.groups import (
    GroupState,
    MemberPosition,
    Route,
    along_route_m,
    group_events,
    group_state,
)

NOW_MS = 1_800_000_000_000
M_PER_DEG_LAT = 111_195.0  # the mean Earth radius's metres per degree of latitude


def rider(member: str, north_m: float, east_m: float = 0.0, *, age_s: float = 0) -> MemberPosition:
    lat = 46.0 + north_m / M_PER_DEG_LAT
    lon = 7.0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(46.0)))
    return MemberPosition(member, member.upper(), lat, lon, int(NOW_MS - age_s * 1000))


def state(
    members: list[MemberPosition], route: Route | None = None, split_m: float = 500.0
) -> GroupState:
    return group_state(
        members, now_ms=NOW_MS, split_distance_m=split_m, stale_after_s=60, route=route
    )


def test_a_tight_group_is_one_cluster_with_its_centre_and_spread() -> None:
    result = state([rider("a", 0), rider("b", 100), rider("c", 200)])
    assert result.clusters == [["a", "b", "c"]]
    assert not result.split
    assert result.centre is not None
    assert result.centre[0] == pytest.approx(46.0 + 100 / M_PER_DEG_LAT, abs=1e-6)
    assert result.spread_m == pytest.approx(200, rel=0.01)


def test_straight_line_split_is_single_linkage() -> None:
    # a-b-c are each 400 m apart (a chain within 500 m); d is 2 km away.
    result = state([rider("a", 0), rider("b", 400), rider("c", 800), rider("d", 2800)])
    assert result.clusters == [["a", "b", "c"], ["d"]]
    assert result.split
    assert result.spread_m == pytest.approx(2800, rel=0.01)


def test_along_a_hairpin_route_riders_close_in_a_straight_line_are_apart() -> None:
    # Up 1 km, across 100 m, back down 1 km: riders at the two legs' bottoms are 100 m apart
    # in a straight line but 2.1 km apart along the road.
    east = 100 / (M_PER_DEG_LAT * math.cos(math.radians(46.0)))
    top = 46.0 + 1000 / M_PER_DEG_LAT
    route = Route.from_points([(46.0, 7.0), (top, 7.0), (top, 7.0 + east), (46.0, 7.0 + east)])
    first, last = rider("first", 0, 100), rider("last", 0, 0)
    assert state([first, last]).clusters == [["first", "last"]]
    along = state([first, last], route=route)
    assert along.measured == "route"
    assert along.clusters == [["first"], ["last"]]  # the front cluster first
    assert along.spread_m == pytest.approx(2100, rel=0.01)


def test_along_route_projects_a_point_off_the_line() -> None:
    route = Route.from_points([(46.0, 7.0), (46.0 + 1000 / M_PER_DEG_LAT, 7.0)])
    off_line = rider("x", 250, 30)
    assert along_route_m(route, off_line.lat, off_line.lon) == pytest.approx(250, abs=1)
    past_the_end = rider("y", 1500)
    assert along_route_m(route, past_the_end.lat, past_the_end.lon) == pytest.approx(1000, abs=1)


def test_stale_members_are_listed_not_dropped_and_left_out_of_the_geometry() -> None:
    result = state([rider("a", 0), rider("b", 100), rider("gone", 5000, age_s=61)])
    assert result.stale == ["gone"]
    assert result.clusters == [["a", "b"]]  # the silent rider does not make a split
    assert result.spread_m == pytest.approx(100, rel=0.01)


def test_all_stale_gives_no_centre() -> None:
    result = state([rider("a", 0, age_s=600)])
    assert result.centre is None and result.clusters == [] and result.stale == ["a"]


def test_events_split_then_partial_then_full_regroup() -> None:
    together = state([rider("a", 0), rider("b", 100), rider("c", 200)])
    two = state([rider("a", 0), rider("b", 100), rider("c", 2000)])
    three = state([rider("a", 0), rider("b", 1000), rider("c", 2000)])
    assert group_events(1, together) == []
    assert [e["kind"] for e in group_events(1, two)] == ["group_split"]
    assert [e["kind"] for e in group_events(2, three)] == ["group_split"]
    partial = group_events(3, two)
    assert partial[0]["kind"] == "group_regroup" and partial[0]["complete"] is False
    full = group_events(2, together)
    assert full[0]["kind"] == "group_regroup" and full[0]["complete"] is True
    assert group_events(2, state([rider("a", 0, age_s=600)])) == []  # silence is no regroup


def test_a_route_needs_two_points() -> None:
    with pytest.raises(ValueError, match="two points"):
        Route.from_points([(46.0, 7.0)])
