"""The social pages in Chromium at desktop and phone widths: a follow request made on a
rider's profile, approved on the follow requests page, the followed rider's rides in the
feed with kudos, and a comment on the ride page."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.synthetic import synthetic_gpx

# Each test signs three riders up and in, at two widths.
SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def _sign_out(app: App) -> None:
    app.page.get_by_role("button", name="Sign out").click()
    app.wait_ready("signin")


def _rider_with_rides(api: Api, name: str) -> tuple[str, str, list[str]]:
    email = new_email(name.lower())
    api.register_and_login(email, name)
    rides = []
    for n, visibility in enumerate(("public", "followers")):
        start = datetime(2025, 6, 1 + n, 7, tzinfo=UTC)
        ride_id = api.import_ride(f"r{n}.gpx", synthetic_gpx(start, points=120, seed=n))
        api.patch(
            f"/api/v1/rides/{ride_id}", {"visibility": visibility, "name": f"{name} {visibility}"}
        )
        rides.append(ride_id)
    approve = api.request.put(
        "/api/v1/me/social", data={"approve_followers": True}, headers=api._headers()
    )
    assert approve.ok, approve.text()
    return email, api.get("/api/v1/me")["id"], rides


def test_follow_approve_feed_kudos_and_comment(screen: App, fresh_api: Api) -> None:
    app, page = screen, screen.page
    anna_email, anna_id, (public, followers_only) = _rider_with_rides(fresh_api, "Anna")
    bob_email = new_email("bob")
    Api(fresh_api.request).register_and_login(bob_email, "Bob")

    app.sign_in(bob_email)
    app.goto(f"/riders/{anna_id}", "rider")
    expect(page.get_by_role("heading", name="Anna", level=1)).to_be_visible()
    expect(page.get_by_text("Only approved followers see")).to_be_visible()
    rides = page.get_by_role("list", name="Their rides")
    expect(rides.get_by_role("heading", level=2)).to_have_text(["Anna public"])
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("status")).to_have_text("Your request waits for approval. ")
    _fits(app, "the profile")
    app.goto("/feed", "feed")
    expect(page.get_by_text("No rides yet")).to_be_visible()
    _sign_out(app)

    app.sign_in(anna_email)
    app.goto("/follow-requests", "follow-requests")
    _fits(app, "the follow requests page")
    page.get_by_role("button", name="Approve Bob").click()
    expect(page.get_by_text("No requests waiting.")).to_be_visible()
    _sign_out(app)

    app.sign_in(bob_email)
    app.goto("/feed", "feed")
    feed = page.get_by_role("list", name="Rides of riders you follow")
    link = feed.get_by_role("link", name="Anna followers")
    expect(link).to_have_attribute("href", f"/rides/{followers_only}")
    expect(feed.get_by_role("link", name="Anna public")).to_have_attribute(
        "href", f"/rides/{public}"
    )
    names = feed.get_by_role("heading", level=2).all_inner_texts()
    assert names == ["Anna followers", "Anna public"]  # newest first
    _fits(app, "the feed")
    app.goto(f"/riders/{anna_id}", "rider")  # approved: the followers-only ride shows too
    expect(
        page.get_by_role("list", name="Their rides").get_by_role("heading", level=2)
    ).to_have_text(["Anna followers", "Anna public"])
    app.goto("/feed", "feed")
    first = feed.get_by_role("listitem").first
    first.get_by_role("button", name="Give kudos (0)").click()
    expect(first.get_by_role("button", name="Kudos given (1)")).to_be_visible()

    first.get_by_role("link", name="Anna followers").click()
    app.wait_ready("ride")
    social = page.get_by_role("region", name="Kudos and comments")
    expect(social.get_by_role("button", name="Kudos given (1)")).to_be_visible()
    social.get_by_role("textbox", name="Comment").fill("<b>Chapeau</b> @Anna")
    social.get_by_role("button", name="Post the comment").click()
    expect(social.get_by_text("<b>Chapeau</b> @Anna")).to_be_visible()  # text, not HTML
    _fits(app, "the ride page with comments")
    assert page.locator(".comment b").count() == 0
    social.get_by_role("button", name="Delete").click()
    expect(social.get_by_text("No comments yet.")).to_be_visible()
    app.assert_no_script_errors()
