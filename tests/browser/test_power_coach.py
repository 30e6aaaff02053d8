"""The power page in coach view: a coach switches to an athlete ("Viewing: <athlete>") and
reads their power curve and models, their private rides named but not linked. Checked at
desktop width and at 390 px.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App, training_gpx

# Each test signs up and in two people, at two widths: more than the default limits a minute.
SERVER_ENV = {f"BIKENODE_RATE_LIMIT_{kind}": "100/minute" for kind in ("REGISTER", "LOGIN")}


def test_a_coach_views_an_athletes_power_curve_read_only(screen: App, fresh_api: Api) -> None:
    athlete, coach = fresh_api, Api(fresh_api.request)
    coach_email = new_email("coach")
    athlete.register_and_login(new_email("athlete"), name="Ada Athlete")
    start = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    ride_id = athlete.import_ride("ride.gpx", training_gpx(1800, start=start - timedelta(days=3)))
    coach.register_and_login(coach_email, name="Cleo Coach")
    granted = athlete.request.post(
        "/api/v1/me/coaches",
        data={"user_id": coach.get("/api/v1/me")["id"]},
        headers={"Authorization": f"Bearer {athlete.token}"},
    )
    assert granted.status == 201, granted.text()
    today = datetime.now(UTC).date()
    curve = athlete.get(f"/api/v1/fitness/power-curve?from={today - timedelta(days=89)}&to={today}")
    minute = curve["watts"][curve["durations_s"].index(60)]

    screen.sign_in(coach_email)
    screen.page.get_by_role("link", name="Power", exact=True).click()
    screen.wait_ready("power")
    expect(screen.page.locator(".power-results .empty")).to_be_visible()  # the coach's own
    screen.page.get_by_label("Viewing:").select_option(label="Ada Athlete")

    row = screen.page.locator("table.power-bests tr[data-seconds='60']")
    expect(row).to_have_attribute("data-ride", ride_id)
    assert float(row.get_attribute("data-watts") or "nan") == minute
    expect(screen.page).to_have_url(re.compile(r"rider="))
    expect(row.locator("a")).to_have_count(0)  # the athlete's private ride: no dead link
    expect(row).to_contain_text("A ride not shared with you")
    expect(screen.page.locator(".power-chart")).to_have_attribute(
        "data-points", str(len(curve["durations_s"]))
    )
    fitness = screen.page.locator(".title-row a", has_text="Fitness")
    expect(fitness).to_have_attribute("href", f"/fitness?rider={athlete.get('/api/v1/me')['id']}")
    size = screen.page.viewport_size
    screen.shot(f"coach-power-{size['width'] if size else 0}")
    assert screen.has_no_horizontal_overflow(), "the power page is wider than the screen"

    screen.page.get_by_label("Range").select_option(label="All time")
    expect(screen.page).to_have_url(re.compile(r"range=all&rider="))
    expect(row).to_have_attribute("data-ride", ride_id)
    assert float(row.get_attribute("data-watts") or "nan") == minute

    screen.page.get_by_label("Viewing:").select_option(label="You")
    expect(screen.page).not_to_have_url(re.compile(r"rider="))
    expect(screen.page.locator(".power-results .empty")).to_be_visible()
    screen.assert_no_script_errors()
