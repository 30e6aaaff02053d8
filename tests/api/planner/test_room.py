"""The route room WebSocket through the ASGI app: y-websocket sync, awareness, access, limits."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from bikenode.config import Settings
from bikenode.planner import protocol
from bikenode.planner.protocol import AwarenessEntry
from bikenode.planner.rooms import (
    CLOSE_DOCUMENT_FULL,
    CLOSE_NOT_FOUND,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNSUPPORTED,
)
from bikenode.planner.ws import ROOMS_PATH
from tests.factories import signed_in
from tests.planner_tools import Replica

_open: list[contextlib.ExitStack] = []


@pytest.fixture(autouse=True)
def _close_sockets(client: TestClient) -> Iterator[None]:
    """Close every socket a test opened, even when it fails, before the client stops."""
    with contextlib.ExitStack() as stack:
        _open.append(stack)
        yield
        _open.pop()


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _route(client: TestClient, owner: dict[str, str], **body: Any) -> str:
    body.setdefault("name", "Room test")
    response = client.post("/api/v1/routes", json=body, headers=owner)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _share(client: TestClient, route_id: str, owner: dict[str, str], email: str) -> str:
    response = client.post(
        f"/api/v1/routes/{route_id}/collaborators", json={"email": email}, headers=owner
    )
    assert response.status_code == 201, response.text
    return str(response.json()["user_id"])


def _socket(client: TestClient, room: str, token: str | None) -> WebSocketTestSession:
    query = f"?token={token}" if token is not None else ""
    entered: WebSocketTestSession = _open[-1].enter_context(
        client.websocket_connect(f"{ROOMS_PATH}/{room}{query}")
    )
    return entered


def _join(client: TestClient, room: str, token: str) -> tuple[WebSocketTestSession, Replica]:
    """Connect and run the state-vector exchange both ways, as y-websocket does."""
    socket = _socket(client, room, token)
    replica = Replica()
    server_step1 = socket.receive_bytes()
    assert protocol.parse_message(server_step1).kind == "step1"
    reply = replica.handle(server_step1)
    assert reply is not None
    socket.send_bytes(reply)
    socket.send_bytes(replica.step1())
    step2 = socket.receive_bytes()
    assert protocol.parse_message(step2).kind == "step2"
    replica.handle(step2)
    return socket, replica


def _send_edits(socket: WebSocketTestSession, replica: Replica) -> None:
    for update in replica.take_outgoing():
        socket.send_bytes(protocol.sync_update(update))


def _closed_with(socket: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            socket.receive_bytes()
    return closed.value.code


def _read_route(client: TestClient, route_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/api/v1/routes/{route_id}", headers=headers)
    assert response.status_code == 200, response.text
    route: dict[str, Any] = response.json()
    return route


def test_joining_syncs_the_stored_document(client: TestClient) -> None:
    _, owner = signed_in(client)
    route_id = _route(
        client, owner, notes="n", waypoints=[{"id": "s", "lat_deg": 1.0, "lon_deg": 2.0}]
    )
    _, replica = _join(client, route_id, _token(owner))
    assert replica.state() == {
        "waypoints": [{"id": "s", "lat": 1.0, "lon": 2.0}],
        "notes": "n",
        "meta": {"name": "Room test"},
    }


def test_updates_reach_the_other_peer_and_the_stored_route(client: TestClient) -> None:
    payload, collaborator = signed_in(client)
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    _share(client, route_id, owner, payload["email"])
    socket_a, a = _join(client, route_id, _token(owner))
    socket_b, b = _join(client, route_id, _token(collaborator))
    a.add(0, "x", 10.0, 20.0)
    _send_edits(socket_a, a)
    relayed = protocol.parse_message(socket_b.receive_bytes())
    assert relayed.kind == "update"
    b.apply(relayed.payload)
    assert b.state()["waypoints"] == [{"id": "x", "lat": 10.0, "lon": 20.0}]
    b.meta["name"] = "Renamed together"
    _send_edits(socket_b, b)
    a.handle(socket_a.receive_bytes())
    assert a.state() == b.state()
    # The REST view reads the open room, unsaved updates included.
    route = _read_route(client, route_id, owner)
    assert [p["id"] for p in route["waypoints"]] == ["x"]
    socket_a.close()
    socket_b.close()


def test_a_reconnecting_peer_gets_what_it_missed_and_sends_what_it_made(
    client: TestClient,
) -> None:
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    socket, offline = _join(client, route_id, _token(owner))
    socket.close()
    other_socket, other = _join(client, route_id, _token(owner))
    other.add(0, "online", 1.0, 1.0)
    _send_edits(other_socket, other)
    offline.add(0, "offline", 2.0, 2.0)
    offline.take_outgoing()  # made while disconnected: never sent as an update
    socket = _socket(client, route_id, _token(owner))
    socket.send_bytes(offline.step1())
    server_step1 = socket.receive_bytes()
    socket.send_bytes(offline.handle(server_step1) or b"")  # our step 2: the offline edit
    offline.handle(socket.receive_bytes())  # the server's step 2: the online edit
    other.handle(other_socket.receive_bytes())  # relayed to the peer that stayed
    assert sorted(p["id"] for p in offline.state()["waypoints"]) == ["offline", "online"]
    assert other.state() == offline.state()


def test_awareness_is_relayed_echoed_kept_for_newcomers_and_cleared_on_leave(
    client: TestClient,
) -> None:
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    socket_a, _ = _join(client, route_id, _token(owner))
    socket_b, _ = _join(client, route_id, _token(owner))
    cursor = AwarenessEntry(4242, 1, '{"user":{"name":"Ada"},"cursor":{"lat":1,"lon":2}}')
    socket_a.send_bytes(protocol.awareness_message([cursor]))
    relayed = protocol.parse_message(socket_b.receive_bytes())
    assert relayed.kind == "awareness"
    # Echoed to its sender too: it keeps an idle y-websocket client's connection alive.
    assert protocol.parse_message(socket_a.receive_bytes()) == relayed
    assert protocol.parse_awareness(relayed.payload, max_entries=9, max_state_bytes=999) == [cursor]
    socket_c = _socket(client, route_id, _token(owner))
    assert protocol.parse_message(socket_c.receive_bytes()).kind == "step1"
    greeting = protocol.parse_message(socket_c.receive_bytes())
    assert greeting.kind == "awareness"
    assert protocol.parse_awareness(greeting.payload, max_entries=9, max_state_bytes=999) == [
        cursor
    ]
    socket_a.close()
    gone = protocol.parse_message(socket_b.receive_bytes())
    [entry] = protocol.parse_awareness(gone.payload, max_entries=9, max_state_bytes=999)
    assert (entry.client_id, entry.clock, entry.gone) == (4242, 2, True)


def test_connections_without_access_are_closed_with_documented_codes(
    client: TestClient,
) -> None:
    _, owner = signed_in(client)
    _, stranger = signed_in(client)
    route_id = _route(client, owner)
    assert _closed_with(_socket(client, route_id, None)) == CLOSE_UNAUTHENTICATED
    assert _closed_with(_socket(client, route_id, "not-a-token")) == CLOSE_UNAUTHENTICATED
    assert _closed_with(_socket(client, route_id, _token(stranger))) == CLOSE_NOT_FOUND
    missing = "00000000-0000-4000-8000-000000000000"
    assert _closed_with(_socket(client, missing, _token(owner))) == CLOSE_NOT_FOUND
    assert _closed_with(_socket(client, "not-a-uuid", _token(owner))) == CLOSE_NOT_FOUND


def test_unshared_and_deleted_routes_close_their_connections(client: TestClient) -> None:
    payload, collaborator = signed_in(client)
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    collaborator_id = _share(client, route_id, owner, payload["email"])
    socket_b, _ = _join(client, route_id, _token(collaborator))
    socket_a, _ = _join(client, route_id, _token(owner))
    removed = client.delete(
        f"/api/v1/routes/{route_id}/collaborators/{collaborator_id}", headers=owner
    )
    assert removed.status_code == 204
    assert _closed_with(socket_b) == CLOSE_NOT_FOUND
    assert client.delete(f"/api/v1/routes/{route_id}", headers=owner).status_code == 204
    assert _closed_with(socket_a) == CLOSE_NOT_FOUND


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x05\x00", CLOSE_POLICY),  # an unknown message type
        (protocol.sync_update(b"\x01\x02garbage"), CLOSE_POLICY),  # not a Yjs update
        (protocol.sync_step1(b"\xff\xff"), CLOSE_POLICY),  # not a state vector
        (protocol.awareness_message([AwarenessEntry(1, 1, "{bad json")]), CLOSE_POLICY),
        (b"\x00" * (1024 * 1024 + 1), CLOSE_TOO_BIG),
    ],
)
def test_bad_frames_close_the_connection(client: TestClient, frame: bytes, code: int) -> None:
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    socket, _ = _join(client, route_id, _token(owner))
    socket.send_bytes(frame)
    assert _closed_with(socket) == code
    # The room is unharmed: a new peer still syncs the document.
    _, replica = _join(client, route_id, _token(owner))
    assert replica.state()["meta"] == {"name": "Room test"}


def test_text_frames_are_refused(client: TestClient) -> None:
    _, owner = signed_in(client)
    socket, _ = _join(client, _route(client, owner), _token(owner))
    socket.send_text("hello")
    assert _closed_with(socket) == CLOSE_UNSUPPORTED


def test_a_document_past_its_size_limit_is_refused(client: TestClient) -> None:
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    socket, replica = _join(client, route_id, _token(owner))
    for _ in range(9):  # 9 x ~1 MB of notes, past the 8 MiB document limit
        replica.notes.insert(0, "n" * 1_000_000)
        _send_edits(socket, replica)
    assert _closed_with(socket) == CLOSE_DOCUMENT_FULL


def test_a_peer_over_its_message_rate_is_slowed_down(
    client: TestClient, settings: Settings
) -> None:
    settings.planner_messages_per_s, settings.planner_message_burst = 20.0, 5  # this test's app
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    socket = _socket(client, route_id, _token(owner))
    socket.receive_bytes()  # the server's step 1
    started = time.monotonic()
    for _ in range(25):
        socket.send_bytes(protocol.sync_step1(b"\x00"))
    for _ in range(25):
        assert protocol.parse_message(socket.receive_bytes()).kind == "step2"
    # 5 at once, the other 20 at 20 a second.
    assert time.monotonic() - started >= 0.9
