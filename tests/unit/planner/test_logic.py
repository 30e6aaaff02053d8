"""Route documents read leniently, GPX, the update log's limits, the rate limit."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from bikenode.planner import logic
from bikenode.planner.logic import UpdateLog, Waypoint


def _doc_update(build: Any) -> bytes:
    doc: Doc[Any] = Doc()
    build(doc)
    return doc.get_update()


def test_new_route_round_trips_through_the_document() -> None:
    points = [Waypoint("a", 46.0, 7.0, "start"), Waypoint("b", -10.5, 170.25)]
    update = logic.new_route_update("Loop", "notes", points)
    assert logic.read_route(update, max_waypoints=10) == logic.RouteContent("Loop", "notes", points)
    assert logic.read_name(update) == "Loop"


def test_reading_skips_what_is_not_a_waypoint() -> None:
    def build(doc: Doc[Any]) -> None:
        array = doc.get(logic.WAYPOINTS, type=Array)
        array.append(Map({"id": "ok", "lat": 1, "lon": 2}))
        array.append(Map({"id": "ok", "lat": 5.0, "lon": 5.0}))  # a repeated id: first wins
        array.append(Map({"id": "far", "lat": 91.0, "lon": 0.0}))
        array.append(Map({"id": "nan", "lat": math.nan, "lon": 0.0}))
        array.append(Map({"id": "bool", "lat": True, "lon": 0.0}))
        array.append(Map({"lat": 1.0, "lon": 1.0}))
        array.append("a string")
        array.append(Map({"id": "x" * 65, "lat": 1.0, "lon": 1.0}))
        array.append(Map({"id": "last", "lat": 3.0, "lon": 4.0, "name": 7}))

    route = logic.read_route(_doc_update(build), max_waypoints=100)
    assert route.waypoints == [Waypoint("ok", 1.0, 2.0), Waypoint("last", 3.0, 4.0)]


def test_reading_survives_roots_of_the_wrong_type() -> None:
    def build(doc: Doc[Any]) -> None:
        doc.get(logic.WAYPOINTS, type=Map)["x"] = 1
        doc.get(logic.META, type=Text).insert(0, "not a map")

    assert logic.read_route(_doc_update(build), max_waypoints=5) == logic.RouteContent("", "", [])


def test_reading_stops_at_the_waypoint_limit() -> None:
    points = [Waypoint(str(i), 0.0, float(i)) for i in range(10)]
    route = logic.read_route(logic.new_route_update("r", "", points), max_waypoints=3)
    assert [p.id for p in route.waypoints] == ["0", "1", "2"]


def test_unreadable_updates_are_refused() -> None:
    with pytest.raises(logic.BadUpdate, match="expected a Yjs update"):
        logic.check_update(b"\x01\x02garbage")
    log = UpdateLog(max_bytes=10_000)
    with pytest.raises(logic.BadUpdate):
        log.append(b"\xff\xff\xff")
    with pytest.raises(logic.BadUpdate, match="state vector"):
        log.missing(b"\xff\xff")


def test_update_log_refuses_to_grow_past_its_limit() -> None:
    log = UpdateLog(max_bytes=2_000)
    log.append(logic.new_route_update("r", "", []))
    with pytest.raises(logic.DocumentTooLarge, match="under 2000 bytes"):
        log.append(logic.new_route_update("r", "n" * 3_000, []))


def test_update_log_compacts_a_long_tail() -> None:
    log = UpdateLog(max_bytes=10**7)
    doc: Doc[Any] = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get(logic.NOTES, type=Text)
    for i in range(logic.MAX_TAIL_UPDATES + 10):
        text += str(i % 10)
    for update in updates:
        log.append(update)
    assert len(log.tail) < logic.MAX_TAIL_UPDATES
    copy = logic.load_doc(log.missing(b"\x00"))
    assert str(copy.get(logic.NOTES, type=Text)) == str(text)


def test_gpx_escapes_names_and_drops_control_characters() -> None:
    route = logic.RouteContent("A & <B>", "", [Waypoint("a", 1.0, 2.0, 'say "hi"\x07')])
    gpx = logic.route_gpx(route).decode()
    assert "<name>A &amp; &lt;B&gt;</name>" in gpx
    assert '<rtept lat="1.0000000" lon="2.0000000"><name>say "hi"</name></rtept>' in gpx
    assert "<desc>" not in gpx
