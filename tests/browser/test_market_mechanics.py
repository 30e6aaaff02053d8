"""Mechanic profiles in Chromium: a mechanic fills in their profile and replies to a review;
a rider finds them with "find a mechanic" and reads the profile with its reviews. At desktop
width and at a phone's 390 px."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, expect

from tests.browser.conftest import WIDTHS, new_email
from tests.browser.support import Api, App
from tests.browser.test_market import SERVER_ENV, mechanic_email  # noqa: F401 (a fixture)
from tests.factories import STRONG_PASSWORD

__all__ = ["SERVER_ENV"]
SHOP = (48.85837, 2.29448)


def _post(api: Api, token: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    answer = api.request.post(path, data=body, headers=headers)
    assert answer.ok, f"POST {path}: {answer.text()}"
    return answer.json()


def _reviewed_job(rider: Api, mechanic_token: str) -> None:
    """A job of the rider's done by the mechanic, paid and reviewed (set up over the API)."""
    bike = _post(rider, rider.token, "/api/v1/bikes", {"name": "Allez", "type": "road"})
    body = {"bike_id": bike["id"], "title": "Brake rub", "description": "Rubs at the back"}
    job = _post(
        rider,
        rider.token,
        "/api/v1/market/jobs",
        body | dict(zip(("lat_deg", "lon_deg"), SHOP, strict=True)),
    )
    until = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    offer = {"job_id": job["id"], "price_minor": 3000, "currency": "EUR", "valid_until": until}
    quote = _post(rider, mechanic_token, "/api/v1/market/quotes", offer)
    _post(rider, rider.token, f"/api/v1/market/quotes/{quote['id']}/accept")
    moves = f"/api/v1/market/jobs/{job['id']}/transitions"
    for step in ("start", "finish", "invoice"):
        _post(rider, mechanic_token, moves, {"transition": step})
    _post(rider, rider.token, f"/api/v1/market/jobs/{job['id']}/payments")
    _post(rider, rider.token, moves, {"transition": "review", "rating": 5, "text": "Silent brakes"})


def test_a_mechanic_profile_is_found_read_and_its_review_replied_to(
    screen: App,
    browser: Browser,
    fresh_api: Api,
    mechanic_email: str,  # noqa: F811
) -> None:
    login = {"email": mechanic_email, "password": STRONG_PASSWORD}
    mechanic_token = fresh_api.request.post("/api/v1/auth/login", data=login).json()["access_token"]
    rider_email = new_email()
    fresh_api.register_and_login(rider_email)
    _reviewed_job(fresh_api, mechanic_token)

    shop = f"Spokes {uuid.uuid4().hex[:6]}"  # one server serves every width's run
    mechanic = screen
    mechanic.sign_in(mechanic_email)
    mechanic.goto("/market", "market")
    form = mechanic.page.get_by_role("form", name="My mechanic profile")
    form.get_by_label("Display name").fill(shop)
    form.get_by_label("About").fill("Brakes and wheels since 1999")
    form.get_by_label("brakes").check()
    form.get_by_label("Shop latitude").fill(str(SHOP[0]))
    form.get_by_label("Shop longitude").fill(str(SHOP[1]))
    form.get_by_role("button", name="Save the profile").click()
    expect(form.get_by_role("status")).to_have_text("Profile saved.")
    assert mechanic.has_no_horizontal_overflow(), "the profile form is wider than the screen"
    mechanic_id = Api(fresh_api.request, mechanic_token).get("/api/v1/me")["id"]
    mechanic.goto(f"/market/mechanics/{mechanic_id}", "market-mechanic")
    expect(mechanic.page.locator(".review")).to_contain_text("Silent brakes")
    reply = mechanic.page.get_by_role("form", name="Reply to this review")
    reply.get_by_label("Your reply").fill("Thanks, ride safe")
    reply.get_by_role("button", name="Reply").click()
    expect(mechanic.page.locator(".reply")).to_have_text("Reply: Thanks, ride safe")
    mechanic.assert_no_script_errors()

    context = browser.new_context(viewport=mechanic.page.viewport_size or WIDTHS["desktop"])
    context.set_default_timeout(15_000)
    rider = App(context.new_page(), mechanic.base)
    try:
        rider.sign_in(rider_email)
        rider.goto("/market", "market")
        search = rider.page.get_by_role("form", name="Find a mechanic")
        search.get_by_label("Near latitude").fill("48.86")
        search.get_by_label("Near longitude").fill("2.30")
        search.get_by_label("Service").select_option("brakes")
        search.get_by_role("button", name="Search").click()
        found = search.locator(".mechanic", has_text=shop)
        expect(found).to_contain_text(shop)
        expect(found).to_contain_text("1 review")
        expect(found).not_to_contain_text(f"{SHOP[0]:.3f}")  # never the shop's place
        assert rider.has_no_horizontal_overflow(), "the search is wider than the screen"
        found.get_by_role("link", name=shop).click()
        rider.wait_ready("market-mechanic")
        expect(rider.page.get_by_role("heading", level=1)).to_have_text(shop)
        expect(rider.page.locator(".reply")).to_have_text("Reply: Thanks, ride safe")
        expect(rider.page.get_by_role("form", name="Reply to this review")).to_have_count(0)
        assert rider.has_no_horizontal_overflow(), "the profile page is wider than the screen"
        rider.assert_no_script_errors()
    finally:
        context.close()
