"""The rides list offers the rider's own sports and a commute filter; the ride page edits the
sport, the commute flag and who can see it, and its header follows at once (desktop, 390 px)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.synthetic import strava_archive


def test_the_sport_filter_offers_the_riders_sports_and_commutes(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("sports")
    fresh_api.register_and_login(email)
    state = fresh_api.upload("export_1.zip", strava_archive())
    assert {item["status"] for item in state["items"]} == {"imported"}, state
    screen.sign_in(email)
    screen.goto("/rides", "rides")
    page = screen.page
    sport = page.get_by_label("Sport")
    options = sport.locator("option")
    expect(options).to_have_count(6)
    expect(options.first).to_have_text("Any sport")
    expect(options.nth(1)).to_have_text("Ride (2)")
    labels = sorted(options.all_inner_texts()[2:])
    assert labels == [
        "E-bike ride (1)",
        "Gravel ride (1)",
        "Mountain bike ride (1)",
        "Virtual ride (1)",
    ]
    sport.select_option(label="Gravel ride (1)")
    rows = page.locator(".rides-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ride 2")
    expect(rows.first).to_contain_text("Gravel ride")
    assert "sport=gravel_cycling" in page.url

    sport.select_option(label="Any sport")
    expect(rows).to_have_count(6)
    page.get_by_label("Commutes only").check()
    expect(rows).to_have_count(2)
    expect(rows).to_contain_text(["Ride · commute", "Ride · commute"])
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_editing_sport_commute_and_visibility_updates_the_header_at_once(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("edit-sport")
    fresh_api.register_and_login(email)
    fresh_api.upload("export_1.zip", strava_archive())
    [ride] = fresh_api.get("/api/v1/rides?sport=virtual_cycling")["items"]
    screen.sign_in(email)
    screen.goto(f"/rides/{ride['id']}", "ride")
    page = screen.page
    meta = page.locator(".ride-header .meta, h1 + .meta").first
    expect(meta).to_contain_text("Virtual ride")
    expect(meta).to_contain_text("Only you")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Sport").select_option(label="Gravel ride")
    page.get_by_label("A commute").check()
    page.get_by_label("Who can see it").select_option(label="Everyone")
    page.get_by_role("button", name="Save").click()
    expect(meta).to_contain_text("Gravel ride (commute)")
    expect(meta).to_contain_text("Everyone")
    expect(meta).not_to_contain_text("Only you")
    saved = fresh_api.get(f"/api/v1/rides/{ride['id']}")
    assert (saved["sport"], saved["commute"], saved["visibility"]) == (
        "gravel_cycling",
        True,
        "public",
    )
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()
