"""Every WebSocket: Origin checked, closed when its session ends, capped per user (ASGI app).

The live viewer fast path of a real server is tested in tests/integration/live/test_fast_path.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.planner.rooms import CLOSE_UNAUTHENTICATED
from bikenode.planner.ws import ROOMS_PATH
from bikenode.web.sockets import CLOSE_SIGNED_OUT, CLOSE_TOO_MANY_SOCKETS
from tests.factories import STRONG_PASSWORD, login, register
from tests.live_tools import batch_frame

ALLOWED = "https://club.example"


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"cors_allow_origins": ALLOWED, "public_url": "https://bikes.example.org"}
    )


@pytest.fixture
def sockets_client(app_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(app_settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


@contextlib.contextmanager
def _opened(
    client: TestClient, path: str, origin: str | None = None
) -> Iterator[WebSocketTestSession]:
    headers = {"Origin": origin} if origin is not None else {}
    with client.websocket_connect(path, headers=headers) as socket:
        yield socket


class Rider:
    """A registered rider with two sign-in sessions (say, a phone and a laptop)."""

    def __init__(self, client: TestClient, email: str) -> None:
        register(client, email=email)
        self.phone = login(client, email)
        self.laptop = login(client, email)
        self.client = client

    def headers(self, tokens: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def live_session(self) -> str:
        created = self.client.post(
            "/api/v1/live/sessions", json={}, headers=self.headers(self.phone)
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def route(self) -> str:
        created = self.client.post(
            "/api/v1/routes", json={"name": "Loop"}, headers=self.headers(self.phone)
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


def _paths(rider: Rider) -> list[str]:
    session_id = rider.live_session()
    group = rider.client.post(
        "/api/v1/live/groups", json={"name": "Sunday"}, headers=rider.headers(rider.phone)
    )
    assert group.status_code == 201, group.text
    return [
        f"/api/v1/live/sessions/{session_id}/ride",
        f"/api/v1/live/sessions/{session_id}/watch",
        f"/api/v1/live/groups/{group.json()['id']}/watch",
        f"{ROOMS_PATH}/{rider.route()}?token={rider.phone['access_token']}",
    ]


def test_every_socket_refuses_other_sites_origins(sockets_client: TestClient) -> None:
    rider = Rider(sockets_client, "origin@example.org")
    for path in _paths(rider):
        for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                _opened(sockets_client, path, origin),
            ):
                pass
            assert refused.value.code == 1008, (path, origin)
        # This server's own origin (its Host or public URL), an allowed one, or none at all.
        for allowed in ("http://testserver", "https://bikes.example.org", ALLOWED, None):
            assert _accepted(sockets_client, path, allowed), (path, allowed)


def _accepted(client: TestClient, path: str, origin: str | None) -> bool:
    try:
        with _opened(client, path, origin):
            return True
    except WebSocketDisconnect:
        return False


async def _next_message(socket: WebSocketTestSession, timeout_s: float) -> Any:
    # WebSocketTestSession.receive() waits for ever; a socket left open must fail the test.
    with anyio.fail_after(timeout_s):
        return await socket._send_rx.receive()


def _closed_code(socket: WebSocketTestSession) -> int:
    """The close code the server ends the socket with (after whatever it sent before)."""
    for _ in range(50):
        try:
            message = socket.portal.call(_next_message, socket, 5.0)
        except TimeoutError:
            raise AssertionError("the server left the socket open") from None
        if message["type"] == "websocket.close":
            return int(message["code"])
    raise AssertionError("the socket was not closed")


def _watch(client: TestClient, session_id: str, token: str) -> WebSocketTestSession:
    socket = client.websocket_connect(f"/api/v1/live/sessions/{session_id}/watch")
    socket.__enter__()
    socket.send_json({"type": "hello", "token": token})
    assert socket.receive_json()["type"] in ("welcome", "state")
    return socket


def _ride(client: TestClient, session_id: str, token: str) -> WebSocketTestSession:
    socket = client.websocket_connect(f"/api/v1/live/sessions/{session_id}/ride")
    socket.__enter__()
    socket.send_json({"type": "hello", "token": token})
    assert socket.receive_json()["type"] == "welcome"
    return socket


def _room(client: TestClient, route_id: str, token: str) -> WebSocketTestSession:
    socket = client.websocket_connect(f"{ROOMS_PATH}/{route_id}?token={token}")
    socket.__enter__()
    socket.receive_bytes()  # the server's sync step 1
    return socket


def _acked(socket: WebSocketTestSession, batch_no: int) -> bool:
    socket.send_json(batch_frame(batch_no))
    return bool(socket.receive_json()["type"] == "ack")


def test_signing_out_closes_that_sessions_sockets_only(sockets_client: TestClient) -> None:
    rider = Rider(sockets_client, "logout@example.org")
    session_id, route_id = rider.live_session(), rider.route()
    laptop_viewer = _watch(sockets_client, session_id, rider.laptop["access_token"])
    laptop_room = _room(sockets_client, route_id, rider.laptop["access_token"])
    phone_rider = _ride(sockets_client, session_id, rider.phone["access_token"])
    try:
        out = sockets_client.post(
            "/api/v1/auth/logout", json={"refresh_token": rider.laptop["refresh_token"]}
        )
        assert out.status_code == 204
        assert _closed_code(laptop_viewer) == CLOSE_SIGNED_OUT
        assert _closed_code(laptop_room) == CLOSE_UNAUTHENTICATED  # a route room's 4401
        assert _acked(phone_rider, 1)  # the phone's session goes on
    finally:
        for socket in (laptop_viewer, laptop_room, phone_rider):
            socket.__exit__(None, None, None)


def test_a_password_change_closes_the_other_sessions_sockets(sockets_client: TestClient) -> None:
    rider = Rider(sockets_client, "password@example.org")
    session_id = rider.live_session()
    laptop_viewer = _watch(sockets_client, session_id, rider.laptop["access_token"])
    phone_rider = _ride(sockets_client, session_id, rider.phone["access_token"])
    try:
        changed = sockets_client.post(
            "/api/v1/me/password",
            json={"current_password": STRONG_PASSWORD, "new_password": "another long passphrase"},
            headers=rider.headers(rider.phone),
        )
        assert changed.status_code == 204, changed.text
        assert _closed_code(laptop_viewer) == CLOSE_SIGNED_OUT
        assert _acked(phone_rider, 1)  # the session that changed it stays
    finally:
        for socket in (laptop_viewer, phone_rider):
            socket.__exit__(None, None, None)


def test_a_user_has_at_most_the_configured_number_of_sockets(
    app_settings: Settings, engine: Engine
) -> None:
    app = create_app(app_settings.model_copy(update={"max_sockets_per_user": 2}))
    with TestClient(app, raise_server_exceptions=False) as client:
        rider = Rider(client, "cap@example.org")
        session_id, route_id = rider.live_session(), rider.route()
        token = rider.phone["access_token"]
        first, second = _watch(client, session_id, token), _room(client, route_id, token)
        try:
            third = client.websocket_connect(f"/api/v1/live/sessions/{session_id}/watch")
            with third:
                third.send_json({"type": "hello", "token": token})
                assert _closed_code(third) == CLOSE_TOO_MANY_SOCKETS
            other = Rider(client, "other@example.org")  # the cap is per user
            _watch(client, other.live_session(), other.phone["access_token"]).__exit__(
                None, None, None
            )
            first.__exit__(None, None, None)
            again = _watch(client, session_id, token)  # a closed socket frees its place
            again.__exit__(None, None, None)
        finally:
            for socket in (first, second):
                socket.__exit__(None, None, None)
    app.state.engine.dispose()


def test_a_password_reset_closes_every_socket_of_the_account(sockets_client: TestClient) -> None:
    from bikenode.accounts.password_reset import operator_reset_link

    rider = Rider(sockets_client, "reset@example.org")
    session_id, route_id = rider.live_session(), rider.route()
    phone_rider = _ride(sockets_client, session_id, rider.phone["access_token"])
    laptop_room = _room(sockets_client, route_id, rider.laptop["access_token"])
    try:
        app: Any = sockets_client.app
        with app.state.session_factory() as session:
            issued = operator_reset_link(session, public_url="", email="reset@example.org")
            session.commit()
        token = issued.link.partition("#token=")[2]
        reset = sockets_client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": "a brand new long passphrase"},
        )
        assert reset.status_code == 204, reset.text
        assert _closed_code(phone_rider) == CLOSE_SIGNED_OUT
        assert _closed_code(laptop_room) == CLOSE_UNAUTHENTICATED  # a route room's 4401
    finally:
        for socket in (phone_rider, laptop_room):
            socket.__exit__(None, None, None)
