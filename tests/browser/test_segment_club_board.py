"""The segment page's club selector in Chromium: the viewer's clubs, and a club board that
ranks only the club's members, at two widths."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.segment_tools import gpx_of, ride, winding_road

T0 = 1_780_000_000.0


def _post(api: Api, path: str, body: dict[str, Any]) -> Any:
    answer = api.request.post(path, data=body, headers={"Authorization": f"Bearer {api.token}"})
    assert answer.ok, f"POST {path}: {answer.status} {answer.text()}"
    return answer.json()


def _public_ride(api: Api, road: np.ndarray, speed: float, t0: float) -> str:
    ride_id = api.import_ride("road.gpx", gpx_of(ride(road, speed_mps=speed, t0=t0)))
    api.patch(f"/api/v1/rides/{ride_id}", {"visibility": "public"})
    return ride_id


def test_the_club_selector_narrows_the_board_to_the_clubs_members(
    screen: App, fresh_api: Api
) -> None:
    ana_email = new_email("clubboard")
    fresh_api.register_and_login(ana_email, name="Ana")
    bob = Api(fresh_api.request)
    bob.register_and_login(new_email("clubboard-bob"), name="Bob")
    # A road of this test's own: the server's database is shared by the module's tests.
    road = winding_road() + np.array([random.uniform(200_000.0, 400_000.0), 0.0])
    anas = _public_ride(fresh_api, road, 8.0, T0)
    stretch = {"ride_id": anas, "start_m": 1000.0, "end_m": 3000.0}
    segment = _post(fresh_api, "/api/v1/segments", {"name": "Club bends", "from_ride": stretch})
    _public_ride(bob, road, 10.0, T0 + 86_400)
    club = _post(fresh_api, "/api/v1/clubs", {"name": "Dawn Patrol", "sport": "road"})
    board_url = f"/api/v1/segments/{segment['id']}/leaderboard"
    deadline = time.monotonic() + 20
    while len(fresh_api.get(board_url)["entries"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # Bob's ride is matched by the event runner

    screen.sign_in(ana_email)
    screen.goto(f"/segments/{segment['id']}", "segment")
    rows = screen.page.locator("table.leaderboard tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Bob")
    screen.page.get_by_label("Riders").select_option(label="Dawn Patrol")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ana (you)")
    entries = fresh_api.get(f"{board_url}?club={club['id']}")["entries"]
    assert [e["rider_name"] for e in entries] == ["Ana"]
    assert screen.has_no_horizontal_overflow(), "the segment page is wider than the screen"
    screen.page.get_by_label("Riders").select_option(label="Everyone")
    expect(rows).to_have_count(2)
    screen.assert_no_script_errors()
