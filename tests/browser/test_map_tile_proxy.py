"""A server that proxies base-map tiles: the browser asks only this server, which fetches them
from the operator's tile server (here a fake one on loopback) once and caches them. With no
routing graph imported, the planner draws straight legs and says why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.tile_server import TileServer, tile_server

SERVER_ENV: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def tiles(request: pytest.FixtureRequest) -> Iterator[TileServer]:
    """The fake tile server; set up before the module's server, which is pointed at it."""
    with tile_server() as server:
        request.module.SERVER_ENV.update(
            BIKENODE_MAP_TILE_URL=server.url, BIKENODE_MAP_TILE_PROXY="true"
        )
        yield server


def _route(playwright: Playwright, server: str) -> tuple[str, str]:
    api = Api(playwright.request.new_context(base_url=server))
    email = new_email("proxy")
    api.register_and_login(email)
    body = {
        "name": "Alps",
        "waypoints": [{"lat_deg": 46.5, "lon_deg": 7.5}, {"lat_deg": 46.6, "lon_deg": 7.6}],
    }
    created = api.request.post("/api/v1/routes", data=body, headers=api._headers())
    assert created.status == 201, created.text()
    route_id = str(created.json()["id"])
    api.request.dispose()
    return email, route_id


def test_tiles_come_through_this_server_only(
    browser: Browser, playwright: Playwright, server: str, tiles: TileServer
) -> None:
    email, route_id = _route(playwright, server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    app = App(context.new_page(), server)
    seen: list[str] = []
    app.page.on("request", lambda r: seen.append(r.url))
    app.sign_in(email)
    app.goto(f"/routes/{route_id}", "route")
    expect(app.page.locator("#route-map .leaflet-tile-loaded").first).to_be_visible()
    assert all(url.startswith(server) for url in seen), [
        u for u in seen if not u.startswith(server)
    ]
    assert any("/map-tiles/" in url for url in seen)
    assert tiles.requests, "the server fetched no tile from the tile server"
    assert all(agent.startswith("BikeNode/") for _, agent in tiles.requests)
    app.assert_no_script_errors()
    context.close()


def test_without_a_graph_legs_are_straight_lines_with_a_notice(
    browser: Browser, playwright: Playwright, server: str
) -> None:
    email, route_id = _route(playwright, server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    app = App(context.new_page(), server)
    app.sign_in(email)
    app.goto(f"/routes/{route_id}", "route")
    expect(app.page.locator("path.route-leg.straight")).to_have_count(1)
    expect(app.page.locator("#route-notice")).to_contain_text("no routing graph")
    expect(app.page.locator("#route-summary")).to_contain_text("km")
    app.assert_no_script_errors()
    context.close()
