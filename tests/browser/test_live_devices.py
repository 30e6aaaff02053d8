"""The tracking-apps card of /live in Chromium: a device made (its identifier shown once), an
OsmAnd request with it heard, the device revoked. Desktop width and 390 px."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App


def test_a_device_is_made_heard_from_and_revoked(screen: App, fresh_api: Api) -> None:
    email = new_email("devices")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/live", "live-start")
    page = screen.page
    card = page.locator("section.live-devices")
    expect(card.get_by_text("No devices yet.")).to_be_visible()
    card.get_by_label("Device name").fill("OsmAnd on my phone")
    card.get_by_role("button", name="Add a device").click()
    token_box = card.get_by_label("Device identifier")
    expect(token_box).to_have_value(re.compile(r"^bnd_\S{20,}$"))
    token = token_box.input_value()
    expect(card.get_by_label("OsmAnd web address")).to_have_value(
        re.compile(rf"/ingest/osmand\?id={token}&lat=\{{0\}}&lon=\{{1\}}&timestamp=\{{2\}}")
    )
    device = card.get_by_role("listitem", name="OsmAnd on my phone")
    expect(device).to_contain_text("not heard from yet")
    assert screen.has_no_horizontal_overflow()
    screen.shot(f"live-devices-{page.viewport_size['width'] if page.viewport_size else 0}")

    stamp_ms = int(time.time() * 1000) - 10_000
    sent = fresh_api.request.get(
        f"/ingest/osmand?id={token}&lat=52.52&lon=13.4&timestamp={stamp_ms}"
    )
    assert sent.status == 200, sent.text()
    screen.goto("/live", "live-start")
    device = page.locator("section.live-devices").get_by_role("listitem", name="OsmAnd on my phone")
    expect(device).to_contain_text("last heard")
    expect(page.get_by_label("Device identifier")).to_have_count(0)  # shown once only
    expect(device.get_by_role("link", name="Watch its live ride")).to_have_attribute(
        "href", re.compile(r"^/live/[0-9a-f-]{36}$")
    )
    device.get_by_role("button", name="End its ride").click()
    expect(device.get_by_role("link", name="Watch its live ride")).to_have_count(0)
    [ended] = fresh_api.get("/api/v1/live/sessions")["items"]
    assert ended["status"] == "ended" and ended["ride_id"] is not None

    device.get_by_role("button", name="Revoke").click()
    expect(page.locator("section.live-devices").get_by_text("No devices yet.")).to_be_visible()
    refused = fresh_api.request.get(f"/ingest/osmand?id={token}&lat=52.52&lon=13.4")
    assert refused.status == 401
    screen.assert_no_script_errors()
