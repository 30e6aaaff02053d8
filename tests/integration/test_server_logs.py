"""A real `bikenode serve` process: no credential that travels in a URL reaches its log.

uvicorn writes every WebSocket request line at INFO, query string included
(`"WebSocket /api/v1/route-rooms/<id>?token=..." [accepted]`); the in-process test client
never runs that code, so this test reads the log a real server writes to stderr.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bikenode.logs import REDACTED
from bikenode.planner import protocol
from tests.factories import STRONG_PASSWORD
from tests.planner_tools import Server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, database_url: str, engine: Engine) -> Iterator[Server]:
    process = Server(tmp_path, database_url)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _room(server: Server, route_id: str, query: str) -> ClientConnection:
    return connect(f"{server.rooms_url}/{route_id}?{query}", open_timeout=15)


def _first_message(socket: ClientConnection) -> bytes | str:
    with socket:
        return socket.recv(timeout=15)


def _close_code(socket: ClientConnection) -> int | None:
    with socket, pytest.raises(ConnectionClosed) as closed:
        while True:
            socket.recv(timeout=15)
    return closed.value.rcvd.code if closed.value.rcvd else None


def _room_secrets(server: Server, token: str) -> tuple[str, list[str]]:
    """Open a route's room with the access token and with tickets; the route id and tickets."""
    route_id = server.call("POST", "/api/v1/routes", {"name": "Logged"}, token)["id"]
    tickets_path = f"/api/v1/routes/{route_id}/room-tickets"
    joined = _first_message(_room(server, route_id, f"token={token}"))
    assert isinstance(joined, bytes) and protocol.parse_message(joined).kind == "step1"
    ticket = server.call("POST", tickets_path, token=token)["ticket"]
    joined = _first_message(_room(server, route_id, f"ticket={ticket}"))
    assert isinstance(joined, bytes) and protocol.parse_message(joined).kind == "step1"
    assert _close_code(_room(server, route_id, f"ticket={ticket}")) == 4401  # spent
    return route_id, [ticket]


def _watch_with_share_link(server: Server, token: str) -> tuple[str, str]:
    """Open a private live session's page and watch socket with a share link; the ids."""
    session_id = server.call("POST", "/api/v1/live/sessions", {"visibility": "private"}, token)[
        "id"
    ]
    share = server.call("POST", f"/api/v1/live/sessions/{session_id}/shares", {}, token)
    with urllib.request.urlopen(server.http + share["watch_url"], timeout=30) as page:
        assert page.status == 200
    watch = f"ws://127.0.0.1:{server.port}/api/v1/live/sessions/{session_id}/watch"
    with connect(watch, open_timeout=15) as socket:
        socket.send(json.dumps({"type": "hello", "share": share["token"]}))
        assert json.loads(socket.recv(timeout=15))["type"] == "welcome"
    return session_id, str(share["token"])


def test_tokens_tickets_and_share_links_never_reach_the_server_log(server: Server) -> None:
    body = {"email": "logged@example.org", "password": STRONG_PASSWORD, "display_name": "Log"}
    server.call("POST", "/api/v1/auth/register", body)
    first = server.call("POST", "/api/v1/auth/login", {k: body[k] for k in ("email", "password")})
    tokens = server.call("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    route_id, tickets = _room_secrets(server, tokens["access_token"])
    session_id, share = _watch_with_share_link(server, tokens["access_token"])
    server.stop()  # everything written and flushed
    logged = server.log.read_text()  # stdout and stderr, as the server wrote them
    messages = [json.loads(line)["message"] for line in logged.splitlines() if line[:1] == "{"]
    # The request lines are there (this is the log that leaked), only the secrets are gone.
    rooms = f"/api/v1/route-rooms/{route_id}"
    assert sum(f'"WebSocket {rooms}?token={REDACTED}" [accepted]' in m for m in messages) == 1
    assert sum(f'"WebSocket {rooms}?ticket={REDACTED}" [accepted]' in m for m in messages) == 2
    assert f"GET /live/{session_id} 200" in messages
    assert "POST /api/v1/auth/refresh 200" in messages
    secrets = [
        STRONG_PASSWORD,
        first["access_token"],
        first["refresh_token"],
        tokens["access_token"],
        tokens["refresh_token"],
        *tickets,
        share,
    ]
    for value in secrets:
        assert value not in logged
