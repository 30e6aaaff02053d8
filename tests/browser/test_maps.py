"""Maps in Chromium: the default base map on every map page, and the planner snapping legs to
roads over a real OpenStreetMap extract (central Helsinki), with distance and exports."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import fitdecode
import gpxpy
import pytest
from playwright.sync_api import Browser, Playwright, expect

from bikenode.planner.routing.store import import_extract
from tests.browser.conftest import new_email
from tests.browser.support import Api, App, fake_tiles
from tests.osm_extract import ESPLANADI, PITKASILTA, osm_extract


@pytest.fixture(scope="module")
def routed_server(server: str, server_data: Path) -> str:
    """The module's server with the Helsinki extract imported while it runs (as an operator
    would with `bikenode maps import`: the server picks the new graph up at once)."""
    import_extract(server_data, osm_extract())
    return server


def _rider_with_route(playwright: Playwright, server: str, **route: Any) -> tuple[str, str]:
    api = Api(playwright.request.new_context(base_url=server))
    email = new_email("planner")
    api.register_and_login(email)
    created = api.request.post("/api/v1/routes", data=route, headers=api._headers())
    assert created.status == 201, created.text()
    route_id = str(created.json()["id"])
    api.request.dispose()
    return email, route_id


def _waypoints(*points: tuple[float, float]) -> list[dict[str, float]]:
    return [{"lat_deg": lat, "lon_deg": lon} for lat, lon in points]


def test_planner_snaps_legs_to_roads_and_shows_the_distance(
    screen: App, playwright: Playwright, routed_server: str
) -> None:
    email, route_id = _rider_with_route(
        playwright, routed_server, name="Kallio", waypoints=_waypoints(ESPLANADI, PITKASILTA)
    )
    screen.sign_in(email)
    screen.goto(f"/routes/{route_id}", "route")
    leg = screen.page.locator("path.route-leg.routed")
    expect(leg).to_have_count(1)
    corners = len(re.findall(r"[ML]", leg.get_attribute("d") or ""))
    assert corners > 10, f"the routed leg has only {corners} points: not along the streets"
    summary = screen.page.locator("#route-summary")
    expect(summary).to_contain_text(re.compile(r"1\.\d\d km"))
    expect(summary).to_contain_text("by bike")
    shown_m = float(summary.get_attribute("data-distance-m") or "nan")
    assert 1300 < shown_m < 2100  # 1.3 km as the crow flies, longer along the streets
    expect(screen.page.locator("#route-notice")).to_contain_text("No elevation profile")
    expect(screen.page.locator("#route-map .leaflet-tile-loaded").first).to_be_visible()
    assert screen.has_no_horizontal_overflow()
    screen.shot("planner-routed")
    screen.assert_no_script_errors()


def test_a_leg_set_straight_is_drawn_and_said_so(
    web: App, playwright: Playwright, routed_server: str
) -> None:
    email, route_id = _rider_with_route(
        playwright, routed_server, name="Gravel", waypoints=_waypoints(ESPLANADI, PITKASILTA)
    )
    web.sign_in(email)
    web.goto(f"/routes/{route_id}", "route")
    expect(web.page.locator("path.route-leg.routed")).to_have_count(1)
    web.page.get_by_label("straight line to 2").check()
    expect(web.page.locator("path.route-leg.straight")).to_have_count(1)
    expect(web.page.locator("path.route-leg.routed")).to_have_count(0)
    expect(web.page.locator("#route-notice")).to_contain_text("Leg 1 is a straight line")
    # The choice is part of the shared route: the exported track is straight too.
    download = _download(web, "Export GPX track")
    track = gpxpy.parse(download.decode())
    assert len(track.tracks[0].segments[0].points) == 2
    web.assert_no_script_errors()


def test_route_exports_download_the_routed_line(
    web: App, playwright: Playwright, routed_server: str
) -> None:
    email, route_id = _rider_with_route(
        playwright, routed_server, name="Kallio", waypoints=_waypoints(ESPLANADI, PITKASILTA)
    )
    web.sign_in(email)
    web.goto(f"/routes/{route_id}", "route")
    expect(web.page.locator("path.route-leg.routed")).to_have_count(1)
    track = gpxpy.parse(_download(web, "Export GPX track").decode())
    points = track.tracks[0].segments[0].points
    assert len(points) > 10
    with fitdecode.FitReader(io.BytesIO(_download(web, "Export FIT course"))) as reader:
        records = [
            frame
            for frame in reader
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record"
        ]
    assert len(records) == len(points)
    assert b"<Courses>" in _download(web, "Export TCX course")
    web.assert_no_script_errors()


def test_every_map_page_shows_the_openstreetmap_base_layer(
    browser: Browser, playwright: Playwright, server: str
) -> None:
    email, route_id = _rider_with_route(playwright, server, name="Tiles")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested = fake_tiles(context)
    app = App(context.new_page(), server)
    app.sign_in(email)
    for path, ready, element in (
        (f"/routes/{route_id}", "route", "#route-map"),
        ("/privacy", "privacy", ".map"),
    ):
        app.goto(path, ready)
        expect(app.page.locator(f"{element} .leaflet-tile-loaded").first).to_be_visible()
        expect(app.page.locator(".leaflet-control-attribution").first).to_contain_text(
            "OpenStreetMap"
        )
    assert requested and all(url.startswith("https://tile.openstreetmap.org/") for url in requested)
    app.assert_no_script_errors()
    context.close()


def test_a_map_whose_tiles_fail_says_so_and_still_works(
    browser: Browser, playwright: Playwright, server: str
) -> None:
    email, route_id = _rider_with_route(
        playwright, server, name="Offline", waypoints=_waypoints((46.5, 7.5), (46.6, 7.6))
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    app = App(context.new_page(), server)
    app.sign_in(email)
    app.goto(f"/routes/{route_id}", "route")
    expect(app.page.locator("#route-map .map-notice")).to_contain_text(
        "base map could not be loaded"
    )
    expect(app.page.locator("#route-map")).to_have_class(re.compile("no-tiles"))
    expect(app.page.locator(".waypoint-marker")).to_have_count(2)
    app.assert_no_script_errors()
    context.close()


def _download(app: App, button: str) -> bytes:
    with app.page.expect_download() as info:
        app.page.get_by_role("button", name=button).click()
    path = info.value.path()
    return Path(path).read_bytes()
