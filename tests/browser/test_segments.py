"""The segments pages in Chromium: a segment made from a stretch of a ride on the ride page,
its page with the board by period, the ride's segments and the segments page, at two widths."""

from __future__ import annotations

import random

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.segment_tools import gpx_of, ride, winding_road

T0 = 1_780_000_000.0  # 2026-05-28: this year, not this month


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def test_a_segment_made_on_the_ride_page_times_that_ride_on_its_board(
    screen: App, fresh_api: Api
) -> None:
    email = new_email("segments")
    fresh_api.register_and_login(email, name="Ana")
    # A road of this test's own: the server's database is shared by the module's tests.
    road = winding_road() + np.array([random.uniform(20_000.0, 200_000.0), 0.0])
    ride_id = fresh_api.import_ride("road.gpx", gpx_of(ride(road, speed_mps=8.0, t0=T0)))
    screen.sign_in(email)

    screen.goto(f"/rides/{ride_id}", "ride")
    panel = screen.page.locator(".ride-segments-panel")
    expect(panel).to_contain_text("This ride passed no segments.")
    panel.get_by_text("Make a segment from this ride").click()
    form = screen.page.get_by_role("form", name="Make a segment")
    form.get_by_label("Title").fill("Sine bends")
    form.get_by_label("Starts at").fill("1")
    form.get_by_label("Ends at").fill("0.5")
    form.get_by_role("button", name="Make the segment").click()
    expect(form.get_by_role("alert")).to_contain_text("Expected 0 <= start < end")
    form.get_by_label("Ends at").fill("3")
    form.get_by_role("button", name="Make the segment").click()
    screen.wait_ready("segment")

    expect(screen.page.get_by_role("heading", level=1)).to_have_text("Sine bends")
    board = screen.page.locator("table.leaderboard tbody tr")
    expect(board).to_have_count(1)
    expect(board.first).to_contain_text("Ana (you)")
    expect(board.first).to_contain_text("4:10")  # 2 km at 8 m/s
    expect(screen.page.locator("#segment-map .ride-track")).to_be_visible()
    history = screen.page.locator(".best-history li")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("personal best")
    _fits(screen, "the segment page")
    screen.page.get_by_label("Period").select_option("month")
    expect(screen.page.locator(".board-empty")).to_be_visible()
    screen.page.get_by_label("Period").select_option("year")
    expect(board).to_have_count(1)

    screen.goto(f"/rides/{ride_id}", "ride")
    row = screen.page.locator("table.ride-segments tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("Sine bends")
    _fits(screen, "the ride page with its segments")

    screen.goto("/segments", "segments")
    expect(screen.page.locator(".segment-list li")).to_contain_text("Sine bends")
    expect(screen.page.locator("table.my-efforts tbody tr")).to_have_count(1)
    _fits(screen, "the segments page")
    screen.assert_no_script_errors()
