"""The club pages in Chromium at desktop and phone widths: a private club started from the
clubs page, a post, a club ride answered, the leaderboard; a stranger who asks to join sees
none of it until an admin approves them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.synthetic import synthetic_gpx

# Each test signs two riders up and in several times, at two widths.
SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def _monday() -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=today.weekday())


def _sign_out(app: App) -> None:
    app.page.get_by_role("button", name="Sign out").click()
    app.wait_ready("signin")


def test_start_a_private_club_post_plan_a_ride_and_let_a_rider_in(
    screen: App, fresh_api: Api
) -> None:
    app, page = screen, screen.page
    anna_email, bob_email = new_email("anna"), new_email("bob")
    fresh_api.register_and_login(anna_email, "Anna")
    # A shared ride of Anna's this week (UTC), for the leaderboard.
    start = max(datetime.now(UTC) - timedelta(hours=3), _monday())
    ride_id = fresh_api.import_ride("week.gpx", synthetic_gpx(start, points=120, seed=3))
    fresh_api.patch(f"/api/v1/rides/{ride_id}", {"visibility": "public"})
    Api(fresh_api.request).register_and_login(bob_email, "Bob")

    app.sign_in(anna_email)
    app.goto("/clubs", "clubs")
    form = page.get_by_role("form", name="Start a club")
    form.get_by_label("Name").fill("Dawn Patrol")
    form.get_by_label("Place").fill("Annecy")
    form.get_by_label("Private club").check()
    _fits(app, "the clubs page")
    form.get_by_role("button", name="Create club").click()
    app.wait_ready("club")
    expect(page.get_by_role("heading", name="Dawn Patrol", level=1)).to_be_visible()
    expect(page.get_by_text("You own this club.")).to_be_visible()
    club_url = re.sub(r"^https?://[^/]+", "", page.url)

    posts = page.get_by_role("region", name="Posts")
    posts.get_by_label("Post to the club").fill("<b>Coffee</b> at 8")
    posts.get_by_role("button", name="Post").click()
    expect(posts.get_by_text("<b>Coffee</b> at 8")).to_be_visible()  # text, not HTML
    assert page.locator(".club-post b").count() == 0

    rides = page.get_by_role("region", name="Club rides")
    rides.get_by_label("Title").fill("Lake loop")
    rides.get_by_label("Starts").fill("2030-06-01T08:00")
    rides.get_by_label("Meeting point").fill("Bakery")
    rides.get_by_role("button", name="Plan ride").click()
    expect(rides.get_by_role("heading", name="Lake loop")).to_be_visible()
    rides.get_by_role("button", name="Going", exact=True).click()
    expect(rides.get_by_text(re.compile(r"1 going · 0 maybe"))).to_be_visible()
    board = page.get_by_role("region", name="Leaderboard")
    expect(board.get_by_role("row", name=re.compile(r"^1 Anna"))).to_be_visible()
    expect(board.get_by_text(re.compile(r"^\d{4}-W\d{2}: 1 rides"))).to_be_visible()
    _fits(app, "the club page")
    _sign_out(app)

    app.sign_in(bob_email)
    app.goto("/clubs", "clubs")
    expect(page.get_by_role("list", name="Clubs").get_by_text("No clubs found.")).to_be_visible()
    app.goto(club_url, "club")
    expect(page.get_by_text("for its members")).to_be_visible()
    expect(page.get_by_text("Coffee")).to_have_count(0)
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_role("status")).to_have_text("Your request waits for an admin. ")
    _fits(app, "a private club seen by a stranger")
    _sign_out(app)

    app.sign_in(anna_email)
    app.goto(club_url, "club")
    members = page.get_by_role("region", name="Members")
    members.get_by_role("button", name="Approve Bob").click()
    expect(members.get_by_text("No requests waiting.")).to_be_visible()
    expect(members.get_by_role("link", name="Bob")).to_be_visible()
    _sign_out(app)

    app.sign_in(bob_email)
    app.goto(club_url, "club")
    expect(page.get_by_text("You are a member.")).to_be_visible()
    expect(page.get_by_role("region", name="Posts").get_by_text("at 8")).to_be_visible()
    app.assert_no_script_errors()
