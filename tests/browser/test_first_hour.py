"""A new rider's first hour in the browser: ride live and share it, organise a group ride,
draw privacy zones, change the password, export everything and delete the account.

Each test runs at desktop width and at a phone's 390 px.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App, training_gpx
from tests.browser.test_live import _rider_socket, _send
from tests.factories import STRONG_PASSWORD

NEW_PASSWORD = "lantern cobalt harbour quietly 42"
# Every test makes its riders, at two widths: more sign-ups a minute than a real visitor's.
SERVER_ENV = {
    f"BIKENODE_RATE_LIMIT_{kind}": "500/minute"
    for kind in ("REGISTER", "LOGIN", "ANONYMOUS", "STANDARD", "PASSWORD_CHANGE")
}


@pytest.fixture
def other_api(playwright: Playwright, server: str) -> Iterator[Api]:
    context = playwright.request.new_context(base_url=server)
    yield Api(context)
    context.dispose()


def _width(app: App) -> int:
    size = app.page.viewport_size
    return size["width"] if size else 0


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def _login_status(api: Api, password: str, email: str) -> int:
    body = {"email": email, "password": password}
    return api.request.post("/api/v1/auth/login", data=body).status


def _sign_out(app: App) -> None:
    app.page.get_by_role("button", name="Sign out").click()
    app.wait_ready("signin")


def test_a_rider_starts_shares_and_ends_a_live_ride(
    screen: App, fresh_api: Api, server: str, browser: Browser
) -> None:
    email = new_email("live-start")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.page.get_by_role("link", name="Live", exact=True).click()
    screen.wait_ready("live-start")
    screen.page.get_by_label("Name", exact=True).fill("Evening spin")
    screen.page.get_by_role("button", name="Start a live ride").click()
    card = screen.page.locator(".live-current")
    expect(card.get_by_role("heading", name="Your live ride: Evening spin")).to_be_visible()
    watch = card.get_by_role("link", name="Watch it").get_attribute("href") or ""
    session_id = watch.removeprefix("/live/")
    live: dict[str, Any] = fresh_api.get(f"/api/v1/live/sessions/{session_id}")
    assert (live["name"], live["visibility"], live["status"]) == ("Evening spin", "private", "live")
    expect(card.get_by_label("Your phone app's ride socket")).to_have_value(
        server.replace("http://", "ws://") + live["ride_socket"]
    )
    card.get_by_role("button", name="Make a share link").click()
    share_url = card.get_by_label("Share link").input_value()
    assert share_url.startswith(f"{server}/live/{session_id}?share="), share_url
    _fits(screen, "the live page with a share link")
    screen.shot(f"live-start-{_width(screen)}")

    start_ms = int(time.time() * 1000) - 60_000
    with _rider_socket(server, session_id, fresh_api.token) as rider:
        _send(rider, 1, start_ms=start_ms)
        screen.page.reload()  # the page remembers the ride it started
        screen.wait_ready("live-start")
        expect(card.get_by_role("heading", name="Your live ride: Evening spin")).to_be_visible()
        watcher = browser.new_context()  # a stranger with the link, not signed in
        try:
            stranger = App(watcher.new_page(), server)
            stranger.goto(share_url.removeprefix(server), "live")
            expect(stranger.page.locator(".live-points")).to_have_text("10")
            stranger.assert_no_script_errors()
        finally:
            watcher.close()
    card.get_by_role("button", name="End the ride").click()
    expect(card.locator(".live-status")).to_have_text("Ended.")
    ended = fresh_api.get(f"/api/v1/live/sessions/{session_id}")
    assert ended["status"] == "ended" and ended["ride_id"]
    expect(card.get_by_role("link", name="See the ride")).to_have_attribute(
        "href", f"/rides/{ended['ride_id']}"
    )
    expect(screen.page.get_by_role("button", name="Start a live ride")).to_be_visible()
    _fits(screen, "the live page after the end")
    screen.assert_no_script_errors()


def test_an_organiser_creates_a_group_ride_and_a_member_joins_it(
    screen: App, fresh_api: Api, other_api: Api
) -> None:
    organiser, member = new_email("organiser"), new_email("member")
    fresh_api.register_and_login(organiser, name="Alex")
    other_api.register_and_login(member, name="Sam")
    screen.sign_in(organiser)
    screen.goto("/live", "live-start")
    screen.page.get_by_label("Group ride name").fill("Club run")
    screen.page.get_by_label("Split warning distance (m)").fill("800")
    screen.page.get_by_role("button", name="Create the group ride").click()
    screen.wait_ready("live-group")
    expect(screen.page.get_by_role("heading", name="Group ride: Club run")).to_be_visible()
    group_id = screen.page.url.rsplit("/", 1)[-1]
    group = fresh_api.get(f"/api/v1/live/groups/{group_id}")
    assert (group["name"], group["split_distance_m"]) == ("Club run", 800.0)

    screen.page.get_by_label("Their e-mail address").fill(member)
    screen.page.get_by_label("Name the group sees").fill("Sam")
    screen.page.get_by_role("button", name="Add to the group").click()
    expect(screen.page.locator(".group-controls .success")).to_have_text(f"Added {member}.")
    _fits(screen, "the group page")
    screen.shot(f"live-group-organiser-{_width(screen)}")
    _sign_out(screen)

    screen.sign_in(member)
    screen.goto(f"/live/groups/{group_id}", "live-group")
    expect(screen.page.get_by_role("heading", name="Add a rider")).to_have_count(0)
    screen.page.get_by_role("button", name="Ride with this group").click()
    screen.wait_ready("live-start")
    watch = screen.page.get_by_role("link", name="Watch it").get_attribute("href") or ""
    joined = other_api.get(f"/api/v1/live/sessions/{watch.removeprefix('/live/')}")
    assert (joined["group_id"], joined["status"]) == (group_id, "live")
    _fits(screen, "the live page of a member")
    screen.assert_no_script_errors()


def test_an_outsider_is_told_to_ask_the_organiser(
    screen: App, fresh_api: Api, other_api: Api
) -> None:
    fresh_api.register_and_login(new_email("organiser"))
    outsider = new_email("outsider")
    other_api.register_and_login(outsider)
    response = fresh_api.request.post(
        "/api/v1/live/groups",
        data={"name": "Open ride", "visibility": "public"},
        headers=fresh_api._headers(),
    )
    group_id = response.json()["id"]
    screen.sign_in(outsider)
    screen.goto(f"/live/groups/{group_id}", "live-group")
    screen.page.get_by_role("button", name="Ride with this group").click()
    expect(screen.page.get_by_role("alert")).to_have_text(
        "Only riders the organiser added can join: ask them to add you."
    )
    screen.assert_no_script_errors()


def _drawn_length(screen: App, css_class: str) -> float:
    """The on-screen length in pixels of the map line with this class."""
    return float(
        screen.page.evaluate(f"document.querySelector('path.{css_class}').getTotalLength()")
    )


def test_a_privacy_zone_drawn_on_the_map_cuts_what_others_see(screen: App, fresh_api: Api) -> None:
    email = new_email("privacy")
    fresh_api.register_and_login(email)
    ride_id = fresh_api.import_ride("loop.gpx", training_gpx(1800, name="Home loop"))
    fresh_api.patch(f"/api/v1/rides/{ride_id}", {"visibility": "public"})
    whole = fresh_api.get(f"/api/v1/rides/{ride_id}")["distance_m"]
    screen.sign_in(email)
    screen.page.get_by_role("link", name="Privacy").click()
    screen.wait_ready("privacy")
    expect(screen.page.locator("path.privacy-guide")).to_have_count(1)
    expect(screen.page.locator("path.privacy-seen")).to_have_count(1)
    expect(screen.page.locator(".map-legend")).to_be_visible()
    seen = screen.page.locator(".seen-by-others .seen-distance")
    expect(seen).to_have_text([f"{whole / 1000:.2f} km"])
    # Without zones, others see the whole track: the two drawn lines are as long as each other.
    assert _drawn_length(screen, "privacy-seen") == pytest.approx(
        _drawn_length(screen, "privacy-guide"), rel=0.01
    )

    screen.page.locator("#privacy-map").click(position={"x": 60, "y": 60})
    expect(screen.page.locator("path.privacy-draft")).to_have_count(1)
    assert screen.page.get_by_label("Latitude").input_value() != ""
    # The loop starts and ends at 46.0 N, 7.0 E: hide home there.
    screen.page.get_by_label("Latitude").fill("46.0")
    screen.page.get_by_label("Longitude").fill("7.0")
    screen.page.get_by_label("Radius (m)").fill("400")
    screen.page.get_by_label("Name").fill("home")
    screen.page.get_by_role("button", name="Add the zone").click()
    expect(screen.page.get_by_role("status")).to_have_text(
        "Zone added. Others now see your rides without it."
    )
    expect(screen.page.locator("path.privacy-zone")).to_have_count(1)
    expect(screen.page.locator(".zone-list li")).to_contain_text("home · 400 m around 46.00000")
    [zone] = fresh_api.get("/api/v1/privacy-zones")
    assert (zone["lat_deg"], zone["lon_deg"], zone["radius_m"]) == (46.0, 7.0, 400.0)
    [public] = fresh_api.get("/api/v1/rides?view=public")["items"]
    assert public["distance_m"] < whole - 800  # at least the way out and back is cut
    expect(seen).to_have_text([f"{public['distance_m'] / 1000:.2f} km"])
    # The map shows the cut: the line others see is shorter by about what the zone removed.
    screen.page.wait_for_function(
        "() => document.querySelector('path.privacy-seen').getTotalLength()"
        " < 0.95 * document.querySelector('path.privacy-guide').getTotalLength()"
    )
    assert _drawn_length(screen, "privacy-seen") < _drawn_length(screen, "privacy-guide")
    _fits(screen, "the privacy page")
    screen.shot(f"privacy-{_width(screen)}")

    screen.page.get_by_role("button", name="Remove home").click()
    expect(screen.page.locator("path.privacy-zone")).to_have_count(0)
    expect(seen).to_have_text([f"{whole / 1000:.2f} km"])
    assert fresh_api.get("/api/v1/privacy-zones") == []
    screen.assert_no_script_errors()


def test_a_rider_changes_the_password_exports_everything_and_deletes_the_account(
    screen: App, fresh_api: Api, other_api: Api
) -> None:
    email = new_email("account")
    fresh_api.register_and_login(email)
    fresh_api.import_ride("ride.gpx", training_gpx(600, name="Only ride"))
    screen.sign_in(email)
    screen.goto("/settings", "settings")
    page = screen.page
    password = page.get_by_role("region", name="Password")
    password.get_by_label("Current password").fill("not my password at all")
    password.get_by_label("New password").fill(NEW_PASSWORD)
    password.get_by_role("button", name="Change password").click()
    expect(password.get_by_role("alert")).to_have_text("The current password is not correct.")
    password.get_by_label("Current password").fill(STRONG_PASSWORD)
    password.get_by_label("New password").fill(NEW_PASSWORD)
    password.get_by_role("button", name="Change password").click()
    expect(password.get_by_role("status")).to_have_text(
        "Password changed. Other devices are signed out."
    )
    assert _login_status(other_api, STRONG_PASSWORD, email) == 401
    assert _login_status(other_api, NEW_PASSWORD, email) == 200

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download all my data").click()
    download = download_info.value
    assert re.fullmatch(r"bikenode-export-\d{8}\.zip", download.suggested_filename)
    with open(download.path(), "rb") as saved:
        names = zipfile.ZipFile(io.BytesIO(saved.read())).namelist()
    assert any("ride" in name for name in names), names
    _fits(screen, "the settings page")
    screen.shot(f"settings-account-{_width(screen)}")

    page.get_by_label("Your password").fill(NEW_PASSWORD)
    page.get_by_label("Type “erase my account”").fill("erase it")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Type “erase my account” to confirm, or leave this page to keep your account."
    )
    page.get_by_label("Your password").fill(STRONG_PASSWORD)  # the old one
    page.get_by_label("Type “erase my account”").fill("erase my account")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert")).to_have_text("The password is not correct.")
    assert _login_status(other_api, NEW_PASSWORD, email) == 200  # still there
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    screen.wait_ready("goodbye")
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert _login_status(other_api, NEW_PASSWORD, email) == 401
    _fits(screen, "the goodbye page")
    screen.assert_no_script_errors()
