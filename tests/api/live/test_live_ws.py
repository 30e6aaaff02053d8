"""The live WebSocket protocol through the ASGI app: riders, viewers, resume, bad input."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from bikenode.live.logic import encode_batch
from tests.factories import signed_in
from tests.live_tools import batch_frame, columns

_open: list[contextlib.ExitStack] = []


@pytest.fixture(autouse=True)
def _close_sockets(client: TestClient) -> Iterator[None]:
    """Close every socket a test opened, even when it fails, before the client stops."""
    with contextlib.ExitStack() as stack:
        _open.append(stack)
        yield
        _open.pop()


def _enter(socket: Any) -> WebSocketTestSession:
    entered: WebSocketTestSession = _open[-1].enter_context(socket)
    return entered


def _leave(socket: WebSocketTestSession) -> None:
    socket.__exit__(None, None, None)  # the fixture's exit later finds nothing left to do


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _start(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/live/sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _rider(client: TestClient, session_id: str, headers: dict[str, str]) -> WebSocketTestSession:
    socket = client.websocket_connect(f"/api/v1/live/sessions/{session_id}/ride")
    socket = _enter(socket)
    socket.send_json({"type": "hello", "token": _token(headers)})
    welcome = socket.receive_json()
    assert welcome["type"] == "welcome", welcome
    return socket


def _send_batch(socket: WebSocketTestSession, batch_no: int) -> dict[str, Any]:
    socket.send_json(batch_frame(batch_no))
    reply: dict[str, Any] = socket.receive_json()
    return reply


def _viewer(client: TestClient, session_id: str, hello: dict[str, Any]) -> WebSocketTestSession:
    socket = client.websocket_connect(f"/api/v1/live/sessions/{session_id}/watch")
    socket = _enter(socket)
    socket.send_json({"type": "hello", **hello})
    return socket


def _until(socket: WebSocketTestSession, kind: str) -> dict[str, Any]:
    for _ in range(100):
        message: dict[str, Any] = socket.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


def test_rider_batches_reach_a_viewer_in_order_with_sequence_numbers(client: TestClient) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers, name="Evening loop")
    viewer = _viewer(client, live["id"], {"token": _token(headers)})
    welcome = viewer.receive_json()
    assert welcome["type"] == "welcome" and welcome["seq"] == 0
    assert viewer.receive_json()["type"] == "state"
    rider = _rider(client, live["id"], headers)
    acks = [_send_batch(rider, n) for n in (1, 2, 3)]
    assert [a["seq"] for a in acks] == [1, 2, 3]
    received = [viewer.receive_json() for _ in range(3)]
    assert [m["seq"] for m in received] == [1, 2, 3]
    expected = columns(2)
    assert received[1]["data"]["t"] == expected["t"]
    assert received[1]["data"]["lat"][0] == pytest.approx(expected["lat"][0] / 1e7)
    _leave(rider)
    _leave(viewer)


def test_a_batch_sent_twice_is_stored_and_delivered_once(client: TestClient) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers)
    rider = _rider(client, live["id"], headers)
    first = _send_batch(rider, 1)
    again = _send_batch(rider, 1)
    assert first == {"type": "ack", "batch": 1, "seq": 1, "duplicate": False}
    assert again["duplicate"] is True and again["seq"] is None
    assert _send_batch(rider, 2)["seq"] == 2
    _leave(rider)
    # A reconnecting rider is told the last stored batch and its retry is still a duplicate.
    rider = _rider_again(client, live["id"], headers, expect_last_batch=2)
    assert _send_batch(rider, 2)["duplicate"] is True
    _leave(rider)
    ended = client.post(f"/api/v1/live/sessions/{live['id']}/end", headers=headers).json()
    ride = client.get(f"/api/v1/rides/{ended['ride_id']}", headers=headers).json()
    assert ride["source"] == "live"
    # Two batches of 10 points a second apart: 19 s of riding, each point stored once.
    assert ride["elapsed_time_s"] == pytest.approx(19.0)


def test_a_batch_after_the_session_ended_is_refused_with_4009_and_not_stored(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers, visibility="public")
    rider = _rider(client, live["id"], headers)
    assert _send_batch(rider, 1)["duplicate"] is False
    ended = client.post(f"/api/v1/live/sessions/{live['id']}/end", headers=headers).json()
    rider.send_json(batch_frame(2))  # the rider's socket is still open
    with pytest.raises(WebSocketDisconnect) as closed:
        rider.receive_json()  # no ack: the next thing is the close
    assert closed.value.code == 4009
    state = _until(_viewer(client, live["id"], {}), "state")["state"]
    assert state["status"] == "ended" and state["last_batch"] == 1
    assert len(state["trail"]["t"]) == 10  # batch 2 was stored nowhere
    ride = client.get(f"/api/v1/rides/{ended['ride_id']}", headers=headers).json()
    assert ride["point_count"] == 10
    again = _enter(client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ride"))
    again.send_json({"type": "hello", "token": _token(headers)})
    assert _closed_with(again) == 4009


def _rider_again(
    client: TestClient, session_id: str, headers: dict[str, str], *, expect_last_batch: int
) -> WebSocketTestSession:
    socket = client.websocket_connect(f"/api/v1/live/sessions/{session_id}/ride")
    socket = _enter(socket)
    socket.send_json({"type": "hello", "token": _token(headers)})
    welcome = socket.receive_json()
    assert welcome["last_batch"] == expect_last_batch
    return socket


def test_a_viewer_resumes_from_its_last_sequence_without_loss(client: TestClient) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers, visibility="public")
    rider = _rider(client, live["id"], headers)
    viewer = _viewer(client, live["id"], {})
    epoch = viewer.receive_json()["epoch"]
    _send_batch(rider, 1)
    assert _until(viewer, "msg")["seq"] == 1
    _leave(viewer)
    for n in (2, 3, 4):
        _send_batch(rider, n)
    viewer = _viewer(client, live["id"], {"epoch": epoch, "last_seq": 1})
    welcome = viewer.receive_json()
    assert welcome["resumed"] is True
    assert [viewer.receive_json()["seq"] for _ in range(3)] == [2, 3, 4]
    _send_batch(rider, 5)
    assert viewer.receive_json()["seq"] == 5
    _leave(viewer)
    _leave(rider)


def test_a_viewer_from_another_epoch_is_told_and_given_the_state(client: TestClient) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers, visibility="public")
    rider = _rider(client, live["id"], headers)
    _send_batch(rider, 1)
    viewer = _viewer(client, live["id"], {"epoch": "an-old-epoch", "last_seq": 40})
    assert viewer.receive_json()["type"] == "welcome"
    notice = viewer.receive_json()
    assert notice["type"] == "new_epoch" and notice["previous_epoch"] == "an-old-epoch"
    state = viewer.receive_json()
    assert state["type"] == "state" and state["state"]["last_batch"] == 1
    assert viewer.receive_json()["seq"] == 1  # the new epoch's whole window follows
    _leave(viewer)
    _leave(rider)


@pytest.fixture
def small_history(app: Any) -> None:
    app.state.live.hub.broker.history_size = 3


def test_a_gap_older_than_the_history_window_is_named(
    client: TestClient, small_history: None
) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers, visibility="public")
    rider = _rider(client, live["id"], headers)
    viewer = _viewer(client, live["id"], {})
    epoch = viewer.receive_json()["epoch"]
    _leave(viewer)
    for n in range(1, 7):
        _send_batch(rider, n)
    viewer = _viewer(client, live["id"], {"epoch": epoch, "last_seq": 1})
    viewer.receive_json()  # welcome
    gap = viewer.receive_json()
    assert gap == {"type": "gap", "epoch": epoch, "missed_from": 2, "missed_to": 3}
    assert viewer.receive_json()["type"] == "state"
    assert [viewer.receive_json()["seq"] for _ in range(3)] == [4, 5, 6]
    _leave(viewer)
    _leave(rider)


def _closed_with(socket: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(10):
            socket.receive_json()
    return closed.value.code


def test_private_session_refuses_anonymous_and_strangers_with_close_codes(
    client: TestClient,
) -> None:
    _, owner = signed_in(client)
    _, stranger = signed_in(client)
    live = _start(client, owner)
    assert _closed_with(_viewer(client, live["id"], {})) == 4001
    assert (
        _closed_with(_viewer(client, live["id"], {"token": _token(stranger)})) == 4004
    )  # a stranger: no existence oracle
    assert _closed_with(_viewer(client, live["id"], {"token": "not-a-token"})) == 4001
    missing = "00000000-0000-4000-8000-000000000000"
    assert _closed_with(_viewer(client, missing, {"token": _token(owner)})) == 4004
    rider = client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ride")
    rider = _enter(rider)
    rider.send_json({"type": "hello", "token": _token(stranger)})
    assert _closed_with(rider) == 4004


def test_a_share_link_admits_until_revoked_and_revoking_disconnects(client: TestClient) -> None:
    _, owner = signed_in(client)
    live = _start(client, owner)
    share = client.post(f"/api/v1/live/sessions/{live['id']}/shares", headers=owner).json()
    viewer = _viewer(client, live["id"], {"share": share["token"]})
    assert viewer.receive_json()["type"] == "welcome"
    assert viewer.receive_json()["type"] == "state"
    revoked = client.delete(
        f"/api/v1/live/sessions/{live['id']}/shares/{share['id']}", headers=owner
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert _closed_with(viewer) == 4003
    assert _closed_with(_viewer(client, live["id"], {"share": share["token"]})) == 4003


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (
            json.dumps({**batch_frame(1), "lat": [900_000_001, *batch_frame(1)["lat"][1:]]}),
            "out_of_range",
        ),
        (
            json.dumps(
                {
                    **batch_frame(1),
                    "t": [batch_frame(1)["t"][0], 1000, -2000, *batch_frame(1)["t"][3:]],
                }
            ),
            "time_backwards",
        ),
        (json.dumps({**batch_frame(1), "hr": [999] * 10}), "out_of_range"),
    ],
)
def test_bad_frames_get_an_error_and_the_connection_lives_on(
    client: TestClient, frame: str, code: str
) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers)
    rider = _rider(client, live["id"], headers)
    rider.send_text(frame)
    error = rider.receive_json()
    assert error["type"] == "error" and error["code"] == code, error
    assert _send_batch(rider, 1)["type"] == "ack"
    _leave(rider)


def test_binary_frames_are_refused_and_time_may_not_go_back_across_batches(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers)
    rider = _rider(client, live["id"], headers)
    rider.send_bytes(b"\x00\x01")
    assert rider.receive_json()["code"] == "binary"
    assert _send_batch(rider, 2)["type"] == "ack"
    rider.send_json(batch_frame(3, start_ms=batch_frame(1)["t"][0] - 60_000))
    assert rider.receive_json()["code"] == "time_backwards"
    _leave(rider)


def test_an_oversized_frame_closes_with_1009(client: TestClient) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers)
    rider = _rider(client, live["id"], headers)
    rider.send_text(json.dumps({"type": "batch", "pad": "x" * 70_000}))
    assert _closed_with(rider) == 1009


@pytest.fixture
def tight_rate(app: Any) -> None:
    app.state.live.settings.live_batches_per_s = 20.0
    app.state.live.settings.live_batch_burst = 5


def test_a_flooding_rider_is_slowed_to_the_session_rate_and_kept_in_order(
    client: TestClient, tight_rate: None
) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers)
    rider = _rider(client, live["id"], headers)
    started = time.monotonic()
    for n in range(1, 26):
        rider.send_json(batch_frame(n))  # all at once, without waiting for acks
    acks = [rider.receive_json() for _ in range(25)]
    took_s = time.monotonic() - started
    assert [a["seq"] for a in acks] == list(range(1, 26))
    assert took_s >= (25 - 5) / 20 * 0.9  # the burst passes at once, the rest at 20 a second


def _frame_at(batch_no: int, north_m: float, start_ms: int) -> dict[str, Any]:
    """A 10-point batch around `north_m` metres north of the base position."""
    values = columns(batch_no, start_ms=start_ms)
    offset = round(north_m / 111_195 * 1e7) - values["lat"][0] + 515_000_000
    values["lat"] = [lat + offset for lat in values["lat"]]
    return encode_batch(batch_no, values)


def test_privacy_zones_are_cut_from_live_positions_and_the_trail(client: TestClient) -> None:
    _, headers = signed_in(client)
    zone = {"name": "home", "lat_deg": 51.5, "lon_deg": -0.12, "radius_m": 200.0}
    assert client.post("/api/v1/privacy-zones", json=zone, headers=headers).status_code == 201
    live = _start(client, headers, visibility="public")
    viewer = _viewer(client, live["id"], {})
    _until(viewer, "state")
    rider = _rider(client, live["id"], headers)
    start_ms = int(time.time() * 1000) - 600_000
    assert _send_batch_frame(rider, _frame_at(1, 0, start_ms))["seq"] == 1  # at home
    assert _send_batch_frame(rider, _frame_at(2, 5000, start_ms))["seq"] == 2  # 5 km away
    at_home, away = _until(viewer, "msg"), _until(viewer, "msg")
    assert at_home["data"]["batch"] == 1 and at_home["data"]["lat"] == []
    assert len(away["data"]["lat"]) == 10 and min(away["data"]["lat"]) > 51.54
    late = _viewer(client, live["id"], {})
    trail = _until(late, "state")["state"]["trail"]
    assert len(trail["lat"]) == 10 and min(trail["lat"]) > 51.54  # nothing from home
    _leave(late)
    _leave(rider)
    _leave(viewer)


def _send_batch_frame(socket: WebSocketTestSession, frame: dict[str, Any]) -> dict[str, Any]:
    socket.send_json(frame)
    reply: dict[str, Any] = socket.receive_json()
    assert reply["type"] == "ack", reply
    return reply


def test_a_group_ride_reports_state_split_and_regroup(client: TestClient) -> None:
    _, organiser_headers = signed_in(client)
    member, member_headers = signed_in(client)
    group = client.post(
        "/api/v1/live/groups",
        json={"name": "Sunday club run", "split_distance_m": 500.0},
        headers=organiser_headers,
    ).json()
    added = client.post(
        f"/api/v1/live/groups/{group['id']}/members",
        json={"email": member["email"], "display_name": "Sam"},
        headers=organiser_headers,
    )
    assert added.status_code == 204
    stranger = client.websocket_connect(f"/api/v1/live/groups/{group['id']}/watch")
    with stranger as socket:  # a private group ride refuses anonymous viewers
        socket.send_json({"type": "hello"})
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 4001
    watcher = _enter(client.websocket_connect(group["watch_socket"]))
    watcher.send_json({"type": "hello", "token": _token(organiser_headers)})
    assert _until(watcher, "state")["state"]["clusters"] == []
    riders = []
    for headers in (organiser_headers, member_headers):
        live = _start(client, headers, group_id=group["id"])
        riders.append(_rider(client, live["id"], headers))
    start_ms = int(time.time() * 1000) - 60_000
    lead, sam = riders
    kinds: list[str] = []

    def step(socket: WebSocketTestSession, batch_no: int, north_m: float) -> dict[str, Any]:
        _send_batch_frame(socket, _frame_at(batch_no, north_m, start_ms))
        while True:
            data: dict[str, Any] = _until(watcher, "msg")["data"]
            kinds.append(data["kind"])
            if data["kind"] == "group_state":
                return data

    step(lead, 1, 1000)
    together = step(sam, 1, 1100)
    assert len(together["clusters"]) == 1 and together["spread_m"] == pytest.approx(100, abs=5)
    assert {m["name"] for m in together["members"]} >= {"Sam"}
    apart = step(sam, 2, 3000)  # Sam rides 2 km ahead of the organiser
    sam_id = next(m["member"] for m in apart["members"] if m["name"] == "Sam")
    assert len(apart["clusters"]) == 2 and [sam_id] in apart["clusters"]
    back = step(lead, 2, 2900)
    assert len(back["clusters"]) == 1
    assert kinds.count("group_split") == 1 and kinds.count("group_regroup") == 1
    assert kinds.index("group_split") < kinds.index("group_regroup")
    for socket in (*riders, watcher):
        _leave(socket)


def test_each_late_viewer_gets_the_whole_trail_so_far(client: TestClient) -> None:
    _, headers = signed_in(client)
    live = _start(client, headers, visibility="public")
    rider = _rider(client, live["id"], headers)
    trails = []
    for batch_no in (1, 2, 3):
        _send_batch(rider, batch_no)
        late = _viewer(client, live["id"], {})
        state = _until(late, "state")["state"]
        trails.append((state["last_batch"], len(state["trail"]["t"])))
        _leave(late)
    # The node loads each batch from the database once and keeps the trail; none is missed.
    assert trails == [(1, 10), (2, 20), (3, 30)]
    _leave(rider)


def _private_group(
    client: TestClient, organiser: dict[str, str], member_email: str
) -> dict[str, Any]:
    group: dict[str, Any] = client.post(
        "/api/v1/live/groups", json={"name": "Club run"}, headers=organiser
    ).json()
    assert group["visibility"] == "private", group
    added = client.post(
        f"/api/v1/live/groups/{group['id']}/members",
        json={"email": member_email, "display_name": "Sam"},
        headers=organiser,
    )
    assert added.status_code == 204, added.text
    return group


def _group_viewer(client: TestClient, group_id: str, hello: dict[str, Any]) -> WebSocketTestSession:
    socket = _enter(client.websocket_connect(f"/api/v1/live/groups/{group_id}/watch"))
    socket.send_json({"type": "hello", **hello})
    return socket


def _refused_with(socket: WebSocketTestSession) -> int:
    """The close code of a socket refused at its hello; a message instead fails at once."""
    with pytest.raises(WebSocketDisconnect) as closed:
        message = socket.receive_json()
        raise AssertionError(f"let in, got {message}")
    return closed.value.code


def test_a_private_group_ride_closes_a_signed_in_stranger_like_a_missing_group(
    client: TestClient,
) -> None:
    _, organiser = signed_in(client)
    member, member_headers = signed_in(client)
    _, stranger = signed_in(client)
    group = _private_group(client, organiser, member["email"])
    seen = _group_viewer(client, group["id"], {"token": _token(member_headers)})
    assert _until(seen, "state")["state"]["group"] == group["id"]  # a member is let in
    _leave(seen)
    refused = _group_viewer(client, group["id"], {"token": _token(stranger)})
    assert _refused_with(refused) == 4004
    missing = "00000000-0000-4000-8000-000000000000"
    assert _refused_with(_group_viewer(client, missing, {"token": _token(stranger)})) == 4004
    assert _refused_with(_group_viewer(client, group["id"], {})) == 4001


def test_a_group_member_inside_a_privacy_zone_stays_where_last_seen_outside_it(
    client: TestClient,
) -> None:
    _, organiser = signed_in(client)
    member, member_headers = signed_in(client)
    zone = {"name": "home", "lat_deg": 51.5, "lon_deg": -0.12, "radius_m": 200.0}
    made = client.post("/api/v1/privacy-zones", json=zone, headers=member_headers)
    assert made.status_code == 201, made.text
    group = _private_group(client, organiser, member["email"])
    watcher = _group_viewer(client, group["id"], {"token": _token(organiser)})
    _until(watcher, "state")
    live = _start(client, member_headers, group_id=group["id"])
    rider = _rider(client, live["id"], member_headers)
    start_ms = int(time.time() * 1000) - 60_000
    states = []
    for batch_no, north_m in ((1, 3000), (2, 0), (3, 50)):  # out, then home, then at the door
        _send_batch_frame(rider, _frame_at(batch_no, north_m, start_ms))
        while (data := _until(watcher, "msg")["data"])["kind"] != "group_state":
            pass
        states.append(data)
    outside, *at_home = [next(m for m in s["members"] if m["name"] == "Sam") for s in states]
    assert outside["lat"] > 51.52
    assert all(
        (m["lat"], m["lon"], m["t"]) == (outside["lat"], outside["lon"], outside["t"])
        for m in at_home
    )
    late = _group_viewer(client, group["id"], {"token": _token(organiser)})
    members = _until(late, "state")["state"]["members"]
    assert [m["lat"] for m in members if m["name"] == "Sam"] == [outside["lat"]]
    for socket in (late, rider, watcher):
        _leave(socket)
