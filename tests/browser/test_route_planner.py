"""Two people plan one route together in two browsers: waypoints, name and cursors are shared."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App

# Keeps every WebSocket the page opens, so that a test can drop the room's connection.
KEEP_SOCKETS = """
window.__sockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.__sockets.push(this);
  }
};
"""


@pytest.fixture
def two_apps(browser: Browser, server: str) -> Iterator[tuple[App, App]]:
    """Two separate browser contexts: two people, each with their own session."""
    contexts = [
        browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        for _ in range(2)
    ]
    apps = []
    for context in contexts:
        context.set_default_timeout(15_000)
        apps.append(App(context.new_page(), server))
    yield apps[0], apps[1]
    for context in contexts:
        context.close()


def test_owner_and_collaborator_see_each_others_waypoints_and_cursor(
    two_apps: tuple[App, App], playwright: Playwright, server: str
) -> None:
    owner, collaborator = two_apps
    owner_email, collaborator_email = new_email("planner"), new_email("friend")
    owner_api = Api(playwright.request.new_context(base_url=server))
    owner_api.register_and_login(owner_email, "Olive Owner")
    other_api = Api(playwright.request.new_context(base_url=server))
    other_api.register_and_login(collaborator_email, "Cody Collab")
    other_api.request.dispose()
    route = owner_api.request.post(
        "/api/v1/routes", data={"name": "Lakeside loop"}, headers=owner_api._headers()
    ).json()
    shared = owner_api.request.post(
        f"/api/v1/routes/{route['id']}/collaborators",
        data={"email": collaborator_email},
        headers=owner_api._headers(),
    )
    assert shared.status == 201, shared.text()

    owner.sign_in(owner_email)
    owner.page.get_by_role("link", name="Routes").click()
    owner.wait_ready("routes")
    owner.page.get_by_role("link", name="Lakeside loop").click()
    owner.wait_ready("route")
    collaborator.sign_in(collaborator_email)
    collaborator.goto(f"/routes/{route['id']}", "route")

    # The owner clicks twice on the map: two waypoints, seen by both.
    owner_map = owner.page.locator("#route-map")
    owner_map.click(position={"x": 300, "y": 200})
    owner_map.click(position={"x": 600, "y": 300})
    expect(owner.page.locator(".waypoints li")).to_have_count(2)
    expect(collaborator.page.locator(".waypoints li")).to_have_count(2)
    expect(collaborator.page.locator(".waypoint-marker")).to_have_count(2)

    # The collaborator adds one, deletes the first, renames the route.
    collaborator.page.locator("#route-map").click(position={"x": 450, "y": 380})
    expect(owner.page.locator(".waypoints li")).to_have_count(3)
    collaborator.page.get_by_role("button", name="Delete waypoint 1").click()
    expect(owner.page.locator(".waypoints li")).to_have_count(2)
    collaborator.page.locator("#route-title").fill("Lakeside loop, shorter")
    expect(owner.page.locator("#route-title")).to_have_value("Lakeside loop, shorter")
    collaborator.page.locator("#route-notes").fill("Coffee at the harbour")
    expect(owner.page.locator("#route-notes")).to_have_value("Coffee at the harbour")

    # Each sees the other's pointer on the map, with their name.
    collaborator.page.locator("#route-map").hover(position={"x": 200, "y": 150})
    expect(owner.page.locator(".peer-cursor", has_text="Cody Collab")).to_be_visible()
    owner.page.locator("#route-map").hover(position={"x": 500, "y": 150})
    expect(collaborator.page.locator(".peer-cursor", has_text="Olive Owner")).to_be_visible()
    expect(owner.page.locator(".route-peers")).to_have_text("Editing now: Cody Collab")
    owner.shot("route-planner-owner")

    # The server holds what both see.
    stored = owner_api.get(f"/api/v1/routes/{route['id']}")
    assert len(stored["waypoints"]) == 2
    assert stored["notes"] == "Coffee at the harbour"
    owner_api.request.dispose()
    owner.assert_no_script_errors()
    collaborator.assert_no_script_errors()


def test_the_room_url_carries_single_use_tickets_never_the_access_token(
    web: App, playwright: Playwright, server: str
) -> None:
    email = new_email("ticket")
    api = Api(playwright.request.new_context(base_url=server))
    api.register_and_login(email, "Tia Ticket")
    point = {"lat_deg": 46.5, "lon_deg": 7.5, "name": "Start"}
    route = api.request.post(
        "/api/v1/routes", data={"name": "Ticket loop", "waypoints": [point]}, headers=api._headers()
    ).json()
    rooms: list[str] = []
    web.page.on(
        "websocket",
        lambda socket: rooms.append(socket.url) if "/route-rooms/" in socket.url else None,
    )
    web.page.add_init_script(KEEP_SOCKETS)
    web.sign_in(email)
    web.goto(f"/routes/{route['id']}", "route")
    expect(web.page.locator(".waypoints li")).to_have_count(1)

    # The connection drops: y-websocket retries with the spent ticket, is refused (4401), and
    # the page connects again with a new one. An edit made meanwhile reaches the server.
    web.page.evaluate("window.__sockets.at(-1).close()")
    web.page.locator("#route-map").click(position={"x": 400, "y": 300})
    stored = f"/api/v1/routes/{route['id']}"
    for _ in range(40):  # polled gently: the server's rate limit counts these calls too
        if len(api.get(stored)["waypoints"]) == 2:
            break
        web.page.wait_for_timeout(500)
    assert len(api.get(stored)["waypoints"]) == 2, "the edit made across the reconnect is lost"
    expect(web.page.locator(".route-status")).to_have_attribute("data-status", "connected")
    queries = [parse_qs(urlsplit(url).query) for url in rooms]
    assert all(set(query) == {"ticket"} for query in queries), rooms
    tickets = [query["ticket"][0] for query in queries]
    assert len(tickets) >= 3 and tickets[0] == tickets[1] != tickets[-1], tickets
    api.request.dispose()
    web.assert_no_script_errors()
