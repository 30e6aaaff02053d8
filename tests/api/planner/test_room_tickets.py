"""Room tickets: a single-use, short-lived pass into one route's room, instead of the access
token in the room's URL."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from bikenode.db.base import utcnow
from bikenode.planner import protocol
from bikenode.planner.models import RoomTicket
from bikenode.planner.rooms import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED
from bikenode.planner.service import ROOM_TICKET_TTL_S
from bikenode.planner.ws import ROOMS_PATH
from tests.factories import signed_in


@pytest.fixture
def sockets(client: TestClient) -> Iterator[contextlib.ExitStack]:
    """Every socket a test opens, closed even when it fails, before the client stops."""
    with contextlib.ExitStack() as stack:
        yield stack


def _route(client: TestClient, owner: dict[str, str], name: str = "Ticket test") -> str:
    response = client.post("/api/v1/routes", json={"name": name}, headers=owner)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _ticket(client: TestClient, route_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"/api/v1/routes/{route_id}/room-tickets", headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def _connect(
    client: TestClient, sockets: contextlib.ExitStack, room: str, ticket: str
) -> WebSocketTestSession:
    connected: WebSocketTestSession = sockets.enter_context(
        client.websocket_connect(f"{ROOMS_PATH}/{room}?ticket={ticket}")
    )
    return connected


def _closed_with(socket: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            socket.receive_bytes()
    return closed.value.code


def test_a_ticket_opens_its_room_once(
    client: TestClient, sockets: contextlib.ExitStack, engine: Engine
) -> None:
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    room = client.get(f"/api/v1/routes/{route_id}", headers=owner).json()["room"]
    assert room["ticket_path"] == f"/api/v1/routes/{route_id}/room-tickets"
    issued = _ticket(client, route_id, owner)
    assert issued["expires_in_s"] == ROOM_TICKET_TTL_S == 30
    first = _connect(client, sockets, route_id, issued["ticket"])
    assert protocol.parse_message(first.receive_bytes()).kind == "step1"
    again = _connect(client, sockets, route_id, issued["ticket"])
    assert _closed_with(again) == CLOSE_UNAUTHENTICATED
    with engine.connect() as connection:
        stored = connection.scalars(select(RoomTicket.ticket_sha256)).all()
    assert stored == [hashlib.sha256(issued["ticket"].encode()).hexdigest()]


def test_an_expired_or_foreign_ticket_is_refused(
    client: TestClient, sockets: contextlib.ExitStack, engine: Engine
) -> None:
    _, owner = signed_in(client)
    route_id = _route(client, owner)
    other_route = _route(client, owner, "Another")
    for_other = _ticket(client, other_route, owner)["ticket"]
    assert _closed_with(_connect(client, sockets, route_id, for_other)) == CLOSE_UNAUTHENTICATED
    expired = _ticket(client, route_id, owner)["ticket"]
    with engine.begin() as connection:
        connection.execute(
            update(RoomTicket)
            .where(RoomTicket.ticket_sha256 == hashlib.sha256(expired.encode()).hexdigest())
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert _closed_with(_connect(client, sockets, route_id, expired)) == CLOSE_UNAUTHENTICATED
    assert _closed_with(_connect(client, sockets, route_id, "made-up")) == CLOSE_UNAUTHENTICATED
    # The ticket for the other room was never spent by the wrong room: it still opens its own.
    own = _connect(client, sockets, other_route, for_other)
    assert protocol.parse_message(own.receive_bytes()).kind == "step1"


def test_only_those_who_may_open_the_route_get_tickets(
    client: TestClient, sockets: contextlib.ExitStack
) -> None:
    _, owner = signed_in(client)
    collaborator_payload, collaborator = signed_in(client)
    _, stranger = signed_in(client)
    route_id = _route(client, owner)
    refused = client.post(f"/api/v1/routes/{route_id}/room-tickets", headers=stranger)
    assert refused.status_code == 404
    assert client.post(f"/api/v1/routes/{route_id}/room-tickets").status_code == 401
    added = client.post(
        f"/api/v1/routes/{route_id}/collaborators",
        json={"email": collaborator_payload["email"]},
        headers=owner,
    )
    assert added.status_code == 201, added.text
    ticket = _ticket(client, route_id, collaborator)["ticket"]
    removed = client.delete(
        f"/api/v1/routes/{route_id}/collaborators/{added.json()['user_id']}", headers=owner
    )
    assert removed.status_code == 204
    # Unshared after the ticket was issued: the ticket no longer opens the room.
    assert _closed_with(_connect(client, sockets, route_id, ticket)) == CLOSE_NOT_FOUND
