"""Coaches on the health page: a rider grants and revokes a coach by e-mail address; a coach
switches to an athlete ("Viewing: <athlete>") and reads their values and alerts, with nothing
to write. Checked at desktop width and at 390 px.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App, training_gpx

HISTORY_DAYS = 30
# Each test signs up and in two people, at two widths: more than the default limits a minute.
SERVER_ENV = {f"BIKENODE_RATE_LIMIT_{kind}": "100/minute" for kind in ("REGISTER", "LOGIN")}


def _history() -> list[dict[str, Any]]:
    """A month of resting heart rate up to yesterday (UTC), the last two nights well up."""
    today = datetime.now(UTC).date()
    return [
        {
            "day": (today - timedelta(days=back)).isoformat(),
            "metric": "resting_hr_bpm",
            "value": 58.0 + back % 2 if back <= 2 else 50.0 + back % 2,
        }
        for back in range(HISTORY_DAYS, 0, -1)
    ]


def _people(api: Api) -> tuple[Api, str, Api, str]:
    """An athlete with a month of values and an alert, and a would-be coach: APIs, e-mails."""
    athlete_email, coach_email = new_email("athlete"), new_email("coach")
    api.register_and_login(athlete_email, name="Ada Athlete")
    posted = api.request.post(
        "/api/v1/health/metrics",
        data={"metrics": _history()},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert posted.status == 201, posted.text()
    coach = Api(api.request)
    coach.register_and_login(coach_email, name="Cleo Coach")
    return api, athlete_email, coach, coach_email


def _check_layout(screen: App, name: str) -> None:
    size = screen.page.viewport_size
    screen.shot(f"{name}-{size['width'] if size else 0}")
    assert screen.has_no_horizontal_overflow(), f"the {name} page is wider than the screen"
    screen.assert_no_script_errors()


def test_a_rider_grants_and_revokes_a_coach_on_the_health_page(screen: App, fresh_api: Api) -> None:
    athlete, athlete_email, _, coach_email = _people(fresh_api)
    screen.sign_in(athlete_email)
    screen.page.get_by_role("link", name="Health", exact=True).click()
    screen.wait_ready("health")
    panel = screen.page.locator(".coaches")
    expect(panel.locator(".empty")).to_have_text("Nobody but you reads your data.")
    expect(screen.page.locator(".rider-switcher")).to_have_count(0)  # nobody to coach

    screen.page.get_by_label("Coach's e-mail address").fill(coach_email)
    screen.page.get_by_role("button", name="Grant access").click()
    expect(panel.locator(".coach-name")).to_have_text(["Cleo Coach"])
    expect(panel.locator("[role=status]")).to_have_text("Cleo Coach can now read your data.")
    [granted] = athlete.get("/api/v1/me/coaches")["users"]
    expect(panel.locator(".coach")).to_have_attribute("data-user-id", granted["user_id"])

    screen.page.get_by_label("Coach's e-mail address").fill("nobody-at-all@example.org")
    screen.page.get_by_role("button", name="Grant access").click()
    expect(panel.locator("[role=alert]")).to_contain_text("No such user")
    _check_layout(screen, "coaches")

    panel.get_by_role("button", name="Revoke Cleo Coach's access").click()
    expect(panel.locator(".coach")).to_have_count(0)
    assert athlete.get("/api/v1/me/coaches")["users"] == []


def test_a_coach_views_an_athletes_health_and_cannot_write(screen: App, fresh_api: Api) -> None:
    athlete, _, coach, coach_email = _people(fresh_api)
    coach_id = coach.get("/api/v1/me")["id"]
    granted = athlete.request.post(
        "/api/v1/me/coaches",
        data={"user_id": coach_id},
        headers={"Authorization": f"Bearer {athlete.token}"},
    )
    assert granted.status == 201, granted.text()
    athlete_id = athlete.get("/api/v1/me")["id"]
    [alert] = athlete.get("/api/v1/health/alerts")["alerts"]

    screen.sign_in(coach_email)
    screen.page.get_by_role("link", name="Health", exact=True).click()
    screen.wait_ready("health")
    expect(screen.page.locator(".health-chart")).to_have_count(0)  # the coach's own: none
    screen.page.get_by_label("Viewing:").select_option(label="Ada Athlete")

    chart = screen.page.locator(".health-chart[data-metric=resting_hr_bpm]")
    expect(chart).to_have_attribute("data-points", str(HISTORY_DAYS))
    expect(screen.page.locator(".hint").first).to_contain_text("Ada Athlete's last 90 days")
    shown = screen.page.locator(f".health-alert[data-alert-id='{alert['id']}']")
    expect(shown.locator(".alert-message")).to_have_text(alert["explanation"]["message"])
    # Read by the coach, "your usual" would be the coach's: the words name nobody.
    expect(shown.locator(".alert-message")).not_to_contain_text("your")
    expect(chart.locator("xpath=..").locator("figcaption")).not_to_contain_text("your")
    expect(shown.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(screen.page.get_by_role("button", name="Save today's values")).to_be_hidden()
    expect(screen.page.get_by_role("button", name="Grant access")).to_be_hidden()
    _check_layout(screen, "coach-view")

    screen.page.get_by_label("Viewing:").select_option(label="You")
    expect(chart).to_have_count(0)
    expect(screen.page.get_by_role("button", name="Save today's values")).to_be_visible()
    assert athlete.get("/api/v1/health/alerts")["alerts"][0]["acknowledged"] is False
    assert athlete_id != coach_id


def test_a_coach_views_an_athletes_training_load_without_their_settings(
    screen: App, fresh_api: Api
) -> None:
    athlete, _, coach, coach_email = _people(fresh_api)
    headers = {"Authorization": f"Bearer {athlete.token}"}
    ftp = {"values": [{"kind": "ftp_w", "value": 250, "valid_from": "2020-01-01"}]}
    assert athlete.request.put("/api/v1/fitness/thresholds", data=ftp, headers=headers).ok
    ride_day = datetime.now(UTC).date() - timedelta(days=2)
    start = datetime.combine(ride_day, datetime.min.time(), UTC) + timedelta(hours=7)
    athlete.import_ride("ride.gpx", training_gpx(1800, start=start))
    coach_id = coach.get("/api/v1/me")["id"]
    granted = athlete.request.post(
        "/api/v1/me/coaches", data={"user_id": coach_id}, headers=headers
    )
    assert granted.status == 201, granted.text()
    [day] = athlete.get(f"/api/v1/fitness/load?from={ride_day}&to={ride_day}")["days"]
    assert day["stress"] > 0

    screen.sign_in(coach_email)
    screen.page.get_by_role("link", name="Fitness", exact=True).click()
    screen.wait_ready("fitness")
    expect(screen.page.locator(f"tr[data-day='{ride_day}']")).to_have_count(0)  # coach's own
    screen.page.get_by_label("Viewing:").select_option(label="Ada Athlete")
    row = screen.page.locator(f"tr[data-day='{ride_day}']")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text(str(round(day["stress"])))
    expect(screen.page.locator(".load-chart")).to_have_attribute("data-ahead-days", "0")
    expect(screen.page.locator(".forecast")).to_have_count(0)
    expect(screen.page.get_by_role("button", name="Save")).to_have_count(0)
    _check_layout(screen, "coach-fitness")
