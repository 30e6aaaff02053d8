"""A rider's history: all-time and per-year totals, personal records and the calendar,
after importing an archive that ended years ago (desktop and 390 px)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App, training_gpx


def _width(app: App) -> int:
    size = app.page.viewport_size
    return size["width"] if size else 0


def _archive(api: Api) -> dict[str, str]:
    """Three rides of an old archive; the longest (and fastest over 5 km) in 2019."""
    rides = {
        "Spring 2016": (datetime(2016, 4, 10, 9, 0, tzinfo=UTC), 1200),
        "Autumn 2016": (datetime(2016, 10, 2, 9, 0, tzinfo=UTC), 1500),
        "Alpine 2019": (datetime(2019, 6, 14, 7, 30, tzinfo=UTC), 2400),
    }
    return {
        name: api.import_ride(f"{n}.gpx", training_gpx(points, start=start, name=name))
        for n, (name, (start, points)) in enumerate(rides.items())
    }


def test_the_dashboard_shows_all_time_years_and_records_of_an_old_archive(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("history")
    fresh_api.register_and_login(email)
    ids = _archive(fresh_api)
    stats = fresh_api.get("/api/v1/rides/stats")
    records = fresh_api.get("/api/v1/rides/records")
    screen.sign_in(email)
    page = screen.page
    week = page.locator("[data-period=week] .stat").filter(has_text="Rides")
    expect(week.locator("dd")).to_have_text("0")
    all_time = page.locator("[data-period=all] .stat").filter(has_text="Rides")
    expect(all_time.locator("dd")).to_have_text("3")
    total_km = stats["all_time"]["distance_m"] / 1000
    expect(page.locator("[data-period=all] .stat").filter(has_text="Distance")).to_contain_text(
        f"{total_km:.1f} km"
    )
    years = page.locator(".years tbody tr")
    expect(years).to_have_count(2)
    expect(years.first).to_have_attribute("data-year", "2019")
    expect(years.nth(1).locator("td").last).to_have_text("2")  # two rides in 2016

    [five_km] = [r for r in records["fastest"] if r["distance_m"] == 5000.0]
    row = page.locator(".records tbody tr").filter(has_text="Fastest 5 km")
    expect(row.get_by_role("link")).to_have_attribute("href", f"/rides/{five_km['ride']['id']}")
    assert five_km["ride"]["id"] in ids.values()
    expect(page.locator(".records tbody tr").filter(has_text="Fastest 1 km")).to_have_count(1)
    assert screen.has_no_horizontal_overflow()
    screen.shot(f"dashboard-history-{_width(screen)}")
    screen.assert_no_script_errors()


def test_the_calendar_opens_on_the_newest_rides_month_and_pages_by_month(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("calendar")
    fresh_api.register_and_login(email)
    ids = _archive(fresh_api)
    screen.sign_in(email)
    page = screen.page
    page.get_by_role("link", name="Calendar").click()
    screen.wait_ready("calendar")
    expect(page.get_by_role("heading", level=1)).to_have_text("June 2019")
    day = page.locator(".day[data-day='2019-06-14']")
    expect(day.get_by_role("link")).to_have_text("Alpine 2019")
    expect(day.get_by_role("link")).to_have_attribute("href", f"/rides/{ids['Alpine 2019']}")
    expect(page.locator(".day.has-rides")).to_have_count(1)
    expect(page.locator(".month-total")).to_have_text(re.compile(r"^1 ride · "))
    assert screen.has_no_horizontal_overflow()
    screen.shot(f"calendar-{_width(screen)}")

    screen.goto("/calendar?month=2016-11", "calendar")
    expect(page.locator(".month-total")).to_have_text("No rides this month.")
    page.get_by_role("link", name="← Previous month").click()
    screen.wait_ready("calendar")
    expect(page.get_by_role("heading", level=1)).to_have_text("October 2016")
    expect(page.locator(".day[data-day='2016-10-02'] a")).to_have_text("Autumn 2016")
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()
