"""The heatmap page in Chromium: the heat layer's tiles come back as PNGs through the API,
the picker switches between yours, the community's and none, and the community opt-out
setting saves, at desktop width and at 390 px."""

from __future__ import annotations

import random

import numpy as np
from playwright.sync_api import Response, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.segment_tools import gpx_of, ride, winding_road

T0 = 1_780_000_000.0


def test_the_heat_layer_loads_png_tiles_and_the_picker_switches_it(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("heatmap")
    fresh_api.register_and_login(email, name="Hana")
    road = winding_road() + np.array([random.uniform(20_000.0, 200_000.0), 0.0])
    fresh_api.import_ride("road.gpx", gpx_of(ride(road, speed_mps=8.0, t0=T0)))
    tiles: list[Response] = []
    screen.page.on(
        "response",
        lambda r: (
            tiles.append(r) if "/api/v1/heatmaps/" in r.url and r.url.endswith(".png") else None
        ),
    )
    screen.sign_in(email)

    screen.goto("/heatmap", "heatmap")
    mine = screen.page.locator("#heatmap-map img.heat-me[data-loaded='true']")
    expect(mine.first).to_be_attached()
    own = [r for r in tiles if "/heatmaps/me/" in r.url]
    assert own and all(r.status == 200 for r in own)
    assert all(r.headers["content-type"] == "image/png" for r in own)
    assert mine.first.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [256, 256]
    assert screen.has_no_horizontal_overflow(), "the heatmap page is wider than the screen"

    screen.page.get_by_role("radio", name="Community").check()
    expect(screen.page.locator("#heatmap-map")).to_have_attribute("data-heat", "community")
    expect(
        screen.page.locator("#heatmap-map img.heat-community[data-loaded='true']").first
    ).to_be_attached()
    expect(screen.page.locator("#heatmap-map img.heat-me")).to_have_count(0)
    community = [r for r in tiles if "/heatmaps/community/" in r.url]
    assert community and all(r.status == 200 for r in community)
    assert all(r.headers["content-type"] == "image/png" for r in community)

    screen.page.get_by_role("radio", name="Off").check()
    expect(screen.page.locator("#heatmap-map img.heat-tile")).to_have_count(0)

    screen.page.get_by_label("Keep my rides out of the community heatmap").check()
    expect(screen.page.locator(".heat-setting [role=status]")).to_contain_text("Left out")
    assert fresh_api.get("/api/v1/heatmaps/settings") == {"community_opt_out": True}

    screen.goto("/settings", "settings")  # the same setting, on the settings page
    toggle = screen.page.get_by_label("Keep my rides out of the community heatmap")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    expect(screen.page.locator(".heat-settings [role=status]")).to_contain_text("Counted")
    assert fresh_api.get("/api/v1/heatmaps/settings") == {"community_opt_out": False}
    assert screen.has_no_horizontal_overflow(), "the settings page is wider than the screen"
    screen.assert_no_script_errors()


def test_the_club_selector_shows_a_clubs_heat_to_its_member(screen: App, fresh_api: Api) -> None:
    email = new_email("clubheat")
    fresh_api.register_and_login(email, name="Kai")
    name = f"Dawn Patrol {random.randrange(10**6)}"
    made = fresh_api.request.post(
        "/api/v1/clubs",
        data={"name": name, "sport": "road", "private": True},
        headers=fresh_api._headers(),
    )
    assert made.status == 201, made.text()
    club = made.json()["id"]
    tiles: list[Response] = []
    screen.page.on(
        "response",
        lambda r: tiles.append(r) if "/api/v1/heatmaps/community/" in r.url else None,
    )
    screen.sign_in(email)

    screen.goto("/heatmap", "heatmap")
    choice = screen.page.get_by_label("Community of")
    expect(choice).to_have_value("")
    assert name in choice.locator("option").all_inner_texts()
    choice.select_option(club)
    heat = screen.page.locator("#heatmap-map")
    expect(heat).to_have_attribute("data-heat", "community")
    expect(heat).to_have_attribute("data-club", club)
    expect(screen.page.get_by_role("radio", name="Community")).to_be_checked()
    expect(heat.locator("img.heat-community[data-loaded='true']").first).to_be_attached()
    mine = [r for r in tiles if f"club={club}" in r.url]
    assert mine and all(r.status == 200 for r in mine)
    assert all(r.headers["cache-control"].startswith("private") for r in mine)

    choice.select_option("")  # back to the whole instance
    expect(heat).to_have_attribute("data-club", "")
    expect(heat.locator("img.heat-community[data-loaded='true']").first).to_be_attached()
    assert screen.has_no_horizontal_overflow(), "the heatmap page is wider than the screen"
    screen.assert_no_script_errors()
