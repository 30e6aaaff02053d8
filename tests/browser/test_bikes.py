"""The bikes pages in Chromium: a garage made in the UI, parts that come due, a wheelset moved
between bikes, a service, a ride put on another bike, and the refusals, at two widths."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.corpus import CORPUS, MISSING
from tests.synthetic import synthetic_gpx

# Each test signs up, uploads and reloads pages at two widths.
SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}
RIDE_DAYS = ("2025-03-10", "2025-03-11", "2025-03-12")
ASSIGN_TIMEOUT_S = 60.0


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def _width(app: App) -> int:
    size = app.page.viewport_size
    return size["width"] if size else 0


def _import_rides(api: Api) -> list[str]:
    starts = [datetime.fromisoformat(f"{day}T08:00:00+00:00") for day in RIDE_DAYS]
    return [
        api.import_ride(f"ride{n}.gpx", synthetic_gpx(start, points=600, seed=n))
        for n, start in enumerate(starts)
    ]


def _wait_for_bike(api: Api, ride_ids: list[str], bike_id: str) -> None:
    """The served app's dispatcher puts new rides on the default bike in the background."""
    deadline = time.monotonic() + ASSIGN_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(api.get(f"/api/v1/rides/{r}/bike")["bike_id"] == bike_id for r in ride_ids):
            return
        time.sleep(0.2)  # polling the server's background work, not the browser
    raise AssertionError(f"rides not assigned to bike {bike_id} within {ASSIGN_TIMEOUT_S} s")


def _totals(api: Api) -> dict[str, dict[str, Any]]:
    return {i["bike_id"]: i["total"] for i in api.get("/api/v1/bikes/usage")["items"]}


def _due(api: Api, component_id: str) -> dict[str, Any]:
    items = api.get("/api/v1/maintenance/due")["items"]
    return next(i for i in items if i["component"]["id"] == component_id)


def _percent(item: dict[str, Any]) -> str:
    return f"{round(item['status']['fraction'] * 100)} %"


def _add_bike(app: App, name: str, type_label: str, sports: tuple[str, ...] = ()) -> None:
    form = app.page.get_by_role("form", name="Add a bike")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Type").select_option(label=type_label)
    for sport in sports:
        form.get_by_label(sport, exact=True).check()
    form.get_by_role("button", name="Add the bike").click()
    expect(form.get_by_role("status")).to_contain_text(f"Added {name}")


def _add_part(app: App, type_: str, day: str, *, inside: str = "", interval_km: float = 0) -> None:
    form = app.page.get_by_role("form", name="Add a part")
    form.get_by_label("Type").select_option(type_)
    if inside:
        form.get_by_label("Fitted", exact=True).select_option(label=inside)
    form.get_by_label("Fitted on").fill(day)
    if interval_km:
        form.get_by_label("Service every (km)").fill(f"{interval_km:.6f}")
    form.get_by_role("button", name="Add the part").click()


def _status(app: App) -> Locator:
    return app.page.locator(".bike-status [role=status]")


def _row(app: App, table: str, key: str, value: str) -> Locator:
    return app.page.locator(f"table.{table} tr[data-{key}='{value}']")


def test_a_garage_from_the_first_bike_to_a_ride_moved_between_bikes(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("garage")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/bikes", "bikes")
    expect(screen.page.get_by_text("No bikes yet")).to_be_visible()
    _add_bike(screen, "Road", "Road", ("Ride",))
    _add_bike(screen, "Gravel", "Gravel")
    bikes = {b["name"]: b["id"] for b in fresh_api.get("/api/v1/bikes")["items"]}
    road, gravel = bikes["Road"], bikes["Gravel"]
    expect(_row(screen, "garage", "bike", road)).to_contain_text("Ride")
    _fits(screen, "the garage")

    rides = _import_rides(fresh_api)
    _wait_for_bike(fresh_api, rides, road)
    one_ride_km = _totals(fresh_api)[road]["distance_m"] / 3 / 1000

    # Parts on the road bike: a wheelset with a tyre in it, and a chain due after 2.5 rides.
    screen.goto(f"/bikes/{road}", "bike")
    expect(screen.page.locator(".bike-meta")).to_contain_text("3 rides")
    _add_part(screen, "wheelset", "2025-01-01")
    expect(_status(screen)).to_have_text("Wheelset added.")
    _add_part(screen, "tyre", "2025-01-01", inside="In the wheelset")
    expect(_status(screen)).to_have_text("Tyre added.")
    _add_part(screen, "chain", "2025-01-01", interval_km=one_ride_km * 2.5)
    expect(_status(screen)).to_have_text("Chain added.")
    tree = {
        c["component"]["type"]: c
        for c in fresh_api.get(f"/api/v1/bikes/{road}/components")["items"]
    }
    chain, wheels = tree["chain"]["component"]["id"], tree["wheelset"]["component"]["id"]
    assert [p["component"]["type"] for p in tree["wheelset"]["parts"]] == ["tyre"]
    chain_due = _due(fresh_api, chain)
    assert chain_due["status"]["due"]
    chain_item = screen.page.locator(f"li.part[data-component='{chain}']")
    expect(chain_item.locator(".interval-bar")).to_contain_text(_percent(chain_due))
    expect(chain_item.locator(".part-usage")).to_contain_text("3 rides")

    # A second chain on the same bike overlaps the first: refused, and told why.
    _add_part(screen, "chain", "2025-02-01")
    refusal = screen.page.get_by_role("form", name="Add a part").get_by_role("alert")
    expect(refusal).to_contain_text("already holds chain")
    expect(refusal).to_contain_text("remove it first")
    _fits(screen, "the bike page with a refusal")

    # The garage's due list and the dashboard's card show the chain with the API's fraction.
    screen.goto("/bikes", "bikes")
    due_row = _row(screen, "due", "component", chain)
    expect(due_row).to_contain_text(_percent(chain_due))
    expect(due_row.locator(".due-state")).to_have_text("Due")
    expect(due_row.get_by_role("link", name="Road")).to_be_visible()
    screen.goto("/", "dashboard")
    card = screen.page.locator(".due-card")
    expect(card.get_by_role("heading", name="Due soon")).to_be_visible()
    expect(card.locator(f"tr[data-component='{chain}']")).to_contain_text(_percent(chain_due))
    _fits(screen, "the dashboard with its due card")

    # The wheelset (and its tyre) moves to the gravel bike from the second ride's day.
    screen.goto(f"/bikes/{road}", "bike")
    screen.page.get_by_role("button", name="Move: Wheelset").click()
    move = screen.page.get_by_role("form", name="Move the wheelset")
    move.get_by_label("Move to").select_option(label="On Gravel")
    move.get_by_label("From").fill(RIDE_DAYS[1])
    move.get_by_role("button", name="Move it").click()
    expect(_status(screen)).to_have_text("Wheelset moved.")
    expect(screen.page.locator(f"li.part[data-component='{wheels}']")).to_have_count(0)
    expect(_row(screen, "timeline", "kind", "removed")).to_contain_text("Moved to Gravel")

    # A replaced chain starts its interval again.
    screen.page.get_by_role("button", name="Log service: Chain").click()
    service = screen.page.get_by_role("form", name="Log a service of the chain")
    service.get_by_label("Replaced with a new one").check()
    service.get_by_label("Date").fill("2025-03-13")
    service.get_by_label("Cost").fill("35")
    service.get_by_label("Notes").fill("KMC X11")
    service.get_by_role("button", name="Log it").click()
    expect(_status(screen)).to_contain_text("replacement logged")
    expect(_row(screen, "timeline", "kind", "replace")).to_contain_text("KMC X11")
    after = _due(fresh_api, chain)
    assert after["status"]["fraction"] == 0 and not after["status"]["warn"]
    expect(chain_item.locator(".interval-bar")).to_contain_text(_percent(after))
    _fits(screen, "the bike page with its timeline")
    screen.shot(f"bike-{_width(screen)}")

    screen.goto(f"/bikes/{gravel}", "bike")
    expect(_row(screen, "timeline", "kind", "installed")).to_contain_text("Moved here from Road")
    wheelset_item = screen.page.locator(f"li.part[data-component='{wheels}']")
    expect(wheelset_item.locator("li.part[data-type='tyre']")).to_be_visible()
    assert _due(fresh_api, wheels)["since_service"]["rides"] == 1
    expect(wheelset_item.locator(".part-usage").first).to_contain_text("1 ride")

    # The third ride goes on the gravel bike from its page; both bikes' totals follow.
    screen.goto(f"/rides/{rides[2]}", "ride")
    line = screen.page.locator(".ride-bike")
    expect(line.get_by_label("Bike")).to_have_value(road)
    expect(line).to_contain_text("default bike for cycling")
    line.get_by_label("Bike").select_option(label="Gravel")
    expect(line.get_by_role("status")).to_contain_text("Saved")
    expect(line).to_contain_text("chosen by you")
    _fits(screen, "the ride page with its bike")
    screen.shot(f"ride-bike-{_width(screen)}")
    assert fresh_api.get(f"/api/v1/rides/{rides[2]}/bike")["bike_id"] == gravel
    totals = _totals(fresh_api)
    assert (totals[road]["rides"], totals[gravel]["rides"]) == (2, 1)
    assert _due(fresh_api, wheels)["since_service"]["rides"] == 2

    screen.goto("/bikes", "bikes")
    for bike_id in (road, gravel):
        row = _row(screen, "garage", "bike", bike_id)
        expect(row.locator(".bike-rides")).to_have_text(str(totals[bike_id]["rides"]))
        expect(row.locator(".bike-distance")).to_have_text(
            f"{totals[bike_id]['distance_m'] / 1000:,.0f} km"
        )
    screen.shot(f"garage-{_width(screen)}")
    screen.goto(f"/bikes/{gravel}", "bike")
    expect(wheelset_item.locator(".part-usage").first).to_contain_text("2 rides")
    screen.goto("/", "dashboard")
    expect(screen.page.locator(".due-card")).to_have_count(0)
    screen.assert_no_script_errors()


def test_a_retired_part_cannot_be_moved_and_the_page_says_why(web: App, fresh_api: Api) -> None:
    email = new_email("retired")
    fresh_api.register_and_login(email)
    road = fresh_api.request.post(
        "/api/v1/bikes", data={"name": "Road", "type": "road"}, headers=fresh_api._headers()
    ).json()["id"]
    web.sign_in(email)
    web.goto(f"/bikes/{road}", "bike")
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    _add_part(web, "chain", yesterday)
    expect(_status(web)).to_have_text("Chain added.")
    # Two tabs: one retires the chain, the other (still showing it) tries to move it.
    web.page.get_by_role("button", name="Move: Chain").click()
    [chain] = fresh_api.get(f"/api/v1/bikes/{road}/components")["items"]
    retired = fresh_api.request.post(
        f"/api/v1/components/{chain['component']['id']}/retire",
        data={},
        headers=fresh_api._headers(),
    )
    assert retired.ok, retired.text()
    move = web.page.get_by_role("form", name="Move the chain")
    move.get_by_role("button", name="Move it").click()
    expect(move.get_by_role("alert")).to_contain_text("a retired part cannot be installed")
    web.page.get_by_role("link", name="← Bikes").click()
    web.wait_ready("bikes")
    web.goto("/bikes/00000000-0000-4000-8000-000000000000", "bike")
    expect(web.page.get_by_role("heading", name="Bike not found")).to_be_visible()
    web.assert_no_script_errors()


LOW_BATTERY_FIT = "muktihari__activity_lowbattery.fit"  # a Vector 3 that went low, a radar


def _wait_for_sensors(api: Api) -> list[dict[str, Any]]:
    """The served app's dispatcher copies the ride's battery readings in the background."""
    deadline = time.monotonic() + ASSIGN_TIMEOUT_S
    while time.monotonic() < deadline:
        items: list[dict[str, Any]] = api.get("/api/v1/sensors")["items"]
        if items:
            return items
        time.sleep(0.2)  # polling the server's background work, not the browser
    raise AssertionError(f"no sensor readings within {ASSIGN_TIMEOUT_S} s")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=MISSING)
def test_the_garage_shows_each_sensors_battery_and_warns_of_a_low_one(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("sensors")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/bikes", "bikes")
    expect(screen.page.get_by_text("No sensor battery seen yet")).to_be_visible()
    _add_bike(screen, "Road", "Road", ("Ride",))
    fresh_api.import_ride(LOW_BATTERY_FIT, (CORPUS / "fit" / LOW_BATTERY_FIT).read_bytes())
    sensors = {s["serial"]: s for s in _wait_for_sensors(fresh_api)}
    assert sensors["3977231937"]["battery"]["low"] is True

    screen.goto("/bikes", "bikes")
    panel = screen.page.get_by_role("region", name="Sensors")
    meter = panel.locator("tr[data-serial='3977231937']")
    expect(meter).to_have_attribute("data-state", "low")
    expect(meter).to_contain_text("Power meter")
    expect(meter.locator(".sensor-battery")).to_contain_text("Low · 2.49 V")
    expect(meter.locator(".sensor-warning")).to_contain_text("the sensor reports its battery low")
    expect(meter.get_by_role("link", name="Road")).to_be_visible()
    radar = panel.locator("tr[data-serial='3974994797']")
    expect(radar).to_have_attribute("data-state", "ok")
    expect(radar.locator(".sensor-battery")).to_have_text("OK · 3.79 V")
    expect(panel.locator("tbody tr")).to_have_count(len(sensors))
    _fits(screen, f"the sensors panel at {_width(screen)} px")
    screen.assert_no_script_errors()
