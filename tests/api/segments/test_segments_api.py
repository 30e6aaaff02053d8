"""The segments API over HTTP: make a segment from a ride, find it, its board, a ride's
efforts and one's own; the refusals a client sees (4xx problems, never 500)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.segment_tools import gpx_of, ride, segment_of, to_degrees, winding_road

T0 = 1_780_000_000.0


class Rider:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.headers = signed_in(client)
        self.id = self.call("GET", "/me")["id"]

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        answer = self.client.request(method, f"/api/v1{path}", json=body, headers=self.headers)
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else None

    def upload(self, speed: float, visibility: str = "public", t0: float = T0) -> str:
        gpx = gpx_of(ride(winding_road(), speed_mps=speed, t0=t0))
        [upload] = upload_files(self.client, self.headers, [("road.gpx", gpx)])
        ride_id = str(upload["items"][0]["ride_id"])
        self.call("PATCH", f"/rides/{ride_id}", {"visibility": visibility})
        self.client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
        return ride_id


def _line() -> list[list[float]]:
    lat, lon = to_degrees(segment_of(winding_road(), 1_000.0, 3_000.0))
    return [[float(a), float(b)] for a, b in zip(lat, lon, strict=True)]


def test_a_segment_cut_from_a_ride_shows_its_board_and_the_rides_efforts(
    client: TestClient,
) -> None:
    owner, other = Rider(client), Rider(client)
    mine = owner.upload(8.0)
    body = {"name": "Bends", "from_ride": {"ride_id": mine, "start_m": 1000.0, "end_m": 3000.0}}
    segment = owner.call("POST", "/segments", body, 201)
    assert segment["distance_m"] == pytest.approx(2_000.0, rel=0.02)
    assert len(segment["points"]) < 200  # simplified
    theirs = other.upload(10.0, t0=T0 + 86_400)
    board = other.call("GET", f"/segments/{segment['id']}/leaderboard")
    assert [e["rider_id"] for e in board["entries"]] == [other.id, owner.id]
    assert [e["rank"] for e in board["entries"]] == [1, 2]
    assert board["entries"][0]["effort"]["elapsed_s"] == pytest.approx(200.0, abs=1.5)
    [effort] = owner.call("GET", f"/rides/{theirs}/efforts")["efforts"]
    assert effort["segment_name"] == "Bends"
    assert len(owner.call("GET", "/segments/efforts/mine")["efforts"]) == 1
    faster = owner.upload(9.0, t0=T0 + 2 * 86_400)
    history = owner.call("GET", f"/segments/{segment['id']}/efforts/mine")["efforts"]
    assert [(e["ride_id"], e["personal_best"]) for e in history] == [(mine, True), (faster, True)]
    near = f"{segment['start_lat']},{segment['start_lon']}"
    found = other.call("GET", f"/segments?near={near}&radius_m=100")["segments"]
    assert [s["id"] for s in found] == [segment["id"]]
    lat, lon = segment["start_lat"], segment["start_lon"]
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    assert len(other.call("GET", f"/segments?bbox={box}")["segments"]) == 1
    assert other.call("GET", f"/segments/{segment['id']}/leaderboard?period=month")["entries"] == []
    owner.call("DELETE", f"/segments/{segment['id']}", expect=204)
    assert owner.call("GET", f"/rides/{mine}/efforts")["efforts"] == []


def test_others_cannot_cut_a_segment_from_a_private_ride_nor_see_a_private_segment(
    client: TestClient,
) -> None:
    owner, other = Rider(client), Rider(client)
    private = owner.upload(8.0, visibility="private")
    stolen = {"name": "x", "from_ride": {"ride_id": private, "start_index": 10, "end_index": 300}}
    other.call("POST", "/segments", stolen, 404)
    hidden = owner.call(
        "POST", "/segments", {"name": "Mine", "points": _line(), "visibility": "private"}, 201
    )
    other.call("GET", f"/segments/{hidden['id']}", expect=404)
    other.call("GET", f"/segments/{hidden['id']}/leaderboard", expect=404)
    other.call("DELETE", f"/segments/{hidden['id']}", expect=404)
    other.call("GET", f"/rides/{private}/efforts", expect=404)
    lat, lon = hidden["start_lat"], hidden["start_lon"]
    assert other.call("GET", f"/segments?near={lat},{lon}")["segments"] == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"name": "x"}, "either from_ride or points"),
        ({"name": "x", "points": [[46.0, 14.0], [46.0, 14.0001]]}, "got 8 m"),
        ({"name": "x", "points": [[46.0, 14.0], [95.0, 14.0]]}, "±85°"),
        ({"name": "x", "points": [[46.0, 14.0]] * 5_001}, None),
        ({"name": "x", "points": [[46.0], [46.0, 14.01]]}, None),
        ({"name": "x", "points": [[46.0, 14.0, 1.0, 2.0], [46.0, 14.01]]}, None),
        ({"name": "x", "points": [[46.0, 1e300], [46.0, 14.01]]}, None),
        ({"name": "", "points": [[46.0, 14.0], [46.0, 14.01]]}, None),
        ({"name": "x", "points": [[46.0, 14.0], [46.0, 14.01]], "visibility": "friends"}, None),
    ],
)
def test_bad_segments_are_refused_with_a_problem(
    client: TestClient, body: dict[str, Any], detail: str | None
) -> None:
    rider = Rider(client)
    answer = rider.call("POST", "/segments", body, 422)
    if detail is not None:
        assert detail in answer["detail"]


def test_nan_in_a_polyline_is_refused_before_the_service(client: TestClient) -> None:
    rider = Rider(client)
    raw = b'{"name": "x", "points": [[46.0, NaN], [46.0, 14.01]]}'
    answer = client.post(
        "/api/v1/segments",
        content=raw,
        headers={**rider.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code in (400, 422), answer.text


@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3",
        "bbox=14,46,16,48",
        "bbox=14,46,nan,46.1",
        "near=46,14&radius_m=1e9",
        "near=95,14",
        "near=a,b",
        "limit=100000",
    ],
)
def test_bad_searches_are_refused_with_a_problem(client: TestClient, query: str) -> None:
    Rider(client).call("GET", f"/segments?{query}", expect=422)


def test_a_ride_stretch_outside_the_ride_is_refused(client: TestClient) -> None:
    rider = Rider(client)
    mine = rider.upload(8.0)
    body = {"name": "x", "from_ride": {"ride_id": mine, "start_index": 10, "end_index": 10_000}}
    assert "the ride's samples" in rider.call("POST", "/segments", body, 422)["detail"]
    board = {"name": "x", "from_ride": {"ride_id": mine}}
    assert "start_index and end_index" in rider.call("POST", "/segments", board, 422)["detail"]
    bad_period = rider.call("POST", "/segments", {"name": "x", "points": _line()}, 201)
    rider.call("GET", f"/segments/{bad_period['id']}/leaderboard?period=week", expect=422)
