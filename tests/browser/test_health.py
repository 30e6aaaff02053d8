"""The health page against the health API: alerts and their numbers, acknowledging, today's
values, readiness, charts with baselines, and a CSV import that refuses a wrong file.

The rider lives far east of UTC and uses pounds: "today" must be the rider's day and weight
must show in lb and be stored in kg. Layout checks run at desktop width and at 390 px.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.fit_builder import monitoring_file

ZONE = "Pacific/Kiritimati"  # UTC+14
HISTORY_DAYS = 35
POUNDS_PER_KG = 2.2046226218


def _today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


def _post(api: Api, metrics: list[dict[str, Any]]) -> None:
    response = api.request.post(
        "/api/v1/health/metrics",
        data={"metrics": metrics},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status == 201, response.text()


def _history(today: date) -> list[dict[str, Any]]:
    """35 days up to yesterday: steady values, then two nights of resting heart rate 7 bpm up."""
    metrics = []
    for back in range(HISTORY_DAYS, 0, -1):
        day = (today - timedelta(days=back)).isoformat()
        rhr = 57.0 + back % 2 if back <= 2 else 50.0 + back % 2
        metrics += [
            {"day": day, "metric": "resting_hr_bpm", "value": rhr},
            {"day": day, "metric": "hrv_rmssd_ms", "value": 62.0 + back % 3},
            {"day": day, "metric": "weight_kg", "value": 70.0 + (back % 4) / 10},
            {"day": day, "metric": "sleep_h", "value": 7.5},
        ]
    return metrics


def _rider(api: Api) -> str:
    email = new_email("health")
    api.register_and_login(email)
    api.patch("/api/v1/me", {"timezone": ZONE, "units": "imperial"})
    _post(api, _history(_today()))
    return email


def _metrics(api: Api, metric: str) -> list[dict[str, Any]]:
    today = _today()
    start = today - timedelta(days=HISTORY_DAYS + 5)
    rows: list[dict[str, Any]] = api.get(
        f"/api/v1/health/metrics?from={start}&to={today}&metric={metric}"
    )["metrics"]
    return rows


def test_the_health_page_explains_the_alert_and_takes_todays_values(
    screen: App, fresh_api: Api
) -> None:
    api, today = fresh_api, _today()
    email = _rider(api)
    [alert] = api.get("/api/v1/health/alerts")["alerts"]
    explanation = alert["explanation"]
    assert explanation["values"] == [57.0, 58.0]

    screen.sign_in(email)
    screen.page.get_by_role("link", name="Health", exact=True).click()
    screen.wait_ready("health")

    # The alert, with the API's numbers.
    shown = screen.page.locator(f".health-alert[data-alert-id='{alert['id']}']")
    expect(shown.locator(".alert-message")).to_have_text(explanation["message"])
    expected = {
        "values": ", ".join(f"{v:g}" for v in explanation["values"]),
        "baseline": f"{explanation['baseline']:g}",
        "usual_low": f"{explanation['usual_low']:g}",
        "usual_high": f"{explanation['usual_high']:g}",
        "days": str(explanation["days"]),
    }
    for key, value in expected.items():
        expect(shown.locator(f".stat[data-key={key}]")).to_have_attribute("data-value", value)
        expect(shown.locator(f".stat[data-key={key}] dd")).to_have_text(value)

    # A chart per metric, with the baseline band from the API's baselines.
    rhr_chart = screen.page.locator(".health-chart[data-metric=resting_hr_bpm]")
    expect(rhr_chart).to_have_attribute("data-points", str(HISTORY_DAYS))
    start = today - timedelta(days=89)
    baselines = api.get(f"/api/v1/health/baselines?metric=resting_hr_bpm&from={start}&to={today}")[
        "days"
    ]
    expect(rhr_chart).to_have_attribute("data-band-days", str(len(baselines)))
    expect(rhr_chart.locator("canvas")).to_have_count(1)
    expect(screen.page.locator(".health-chart")).to_have_count(4)
    expect(screen.page.locator("figcaption", has_text="Weight (lb)")).to_have_count(1)

    # Acknowledge it.
    shown.get_by_role("button", name="Acknowledge").click()
    expect(shown.locator(".acknowledged")).to_have_text("Acknowledged")
    assert api.get("/api/v1/health/alerts")["alerts"][0]["acknowledged"] is True

    # Today's values: the chart gains a point and readiness follows.
    readiness = screen.page.locator(".readiness")
    expect(readiness).to_have_attribute("data-state", "not enough data")
    expect(readiness).to_have_attribute("data-day", today.isoformat())
    screen.page.get_by_label("Resting heart rate (bpm)").fill("59")
    screen.page.get_by_label("Weight (lb)").fill("154.3")
    screen.page.get_by_label("Fatigue (5 = exhausted)").select_option("4")
    screen.page.get_by_role("button", name="Save today's values").click()
    expect(screen.page.locator(".health-entry + div .success")).to_contain_text("Saved 3 values")
    expect(rhr_chart).to_have_attribute("data-points", str(HISTORY_DAYS + 1))
    api_readiness = api.get("/api/v1/health/readiness")
    assert api_readiness["state"] == "rest advised"
    expect(readiness).to_have_attribute("data-state", "rest advised")
    expect(readiness.locator(".readiness-state")).to_have_text("Rest advised")
    expect(readiness.locator("li[data-metric=fatigue_1_5]")).to_have_attribute(
        "data-status", "high"
    )
    [weight] = [m for m in _metrics(api, "weight_kg") if m["day"] == today.isoformat()]
    assert weight["value"] == pytest.approx(154.3 / POUNDS_PER_KG, abs=0.01)
    # The episode grew by today and stays acknowledged.
    [alert_now] = api.get("/api/v1/health/alerts")["alerts"]
    assert (alert_now["id"], alert_now["acknowledged"]) == (alert["id"], True)
    assert alert_now["explanation"]["values"] == [57.0, 58.0, 59.0]

    # A wrong CSV file: every wrong line named, nothing written.
    before = len(_metrics(api, "sleep_h"))
    bad = f"day,metric,value\n{today},sleep_h,7\n{today},sleep_h,30\n{today},blood_sugar,5\n"
    screen.page.get_by_label("CSV file").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    screen.page.get_by_role("button", name="Import").click()
    errors = screen.page.locator(".line-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_attribute("data-line", "3")
    expect(errors.nth(0)).to_contain_text("Line 3:")
    expect(errors.nth(1)).to_have_attribute("data-line", "4")
    expect(screen.page.locator(".health-import + div .error")).to_contain_text("nothing imported")
    assert len(_metrics(api, "sleep_h")) == before

    # A watch's monitoring file: its days' resting heart rate, under the watch's name.
    mornings = [datetime.combine(today - timedelta(days=back), time(7), UTC) for back in (9, 8)]
    fit = monitoring_file([(when, 52, 49) for when in mornings], utc_offset_s=14 * 3600)
    screen.page.get_by_label("CSV file or device file").set_input_files(
        {"name": "wellness.fit", "mimeType": "application/octet-stream", "buffer": fit}
    )
    screen.page.get_by_role("button", name="Import").click()
    expect(screen.page.locator(".health-import + div .success")).to_have_text(
        "Imported 2 values from Garmin Fenix 5."
    )
    watch = [m for m in _metrics(api, "resting_hr_bpm") if m["source"] == "Garmin Fenix 5"]
    assert [(m["day"], m["value"]) for m in watch] == [
        ((today - timedelta(days=back)).isoformat(), 49.0) for back in (9, 8)
    ]

    size = screen.page.viewport_size
    screen.shot(f"health-{size['width'] if size else 0}")
    assert screen.has_no_horizontal_overflow(), "the health page is wider than the screen"
    screen.assert_no_script_errors()
