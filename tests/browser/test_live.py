"""The live pages in Chromium, fed by a simulated rider that the test drives over WebSocket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Playwright, expect
from websockets.sync.client import ClientConnection, connect

from bikenode.live.logic import encode_batch
from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.live_tools import columns

METRES_PER_DEGREE = 111_195


@pytest.fixture
def second_api(playwright: Playwright, server: str) -> Iterator[Api]:
    """An API client for a second rider of the test's own."""
    context = playwright.request.new_context(base_url=server)
    yield Api(context)
    context.dispose()


def _post(api: Api, path: str, body: dict[str, Any]) -> Any:
    response = api.request.post(path, data=body, headers=api._headers())
    assert response.ok, f"POST {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


@contextmanager
def _rider_socket(server: str, session_id: str, token: str) -> Iterator[ClientConnection]:
    url = server.replace("http://", "ws://") + f"/api/v1/live/sessions/{session_id}/ride"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "hello", "token": token}))
        assert json.loads(socket.recv(timeout=10))["type"] == "welcome"
        yield socket


def _send(socket: ClientConnection, batch_no: int, *, north_m: float = 0.0, start_ms: int) -> None:
    values = columns(batch_no, start_ms=start_ms)
    shift = round(north_m / METRES_PER_DEGREE * 1e7)
    values["lat"] = [lat + shift for lat in values["lat"]]
    socket.send(json.dumps(encode_batch(batch_no, values)))
    reply = json.loads(socket.recv(timeout=10))
    assert reply["type"] == "ack", reply


def test_a_viewer_sees_the_rider_move_live_and_the_ride_at_the_end(
    web: App, fresh_api: Api, server: str
) -> None:
    fresh_api.register_and_login(new_email("live"))
    live = _post(fresh_api, "/api/v1/live/sessions", {"name": "Lunch loop", "visibility": "public"})
    start_ms = int(time.time() * 1000) - 120_000
    with _rider_socket(server, live["id"], fresh_api.token) as rider:
        _send(rider, 1, start_ms=start_ms)
        web.goto(f"/live/{live['id']}", "live")  # anonymous: the session is public
        expect(web.page.locator(".live-status")).to_have_text("Live")
        expect(web.page.get_by_role("heading", name="Live: Lunch loop")).to_be_visible()
        expect(web.page.locator(".live-points")).to_have_text("10")  # the trail so far
        for batch_no in (2, 3):
            _send(rider, batch_no, start_ms=start_ms)
        expect(web.page.locator(".live-points")).to_have_text("30")
        # columns() rides 8 m north a second: 28.8 km/h.
        expect(web.page.locator(".live-speed")).to_have_text("28.8 km/h")
        expect(web.page.locator("path.live-marker")).to_have_count(1)
        expect(web.page.locator("path.live-trail")).to_have_count(1)
        web.shot("live-session")
    ended = _post(fresh_api, f"/api/v1/live/sessions/{live['id']}/end", {})
    expect(web.page.locator(".live-status")).to_have_text("This live ride has ended.")
    expect(web.page.get_by_role("link", name="See the ride")).to_have_attribute(
        "href", f"/rides/{ended['ride_id']}"
    )
    web.assert_no_script_errors()


def test_a_private_live_ride_needs_a_share_link(web: App, fresh_api: Api, server: str) -> None:
    fresh_api.register_and_login(new_email("private"))
    live = _post(fresh_api, "/api/v1/live/sessions", {"visibility": "private"})
    web.goto(f"/live/{live['id']}", "live")
    expect(web.page.locator(".live-status")).to_have_text(
        "This live ride is private: sign in, or use the share link you were sent."
    )
    share = _post(fresh_api, f"/api/v1/live/sessions/{live['id']}/shares", {})
    start_ms = int(time.time() * 1000) - 120_000
    with _rider_socket(server, live["id"], fresh_api.token) as rider:
        _send(rider, 1, start_ms=start_ms)
        web.goto(share["watch_url"], "live")
        expect(web.page.locator(".live-points")).to_have_text("10")
        _send(rider, 2, start_ms=start_ms)
        expect(web.page.locator(".live-points")).to_have_text("20")
    web.assert_no_script_errors()


def test_a_group_ride_page_shows_riders_spread_and_a_split(
    web: App, fresh_api: Api, second_api: Api, server: str
) -> None:
    fresh_api.register_and_login(new_email("organiser"), name="Alex")
    member_email = new_email("member")
    second_api.register_and_login(member_email, name="Sam")
    group = _post(
        fresh_api,
        "/api/v1/live/groups",
        # Riders go stale after an hour here, so a slow machine cannot turn a rider stale
        # (and the spread into 0 m) between the two first batches.
        {
            "name": "Club run",
            "visibility": "public",
            "split_distance_m": 500.0,
            "stale_after_s": 3600,
        },
    )
    _post(
        fresh_api,
        f"/api/v1/live/groups/{group['id']}/members",
        {"email": member_email, "display_name": "Sam"},
    )
    sessions = [
        _post(api, "/api/v1/live/sessions", {"group_id": group["id"]})
        for api in (fresh_api, second_api)
    ]
    web.goto(f"/live/groups/{group['id']}", "live-group")
    expect(web.page.get_by_role("heading", name="Group ride: Club run")).to_be_visible()
    start_ms = int(time.time() * 1000) - 60_000
    with (
        _rider_socket(server, sessions[0]["id"], fresh_api.token) as alex,
        _rider_socket(server, sessions[1]["id"], second_api.token) as sam,
    ):
        _send(alex, 1, start_ms=start_ms)
        _send(sam, 1, north_m=150, start_ms=start_ms)
        expect(web.page.locator("path.group-member")).to_have_count(2)
        expect(web.page.locator(".group-clusters")).to_have_text("1")
        expect(web.page.locator(".group-spread")).to_have_text("0.15 km")
        _send(sam, 2, north_m=3000, start_ms=start_ms)
        expect(web.page.locator(".group-clusters")).to_have_text("2 (split)")
        expect(web.page.locator(".live-events .group-split")).to_have_count(1)
        web.shot("live-group-split")
        _send(alex, 2, north_m=2900, start_ms=start_ms)
        expect(web.page.locator(".live-events .group-regroup")).to_have_text(
            "The group is back together."
        )
    web.assert_no_script_errors()
