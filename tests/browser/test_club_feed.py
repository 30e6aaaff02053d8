"""The club page and the feed in Chromium at desktop and phone widths: an admin uploads the
club's avatar (shown at once), a member sees the club's post in their feed, the club's
members-only ride with its live group ride, answers it and follows the link to the live page."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App

# Two riders sign up and in at two widths.
SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}


def _post(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.request.post(path, data=body, headers={"Authorization": f"Bearer {api.token}"})
    assert answer.ok, answer.text()
    made: dict[str, Any] = answer.json()
    return made


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "orange").save(out, "JPEG")
    return out.getvalue()


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def test_a_clubs_avatar_post_and_live_ride_on_its_page_and_in_the_feed(
    screen: App, fresh_api: Api
) -> None:
    app, page = screen, screen.page
    anna_email, bob_email = new_email("anna"), new_email("bob")
    fresh_api.register_and_login(anna_email, "Anna")
    made = _post(fresh_api, "/api/v1/clubs", {"name": "Dawn Patrol", "sport": "road"})
    base = f"/api/v1/clubs/{made['id']}"
    _post(fresh_api, f"{base}/posts", {"body": "Coffee at eight"})
    ride = {"title": "Members' loop", "starts_at": "2030-06-01T08:00:00+02:00"}
    _post(fresh_api, f"{base}/events", {**ride, "live": True, "members_only": True})
    bob = Api(fresh_api.request)
    bob.register_and_login(bob_email, "Bob")
    _post(bob, f"{base}/membership", {})

    app.sign_in(anna_email)
    app.goto(f"/clubs/{made['id']}", "club")
    form = page.get_by_role("form", name="Club avatar")
    form.get_by_label("Avatar").set_input_files(
        {"name": "logo.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    form.get_by_role("button", name="Upload avatar").click()
    avatar = page.get_by_role("img", name="Dawn Patrol avatar")
    expect(avatar).to_be_visible()
    page.wait_for_function("() => document.querySelector('img.club-avatar')?.naturalWidth > 0")
    _fits(app, "the club page with its avatar")
    page.get_by_role("button", name="Sign out").click()
    app.wait_ready("signin")

    app.sign_in(bob_email)
    app.goto("/feed", "feed")
    feed = page.get_by_role("list", name=re.compile("your clubs' posts"))
    expect(feed.get_by_text("Coffee at eight")).to_be_visible()
    expect(feed.get_by_role("link", name="Dawn Patrol")).to_be_visible()
    _fits(app, "the feed with a club post")
    feed.get_by_role("link", name="Dawn Patrol").click()
    app.wait_ready("club")
    expect(page.get_by_role("img", name="Dawn Patrol avatar")).to_be_visible()
    expect(page.get_by_role("form", name="Club avatar")).to_have_count(0)  # admins only
    rides = page.get_by_role("region", name="Club rides")
    expect(rides.get_by_text(re.compile("members only"))).to_be_visible()
    rides.get_by_role("button", name="Going", exact=True).click()
    expect(rides.get_by_text(re.compile(r"1 going"))).to_be_visible()
    _fits(app, "the club page of a member")
    rides.get_by_role("link", name="Live: Members' loop").click()
    app.wait_ready("live-group")
    expect(page.get_by_role("heading", name=re.compile("Members' loop"))).to_be_visible()
    app.assert_no_script_errors()
