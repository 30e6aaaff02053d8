"""Crash detection in Chromium: the settings page turns it on and adds and removes emergency
contacts (a bad address and the limit refused clearly); a crash sent through the OsmAnd ingest
shows on an open /live page as its notification arrives, and from the notification's link,
with its countdown, and "I'm OK" cancels it. Desktop width and 390 px."""

from __future__ import annotations

import random
import time

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App

SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}  # the track is ~70 requests
API = "/api/v1/live/crash"
M_PER_DEG = 111_195.0
LAT0, LON0 = 52.52, 13.405
WAIT_S = 20.0


def test_the_settings_page_turns_detection_on_and_keeps_contacts(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("crash-settings")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/settings", "settings")
    page = screen.page
    page.get_by_role("link", name="set up crash detection").click()
    screen.wait_ready("settings-crash")

    form = page.locator("form.crash-settings")
    form.get_by_label("Watch my live rides for crashes").check()
    form.get_by_label("Stillness time (s)").fill("45")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status")).to_have_text("Saved: crash detection is on.")
    assert fresh_api.get(f"{API}/settings") == {"enabled": True, "still_s": 45.0, "cancel_s": 60.0}

    card = page.locator("section.crash-contacts")
    expect(card.get_by_text("No contacts yet.")).to_be_visible()
    address = card.get_by_label("Contact's e-mail address")
    address.fill("not an address")
    card.get_by_role("button", name="Add contact").click()
    expect(card.get_by_role("alert")).to_contain_text("Enter an e-mail address")
    for n in range(5):
        page.locator("section.crash-contacts").get_by_label("Contact's e-mail address").fill(
            f"kin{n}@example.org"
        )
        page.locator("section.crash-contacts").get_by_role("button", name="Add contact").click()
        expect(page.locator("li.crash-contact")).to_have_count(n + 1)
    card = page.locator("section.crash-contacts")
    card.get_by_label("Contact's e-mail address").fill("sixth@example.org")
    card.get_by_role("button", name="Add contact").click()
    expect(card.get_by_role("alert")).to_contain_text("at most 5 emergency contacts")
    assert screen.has_no_horizontal_overflow()

    page.locator("li.crash-contact").filter(has_text="kin0@example.org").get_by_role(
        "button", name="Remove"
    ).click()
    expect(page.get_by_role("status").filter(has_text="kin0@example.org removed.")).to_be_visible()
    expect(page.locator("li.crash-contact")).to_have_count(4)
    kept = [c["email"] for c in fresh_api.get(f"{API}/contacts")]
    assert kept == [f"kin{n}@example.org" for n in range(1, 5)]
    screen.goto("/settings/crash", "settings-crash")  # what was saved is what is drawn again
    expect(page.get_by_label("Watch my live rides for crashes")).to_be_checked()
    expect(page.get_by_label("Stillness time (s)")).to_have_value("45")
    screen.assert_no_script_errors()


def _send_a_crash(api: Api) -> str:
    """30 s at 25 km/h, then a phone lying still, through the OsmAnd ingest; the alert's id."""
    body = {"enabled": True, "still_s": 30, "cancel_s": 300}
    assert api.request.put(f"{API}/settings", data=body, headers=api._headers()).ok
    made = api.request.post("/api/v1/live/devices", data={"name": "phone"}, headers=api._headers())
    token = made.json()["token"]
    start_s = int(time.time()) - 200
    track = [(s, s * 25 / 3.6) for s in range(1, 31)]
    rest, rng, wander = track[-1][1] + 2, random.Random(3), 0.0
    for s in range(31, 71):
        wander = 0.8 * wander + rng.gauss(0, 0.4)
        track.append((s, rest + wander))
    for second, north in track:
        lat = LAT0 + north / M_PER_DEG
        query = f"id={token}&lat={lat:.7f}&lon={LON0}&timestamp={(start_s + second) * 1000}"
        assert api.request.get(f"/ingest/osmand?{query}").ok
    [alert] = api.get(f"{API}/alerts")
    return str(alert["id"])


def _notification_link(api: Api) -> str:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        items = api.get("/api/v1/notifications")["items"]
        if items:
            return str(items[0]["link"])
        time.sleep(0.1)  # the server's dispatcher turns the event into a notification
    raise AssertionError(f"no crash notification within {WAIT_S} s")


def test_the_live_page_counts_down_a_suspected_crash_and_cancels_it(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("crash-alert")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/live", "live-start")
    page = screen.page
    expect(page.locator("section.crash-alert")).to_have_count(0)
    alert_id = _send_a_crash(fresh_api)
    banner = page.locator(f'section.crash-alert[data-id="{alert_id}"]')
    expect(banner).to_contain_text("Are you all right?")  # drawn as the notification arrives
    link = _notification_link(fresh_api)
    assert link == f"/live?crash={alert_id}"
    screen.goto(link, "live-start")
    expect(banner).to_have_count(1)  # linked and open: shown once
    expect(banner).to_contain_text("Are you all right?")
    first = banner.locator(".crash-countdown").inner_text()
    expect(banner.locator(".crash-countdown")).not_to_have_text(first)  # it counts down
    assert screen.has_no_horizontal_overflow()
    screen.shot(f"crash-alert-{page.viewport_size['width'] if page.viewport_size else 0}")

    banner.get_by_role("button", name="I'm OK — cancel").click()
    expect(banner).to_contain_text("Alert cancelled: your contacts will not be told.")
    expect(banner).to_have_attribute("data-status", "cancelled")
    assert fresh_api.get(f"{API}/alerts/{alert_id}")["status"] == "cancelled"
    screen.goto("/live", "live-start")  # no longer open: no banner
    expect(page.locator("section.crash-alert")).to_have_count(0)
    screen.assert_no_script_errors()
