"""Splits over moving time with the pause apart, per mile in imperial units with efforts
labelled as what they are, and a ride without times that gets its date from the rider
(desktop and 390 px)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Locator, expect

from tests.browser.conftest import new_email
from tests.browser.support import CORPUS, Api, App

METRES_PER_DEGREE = 111_195.0
PAUSE_S = 900


def _paused_ride_gpx() -> bytes:
    """6 km due north at 5 m/s with a 15-minute stop after 500 m."""
    start = datetime(2024, 5, 4, 9, 0, tzinfo=UTC)
    rows = [
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="tests"'
        ' xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Café stop</name><trkseg>'
    ]
    for i in range(1201):
        when = start + timedelta(seconds=i + (PAUSE_S if i > 100 else 0))
        lat = 46.0 + i * 5.0 / METRES_PER_DEGREE
        rows.append(
            f'<trkpt lat="{lat:.7f}" lon="7.0"><time>{when:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>'
        )
    rows.append("</trkseg></trk></gpx>")
    return "".join(rows).encode()


def _table(app: App, caption: str) -> Locator:
    return app.page.locator("table").filter(has=app.page.locator("caption", has_text=caption))


def test_splits_use_moving_time_and_show_the_pause_apart(screen: App, fresh_api: Api) -> None:
    email = new_email("splits")
    fresh_api.register_and_login(email)
    ride_id = fresh_api.import_ride("cafe.gpx", _paused_ride_gpx())
    screen.sign_in(email)
    screen.goto(f"/rides/{ride_id}", "ride")
    splits = _table(screen, "Each kilometre of the ride")
    expect(splits.locator("thead th")).to_have_text(
        ["#", "Distance", "Moving time", "Paused", "Speed", "Climb"]
    )
    first = splits.locator("tbody tr").first.locator("td")
    # 1 km at 5 m/s (a degree of latitude at 46° N is a little shorter than the one used).
    expect(first.nth(2)).to_have_text(re.compile(r"^3:(19|20|21)$"))
    # The 901 s between the points either side of the stop (5 m apart) are all the stop.
    expect(first.nth(3)).to_have_text("15:01")
    expect(first.nth(4)).to_have_text(re.compile(r"^18\.\d km/h$"))
    expect(splits.locator("tbody tr").nth(1).locator("td").nth(3)).to_have_text("")
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_imperial_splits_are_per_mile_and_efforts_say_what_they_are(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("imperial")
    fresh_api.register_and_login(email)
    fresh_api.patch("/api/v1/me", {"units": "imperial"})
    ride_id = fresh_api.import_ride("cafe.gpx", _paused_ride_gpx())
    screen.sign_in(email)
    screen.goto(f"/rides/{ride_id}", "ride")
    splits = _table(screen, "Each mile of the ride")
    expect(splits.locator("tbody tr")).to_have_count(4)  # 6 km: three miles and a bit
    expect(splits.locator("tbody tr").first.locator("td").nth(1)).to_have_text("1.00 mi")
    expect(splits.locator("tbody tr").first.locator("td").nth(4)).to_have_text(
        re.compile(r"^11\.\d mph$")  # 5 m/s
    )
    fastest = _table(screen, "Fastest distances").locator("tbody tr td:first-child")
    expect(fastest).to_have_text(["0.62 mi", "3.11 mi"])
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_weight_is_in_pounds_in_imperial_units(screen: App, fresh_api: Api) -> None:
    email = new_email("pounds")
    fresh_api.register_and_login(email)
    fresh_api.patch("/api/v1/me", {"units": "imperial", "weight_kg": 70.0})
    screen.sign_in(email)
    screen.goto("/settings", "settings")
    weight = screen.page.get_by_label("Weight (lb)")
    expect(weight).to_have_value("154.3")
    weight.fill("165")
    screen.page.get_by_role("button", name="Save settings").click()
    expect(screen.page.get_by_text("Saved.")).to_be_visible()
    assert fresh_api.get("/api/v1/me")["weight_kg"] == 74.8
    screen.assert_no_script_errors()


def test_a_ride_without_times_has_no_date_until_the_rider_sets_one(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("untimed")
    fresh_api.register_and_login(email)
    gpx = (CORPUS / "gpx" / "gpxpy__Mojstrovka.gpx").read_bytes()
    ride_id = fresh_api.import_ride("gpxpy__Mojstrovka.gpx", gpx)
    screen.sign_in(email)
    screen.goto(f"/rides/{ride_id}", "ride")
    page = screen.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Ride")
    meta = page.locator("h1 + .meta")
    expect(meta).to_contain_text("No date recorded")
    expect(meta).not_to_contain_text("1901")
    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Date").fill("2010-12-14")
    page.get_by_role("button", name="Save").click()
    expect(meta).to_contain_text("Dec 14, 2010")
    saved = fresh_api.get(f"/api/v1/rides/{ride_id}")
    assert saved["started_at"].startswith("2010-12-14")
    screen.goto("/rides", "rides")
    expect(page.locator(".rides-table tbody tr").first).to_contain_text("Dec 14, 2010")
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_the_ride_page_names_the_device_as_people_write_it(screen: App, fresh_api: Api) -> None:
    email = new_email("device")
    fresh_api.register_and_login(email)
    names = {
        "gpsbabel__wahoo-element-bolt.fit": "Wahoo ELEMNT BOLT",
        "fitparse__Edge810-Vector-2013-08-16-15-35-10.fit": "Garmin Edge 810",
    }
    rides = {
        name: fresh_api.import_ride(name, (CORPUS / "fit" / name).read_bytes()) for name in names
    }
    screen.sign_in(email)
    for name, device in names.items():
        screen.goto(f"/rides/{rides[name]}", "ride")
        expect(screen.page.locator("h1 + .meta")).to_contain_text(f" · {device} · from FIT")
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()
