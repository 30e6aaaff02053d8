"""Dashboard, ride list, settings, and every page on a phone-sized screen."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Rider, new_email
from tests.browser.support import Api, App, training_gpx

METRES_PER_MILE = 1609.344


def _number(text: str) -> float:
    match = re.search(r"-?[\d,]*\.?\d+", text)
    assert match, text
    return float(match.group().replace(",", ""))


def _stat(scope: App, container: str, label: str) -> str:
    stat = scope.page.locator(f"{container} .stat").filter(
        has=scope.page.locator("dt", has_text=re.compile(f"^{label}$"))
    )
    return stat.locator("dd").inner_text()


def test_dashboard_shows_this_weeks_volume_and_recent_rides(web: App, fresh_api: Api) -> None:
    email = new_email("dashboard")
    fresh_api.register_and_login(email)
    start = datetime.now(UTC) - timedelta(minutes=20)
    ride_id = fresh_api.import_ride("today.gpx", training_gpx(900, start=start, name="Lunch loop"))
    stats = fresh_api.get("/api/v1/rides/stats")
    web.sign_in(email)
    web.shot("dashboard")
    week = stats["this_week"]
    assert week["rides"] == 1
    assert _stat(web, "[data-period=week]", "Rides") == "1"
    shown_km = _number(_stat(web, "[data-period=week]", "Distance"))
    assert abs(shown_km - week["distance_m"] / 1000) <= 0.05 + 1e-9
    assert _number(_stat(web, "[data-period=year]", "Rides")) == stats["this_year"]["rides"]
    expect(web.page.locator(".weekly-chart canvas")).to_have_count(1)
    web.page.get_by_text("Show as a table").click()
    expect(web.page.locator(".as-table tbody tr")).to_have_count(1)
    recent = web.page.locator(".recent a")
    expect(recent).to_have_text(["Lunch loop"])
    expect(recent).to_have_attribute("href", f"/rides/{ride_id}")
    web.assert_no_script_errors()


def _thirty_rides() -> bytes:
    """Ride 1 to Ride 30, one a day from 2024-01-01 at 08:00 UTC, each longer than the last."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(1, 31):
            start = datetime(2024, 1, n, 8, 0, tzinfo=UTC)
            archive.writestr(
                f"{n:02d}.gpx", training_gpx(120 + 10 * n, start=start, name=f"Ride {n}")
            )
    return buffer.getvalue()


def test_ride_list_searches_filters_sorts_and_pages(web: App, fresh_api: Api) -> None:
    email = new_email("lister")
    fresh_api.register_and_login(email)
    state = fresh_api.upload("thirty.zip", _thirty_rides())
    assert state["counts"] == {"imported": 30}, state
    web.sign_in(email)
    web.goto("/rides", "rides")
    rows = web.page.locator(".rides-table tbody tr")
    names = web.page.locator(".rides-table td.col-name")
    expect(rows).to_have_count(25)
    expect(names.first).to_have_text("Ride 30")  # newest first
    web.shot("rides")

    web.page.get_by_role("button", name="Next →").click()
    expect(rows).to_have_count(5)
    expect(web.page.locator(".pager")).to_contain_text("Page 2")
    expect(web.page.get_by_role("button", name="Next →")).to_be_disabled()
    web.page.get_by_role("button", name="← Previous").click()
    expect(rows).to_have_count(25)

    web.page.get_by_label("Name contains").fill("Ride 2")
    expect(rows).to_have_count(11)  # Ride 2 and Ride 20 to Ride 29
    assert "q=Ride+2" in web.page.url
    web.page.get_by_label("Name contains").fill("")
    expect(rows).to_have_count(25)

    distance = web.page.get_by_role("button", name="Distance")
    distance.click()
    expect(web.page.locator("th[aria-sort=descending]")).to_have_text("Distance ▼")
    expect(names.first).to_have_text("Ride 30")
    web.page.get_by_role("button", name="Distance").click()
    expect(web.page.locator("th[aria-sort=ascending]")).to_have_text("Distance ▲")
    expect(names.first).to_have_text("Ride 1")
    shown = [_number(t) for t in web.page.locator("td.col-distance_m").all_inner_texts()]
    assert shown == sorted(shown) and len(shown) == 25

    web.page.get_by_label("From").fill("2024-01-05")
    web.page.get_by_label("To").fill("2024-01-07")
    web.page.get_by_role("button", name="Filter").click()
    expect(names).to_have_text(["Ride 5", "Ride 6", "Ride 7"])  # still by distance, ascending
    sport = web.page.get_by_label("Sport")  # only the sports this rider has
    expect(sport.locator("option")).to_have_text(["Any sport", "Ride (30)"])
    sport.select_option(label="Ride (30)")
    expect(names).to_have_text(["Ride 5", "Ride 6", "Ride 7"])
    web.page.get_by_label("Commutes only").check()
    expect(web.page.locator(".results")).to_have_text("No ride matches these filters.")
    web.assert_no_script_errors()


def test_settings_switch_to_imperial_and_the_pages_follow(web: App, fresh_api: Api) -> None:
    email = new_email("settings")
    fresh_api.register_and_login(email)
    ride_id = fresh_api.import_ride("ride.gpx", training_gpx(1200))
    web.sign_in(email)
    web.goto("/settings", "settings")
    web.page.get_by_label("Imperial (mi, ft, mph)").check()
    web.page.get_by_label("Timezone").select_option("Europe/Paris")
    web.page.get_by_label("FTP (watts)").fill("260")
    web.page.get_by_label("Maximum heart rate (bpm)").fill("188")
    web.page.get_by_label("Resting heart rate (bpm)").fill("48")
    web.page.get_by_label("Weight (kg)").fill("71.3")
    share = web.page.get_by_label("Show heart rate and power of my public rides to others")
    expect(share).not_to_be_checked()
    share.check()
    web.page.get_by_label("Birth year").fill("1984")
    classes = web.page.get_by_label("Rank me in segment boards' age and weight classes")
    expect(classes).not_to_be_checked()
    classes.check()
    web.page.get_by_role("button", name="Save settings").click()
    expect(web.page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    web.shot("settings")
    me = fresh_api.get("/api/v1/me")
    assert (me["units"], me["timezone"], me["ftp_w"], me["max_hr_bpm"]) == (
        "imperial",
        "Europe/Paris",
        260,
        188,
    )
    assert (me["weight_kg"], me["resting_hr_bpm"]) == (71.3, 48)
    assert me["share_health_by_default"] is True
    assert (me["birth_year"], me["share_board_classes"]) == (1984, True)
    web.page.reload()  # a fresh page reads the (encrypted) values back from the server
    web.wait_ready("settings")
    expect(web.page.get_by_label("Weight (lb)")).to_have_value("157.2")  # imperial now
    expect(web.page.get_by_label("Resting heart rate (bpm)")).to_have_value("48")
    expect(share).to_be_checked()

    web.goto(f"/rides/{ride_id}", "ride")
    ride = fresh_api.get(f"/api/v1/rides/{ride_id}")
    distance = web.page.locator(".stat[data-key=distance_m] dd").inner_text()
    assert distance.endswith(" mi"), distance
    assert abs(_number(distance) - ride["distance_m"] / METRES_PER_MILE) <= 0.005 + 1e-9
    expect(web.page.locator(".leaflet-control-scale-line").first).to_have_text(
        re.compile(r"^\d+ (ft|mi)$")
    )
    web.assert_no_script_errors()


def test_every_page_fits_a_phone_screen(browser: Browser, server: str, rider: Rider) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    phone = App(context.new_page(), server)
    try:
        pages = [("/signin", "signin"), ("/signup", "signup")]
        for path, ready in pages:
            phone.goto(path, ready)
            assert phone.has_no_horizontal_overflow(), path
            phone.shot(f"phone-{ready}")
        phone.sign_in(rider.email)
        ride_id = next(iter(rider.rides.values()))
        pages = [("/", "dashboard"), ("/rides", "rides"), ("/upload", "upload")]
        pages += [(f"/rides/{ride_id}", "ride"), ("/settings", "settings")]
        pages += [("/notifications", "notifications")]
        pages += [("/feed", "feed"), ("/follow-requests", "follow-requests")]
        for path, ready in pages:
            phone.goto(path, ready)
            assert phone.has_no_horizontal_overflow(), path
            phone.shot(f"phone-{ready}")
        phone.assert_no_script_errors()
    finally:
        context.close()
