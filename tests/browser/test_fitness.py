"""The fitness and power pages, and W' balance on the ride page, against the fitness API.

The rider lives in a timezone far from UTC, so "today" on the pages must be the rider's day.
Layout checks run at desktop width and at a phone's 390 px.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Playwright, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App, training_gpx

# Each test signs a rider in and opens several pages; riders are made for many tests.
SERVER_ENV = {
    f"BIKENODE_RATE_LIMIT_{kind}": "1000/minute"
    for kind in ("REGISTER", "LOGIN", "ANONYMOUS", "STANDARD")
}
FIT_RIDE = "fit/fitparse__Edge810-Vector-2013-08-16-15-35-10.fit"  # power and heart rate
NO_POWER_RIDE = "gpx/gpsbabel__wahoo-element-bolt.gpx"
ZONE = "Pacific/Kiritimati"  # UTC+14: the rider's day is not the browser's UTC day
THRESHOLDS = [
    {"kind": "ftp_w", "value": 250, "valid_from": "2013-01-01"},
    {"kind": "max_hr_bpm", "value": 190, "valid_from": "2013-01-01"},
    {"kind": "resting_hr_bpm", "value": 50, "valid_from": "2013-01-01"},
]
RECENT_DAYS_AGO = (2, 9)  # rides with power this many days before today
STRESS_TIMEOUT_S = 60.0
MINUS, EN_DASH, PRIME = "\u2212", "\u2013", "\u2032"  # as the pages write them


@dataclass(frozen=True)
class Trained:
    """A rider with thresholds and rides with power, old and recent, whose stress is in."""

    email: str
    api: Api
    fit_ride: str
    fit_day: date  # the rider's day of the FIT ride
    recent_rides: list[str]


def _today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


def _send(api: Api, method: str, path: str, body: Any) -> Any:
    response = api.request.fetch(
        path, method=method, data=body, headers={"Authorization": f"Bearer {api.token}"}
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json()


def _load(api: Api, start: date, end: date) -> list[dict[str, Any]]:
    days: list[dict[str, Any]] = api.get(f"/api/v1/fitness/load?from={start}&to={end}")["days"]
    return days


def _wait_for(api: Api, days: list[date], ready: Callable[[dict[str, Any]], bool]) -> None:
    """Wait until the background dispatcher has given each of these days its figures."""
    deadline = time.monotonic() + STRESS_TIMEOUT_S
    while time.monotonic() < deadline:
        load = {d["day"]: d for d in _load(api, min(days), max(days))}
        if all(ready(load[day.isoformat()]) for day in days):
            return
        time.sleep(0.2)  # polling the server's event delivery, not the browser
    raise AssertionError(f"no figures for {days} within {STRESS_TIMEOUT_S} s")


def _has_stress(day: dict[str, Any]) -> bool:
    return bool(day["stress"] > 0)


def _says_why_not(day: dict[str, Any]) -> bool:
    return bool(day["missing"])


def _recent_ride(api: Api, days_ago: int) -> str:
    start = datetime.combine(_today() - timedelta(days=days_ago), datetime.min.time())
    start = start.replace(hour=8, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    name = f"Tempo {days_ago} days ago"
    return api.import_ride(f"tempo-{days_ago}.gpx", training_gpx(3600, start=start, name=name))


def _new_rider(api: Api) -> str:
    email = new_email("fitness")
    api.register_and_login(email)
    api.patch("/api/v1/me", {"timezone": ZONE})
    return email


@pytest.fixture(scope="module")
def trained(playwright: Playwright, server: str, corpus_dir: Path) -> Iterator[Trained]:
    context = playwright.request.new_context(base_url=server)
    api = Api(context)
    email = _new_rider(api)
    _send(api, "PUT", "/api/v1/fitness/thresholds", {"values": THRESHOLDS})
    fit_ride = api.import_ride(Path(FIT_RIDE).name, (corpus_dir / FIT_RIDE).read_bytes())
    recent = [_recent_ride(api, n) for n in RECENT_DAYS_AGO]
    started = datetime.fromisoformat(api.get(f"/api/v1/rides/{fit_ride}")["started_at"])
    fit_day = started.astimezone(ZoneInfo(ZONE)).date()
    _wait_for(api, [fit_day], _has_stress)
    _wait_for(api, [_today() - timedelta(days=n) for n in RECENT_DAYS_AGO], _has_stress)
    yield Trained(email, api, fit_ride, fit_day, recent)
    context.dispose()


def _number(text: str) -> float:
    match = re.search(rf"[-{MINUS}]?[\d,]*\.?\d+", text)
    assert match, text
    return float(match.group().replace(",", "").replace(MINUS, "-"))


def _width(app: App) -> int:
    size = app.page.viewport_size
    return size["width"] if size else 0


def _shown_day(day: date) -> str:
    """A day as the pages show it in the browser's en-US: "Aug 17, 2013"."""
    return f"{day:%b} {day.day}, {day.year}"


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def _shown_today(app: App, day: dict[str, Any]) -> None:
    """The page's today's figures are the API's last day, whole numbers."""
    for key in ("fitness", "fatigue", "form"):
        stat = app.page.locator(f".load-today .stat[data-key={key}]")
        expect(stat).to_have_attribute("data-value", re.compile(r"."))
        assert float(stat.get_attribute("data-value") or "nan") == pytest.approx(day[key])
        assert abs(_number(stat.locator("dd").inner_text()) - day[key]) <= 0.5
    words = app.page.locator(".load-words").inner_text()
    assert f"Today, {_shown_day(date.fromisoformat(day['day']))}:" in words, words
    for key in ("fitness", "fatigue", "form"):
        shown = _number(words.split(f"{key} ")[1])
        assert abs(shown - day[key]) <= 0.5, (key, words, day)


def _ridden_rows_match(app: App, days: list[dict[str, Any]]) -> None:
    ridden = [d for d in days if d["rides"]]
    rows = app.page.locator("details.as-table tr[data-day]")
    expect(rows).to_have_count(len(ridden))
    for day in ridden:
        cells = app.page.locator(f"details.as-table tr[data-day='{day['day']}'] td")
        assert int(cells.nth(1).inner_text()) == day["rides"]
        assert abs(_number(cells.nth(2).inner_text()) - day["stress"]) <= 0.5


def test_the_fitness_page_draws_the_load_of_the_api_and_its_forecast(
    screen: App, trained: Trained
) -> None:
    api, today = trained.api, _today()
    screen.sign_in(trained.email)
    screen.page.get_by_role("link", name="Fitness", exact=True).click()
    screen.wait_ready("fitness")
    days = _load(api, today - timedelta(days=89), today)
    chart = screen.page.locator(".load-chart")
    expect(chart).to_have_attribute("data-days", "90")
    expect(chart.locator("canvas")).to_have_count(1)
    # Stress, fitness, fatigue and form, and the three curves of the forecast, beside the day.
    expect(chart.locator(".u-legend .u-series")).to_have_count(8)
    assert days[-1]["day"] == today.isoformat()
    _shown_today(screen, days[-1])
    screen.page.get_by_text("Show the days you rode as a table").click()
    _ridden_rows_match(screen, days)
    assert sum(1 for d in days if d["stress"] > 0) == len(RECENT_DAYS_AGO)

    ahead = _send(api, "POST", "/api/v1/fitness/forecast", {"days": 14})["days"]
    expect(chart).to_have_attribute("data-ahead-days", "14")
    last = ahead[-1]
    words = screen.page.locator(".forecast-words")
    expect(words).to_contain_text(f"fitness {round(last['fitness'])}")
    assert abs(_number(words.inner_text().split("form ")[1]) - last["form"]) <= 0.5
    _fits(screen, "the fitness page")
    screen.shot(f"fitness-{_width(screen)}")

    screen.page.get_by_label("Planned stress each day").fill("120")
    screen.page.get_by_label("Days ahead").fill("30")
    screen.page.get_by_role("button", name="Draw the forecast").click()
    expect(chart).to_have_attribute("data-ahead-days", "30")
    planned = {"days": 30, "planned_stress": [120] * 30}
    last = _send(api, "POST", "/api/v1/fitness/forecast", planned)["days"][-1]
    assert last["fitness"] > days[-1]["fitness"]  # riding 120 a day builds fitness
    expect(words).to_contain_text(f"fitness {round(last['fitness'])}")
    expect(words).to_contain_text("riding about 120 stress a day")
    screen.assert_no_script_errors()


def test_changing_the_range_fetches_that_range(web: App, trained: Trained) -> None:
    api, today = trained.api, _today()
    web.sign_in(trained.email)
    web.goto("/fitness", "fitness")
    chart = web.page.locator(".load-chart")
    expect(chart).to_have_attribute("data-days", "90")
    start = today - timedelta(days=364)
    with web.page.expect_request(lambda r: f"from={start}&to={today}" in r.url):
        web.page.get_by_label("Range").select_option(label="1 year")
    expect(chart).to_have_attribute("data-days", "365")
    assert web.page.url.endswith("/fitness?range=1y")

    web.page.get_by_label("Range").select_option(label="All")
    expect(chart).to_have_attribute("data-days", str((today - trained.fit_day).days + 1))
    days = _load(api, trained.fit_day, today)
    assert days[0]["stress"] > 0  # the 2013 ride opens the range
    _shown_today(web, days[-1])
    web.page.get_by_text("Show the days you rode as a table").click()
    _ridden_rows_match(web, days)
    web.page.reload()
    web.wait_ready("fitness")
    expect(web.page.get_by_label("Range")).to_have_value("all")
    web.assert_no_script_errors()


def test_a_threshold_change_recomputes_the_rides_and_redraws(
    web: App, fresh_api: Api, corpus_dir: Path
) -> None:
    email = _new_rider(fresh_api)
    ride_id = _recent_ride(fresh_api, 3)
    day = _today() - timedelta(days=3)
    _wait_for(fresh_api, [day], _says_why_not)
    before = _load(fresh_api, day, day)[0]
    assert before["stress"] == 0 and before["missing"], before  # no thresholds yet
    web.sign_in(email)
    web.goto("/fitness", "fitness")
    missing = web.page.locator(".missing-stress")
    expect(missing.locator(f"li[data-day='{day}']")).to_contain_text("no FTP")
    expect(missing).to_contain_text("Set your FTP or heart-rate thresholds")
    assert float(web.page.locator(".stat[data-key=fitness]").get_attribute("data-value") or 1) == 0

    web.page.get_by_role("button", name="Add a value").click()
    web.page.get_by_label("What, row 1").select_option("ftp_w")
    web.page.get_by_label("Value, row 1").fill("240")
    web.page.get_by_label("From, row 1").fill("2020-01-01")
    web.page.get_by_role("button", name="Add a value").click()
    web.page.get_by_label("What, row 2").select_option("max_hr_bpm")
    web.page.get_by_label("Value, row 2").fill("185")
    web.page.get_by_label("From, row 2").fill("2020-01-01")
    web.page.get_by_role("button", name="Remove row 2").click()
    web.page.get_by_role("button", name="Save thresholds").click()

    status = web.page.locator(".recompute [role=status]")
    expect(status).to_have_attribute("data-status", "done", timeout=60_000)
    recompute = fresh_api.get("/api/v1/fitness/recompute")
    assert (recompute["status"], recompute["total"], recompute["done"]) == ("done", 1, 1)
    expect(status).to_contain_text("1 ride from Jan 1, 2020 recomputed")
    saved = fresh_api.get("/api/v1/fitness/thresholds")["values"]
    assert saved == [{"kind": "ftp_w", "value": 240.0, "valid_from": "2020-01-01"}]
    expect(missing).to_have_count(0)  # redrawn: the ride now counts
    stress = fresh_api.get(f"/api/v1/fitness/load?from={day}&to={day}")["days"][0]["stress"]
    assert stress > 0
    today = _today()
    _shown_today(web, _load(fresh_api, today, today)[-1])
    expect(web.page.get_by_label("Value, row 1")).to_have_value("240")
    assert ride_id
    web.assert_no_script_errors()


def test_the_load_settings_change_the_curves(web: App, trained: Trained) -> None:
    api, today = trained.api, _today()
    web.sign_in(trained.email)
    web.goto("/fitness", "fitness")
    before = float(web.page.locator(".stat[data-key=fitness]").get_attribute("data-value") or 0)
    web.page.get_by_label("Fitness time constant (days)").fill("21")
    web.page.get_by_label("Fatigue before your first ride").fill("12.5")
    web.page.get_by_role("button", name="Save load settings").click()
    expect(web.page.locator("#load-settings [role=status]")).to_have_text("Saved.")
    try:
        profile = api.get("/api/v1/fitness/profile")
        assert (profile["fitness_days"], profile["seed_fatigue"]) == (21, 12.5)
        now = _load(api, today, today)[-1]
        assert now["fitness"] != pytest.approx(before)
        expect(web.page.locator(".stat[data-key=fitness]")).to_have_attribute(
            "data-value", re.compile(r".")
        )
        shown = float(web.page.locator(".stat[data-key=fitness]").get_attribute("data-value") or 0)
        assert shown == pytest.approx(now["fitness"])
    finally:
        _send(api, "PUT", "/api/v1/fitness/profile", {"fitness_days": 42, "seed_fatigue": 0})
    web.assert_no_script_errors()


def _curve(api: Api, start: date, end: date) -> dict[str, Any]:
    curve: dict[str, Any] = api.get(f"/api/v1/fitness/power-curve?from={start}&to={end}")
    return curve


def _table_matches(app: App, curve: dict[str, Any]) -> None:
    rows = app.page.locator("table.power-bests tbody tr")
    expect(rows.first).to_be_visible()
    shown = rows.count()
    assert shown >= 5
    for i in range(shown):
        row = rows.nth(i)
        seconds = int(row.get_attribute("data-seconds") or 0)
        at = curve["durations_s"].index(seconds)
        assert float(row.get_attribute("data-watts") or "nan") == curve["watts"][at]
        assert abs(_number(row.locator("td").nth(1).inner_text()) - curve["watts"][at]) <= 0.5
        link = row.locator("a")
        assert link.get_attribute("href") == f"/rides/{curve['ride_ids'][at]}"


def test_the_power_page_shows_the_curve_its_rides_and_the_models(
    screen: App, trained: Trained
) -> None:
    api, today = trained.api, _today()
    screen.sign_in(trained.email)
    screen.page.get_by_role("link", name="Power", exact=True).click()
    screen.wait_ready("power")
    start = today - timedelta(days=89)
    curve = _curve(api, start, today)
    chart = screen.page.locator(".power-chart")
    expect(chart).to_have_attribute("data-points", str(len(curve["durations_s"])))
    expect(chart.locator("canvas")).to_have_count(1)
    _table_matches(screen, curve)
    assert set(curve["ride_ids"]) <= set(trained.recent_rides)
    _fits(screen, "the power page")

    screen.page.get_by_label("Range").select_option(label="All time")
    curve = _curve(api, trained.fit_day, today)
    expect(chart).to_have_attribute("data-points", str(len(curve["durations_s"])))
    _table_matches(screen, curve)
    assert trained.fit_ride in curve["ride_ids"]  # the 2013 ride holds some bests
    models = api.get(f"/api/v1/fitness/models?from={trained.fit_day}&to={today}")
    assert models["rides_with_power"] == 3
    fitted = [fit for fit in models["fits"] if not fit["refused"]]
    assert fitted, models
    expect(screen.page.locator(".power-chart")).to_have_attribute(
        "data-models", " ".join(fit["model"] for fit in fitted)
    )
    for fit in models["fits"]:
        card = screen.page.locator(f".model-fit[data-model='{fit['model']}']")
        if fit["refused"]:
            expect(card.locator(".refused")).to_contain_text(fit["refused"].split(":")[0])
            continue
        for key in ("cp_w", "w_prime_j", "ftp_w", "rmse_w"):
            value = card.locator(f".stat[data-key={key}]").get_attribute("data-value")
            assert float(value or "nan") == pytest.approx(fit[key]), key
        cp = card.locator(".stat[data-key=cp_w] dd").inner_text()
        assert abs(_number(cp) - fit["cp_w"]) <= 0.5
        low, high = (_number(part) for part in cp.split("95 %: ")[1].split(EN_DASH))
        assert abs(low - fit["cp_ci_w"][0]) <= 0.5 and abs(high - fit["cp_ci_w"][1]) <= 0.5
    _fits(screen, "the power page over all time")
    screen.shot(f"power-{_width(screen)}")

    link = screen.page.locator(f"table.power-bests a[href='/rides/{trained.fit_ride}']").first
    link.click()
    screen.wait_ready("ride")
    assert screen.page.url.endswith(f"/rides/{trained.fit_ride}")
    screen.assert_no_script_errors()


def test_the_ride_page_shows_w_prime_balance_when_there_is_one(
    screen: App, trained: Trained
) -> None:
    api = trained.api
    report = api.get(f"/api/v1/rides/{trained.fit_ride}/w-balance")
    assert report["min_w_balance_j"] is not None, report
    screen.sign_in(trained.email)
    screen.goto(f"/rides/{trained.fit_ride}", "ride")
    section = screen.page.locator(".w-balance")
    expect(section.get_by_role("heading", name=f"W{PRIME} balance")).to_be_visible()
    for key in ("min_w_balance_j", "max_depletion", "hard_efforts"):
        value = section.locator(f".stat[data-key={key}]").get_attribute("data-value")
        assert float(value or "nan") == pytest.approx(report[key]), key
    lowest = section.locator(".stat[data-key=min_w_balance_j] dd").inner_text()
    assert _number(lowest) == pytest.approx(report["min_w_balance_j"] / 1000, abs=0.05)
    used = section.locator(".stat[data-key=max_depletion] dd").inner_text()
    assert abs(_number(used) - report["max_depletion"] * 100) <= 0.5
    cp = _number(section.locator(".hint").inner_text().split("CP ")[1])
    assert abs(cp - report["cp_w"]) <= 0.5
    _fits(screen, "the ride page with W' balance")
    screen.assert_no_script_errors()


def test_the_rider_counts_their_own_stress_for_a_ride_from_its_page(
    web: App, fresh_api: Api, corpus_dir: Path
) -> None:
    email = _new_rider(fresh_api)
    ride_id = fresh_api.import_ride(
        Path(NO_POWER_RIDE).name, (corpus_dir / NO_POWER_RIDE).read_bytes()
    )
    path = f"/api/v1/fitness/rides/{ride_id}/stress"
    computed = fresh_api.get(path)
    web.sign_in(email)
    web.goto(f"/rides/{ride_id}", "ride")
    panel = web.page.locator(".ride-stress")
    expect(panel.get_by_role("heading", name="Training stress")).to_be_visible()
    expect(panel.locator(".stress-summary")).to_contain_text(
        "No stress could be computed" if computed["stress"] is None else "Computed:"
    )
    panel.get_by_label("Your own figure").fill("75")
    panel.get_by_role("button", name="Use my figure").click()
    expect(panel.locator(".stress-summary")).to_contain_text("Counts your own figure, 75")
    assert fresh_api.get(path)["stress_override"] == 75
    day = computed["day"]
    assert fresh_api.get(f"/api/v1/fitness/load?from={day}&to={day}")["days"][0]["stress"] == 75
    panel.get_by_role("button", name="Use the computed figure").click()
    expect(panel.locator(".stress-summary")).not_to_contain_text("your own figure")
    assert fresh_api.get(path)["stress_override"] is None
    _fits(web, "the ride page with its stress panel")
    web.assert_no_script_errors()


def test_the_ride_page_leaves_w_prime_balance_out_without_power(
    web: App, fresh_api: Api, corpus_dir: Path
) -> None:
    email = _new_rider(fresh_api)
    data = (corpus_dir / NO_POWER_RIDE).read_bytes()
    ride_id = fresh_api.import_ride(Path(NO_POWER_RIDE).name, data)
    report = fresh_api.get(f"/api/v1/rides/{ride_id}/w-balance")
    assert report["min_w_balance_j"] is None and report["reason"], report
    web.sign_in(email)
    with web.page.expect_response(lambda r: r.url.endswith("/w-balance")):
        web.goto(f"/rides/{ride_id}", "ride")
    expect(web.page.locator(".w-balance")).to_have_count(0)
    web.assert_no_script_errors()
