"""Each bike's totals and one bike's timeline over HTTP, for the garage pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.bikes.test_garage import Garage, iso


@pytest.fixture
def garage(client: TestClient) -> Garage:
    return Garage(client)


def test_bike_totals_follow_the_rides_and_include_the_starting_distance(garage: Garage) -> None:
    road = garage.bike("Road", sports=["cycling"])
    garage.call("PATCH", f"/bikes/{road}", {"start_distance_m": 1000.0})
    gravel = garage.bike("Gravel", "gravel")
    rides = garage.rides([1, 2])
    one = garage.usage(garage.part(road, "other", days=-1))["total"]["distance_m"] / 2
    totals = {i["bike_id"]: i["total"] for i in garage.call("GET", "/bikes/usage")["items"]}
    assert totals[road]["rides"] == 2 and totals[gravel]["rides"] == 0
    assert totals[road]["distance_m"] == pytest.approx(1000.0 + 2 * one)
    garage.call("PUT", f"/rides/{rides[0]}/bike", {"bike_id": gravel})
    totals = {i["bike_id"]: i["total"] for i in garage.call("GET", "/bikes/usage")["items"]}
    assert (totals[road]["rides"], totals[gravel]["rides"]) == (1, 1)
    assert totals[gravel]["distance_m"] == pytest.approx(one)


def test_a_bike_timeline_shows_fittings_a_swap_parts_inside_and_services(garage: Garage) -> None:
    road = garage.bike("Road")
    trainer = garage.bike("Kickr", "trainer")
    wheels = garage.part(road, "wheelset", days=0)
    tyre = garage.part(road, "tyre", days=1, parent_component_id=wheels)
    garage.call("POST", f"/components/{tyre}/service", {"kind": "service", "done_at": iso(2)}, 201)
    garage.call(
        "POST", f"/components/{wheels}/install", {"bike_id": trainer, "installed_at": iso(3)}, 201
    )
    garage.call(
        "POST",
        f"/components/{tyre}/service",
        {"kind": "replace", "cost": 40.0, "done_at": iso(4)},
        201,
    )
    road_events = garage.call("GET", f"/bikes/{road}/history")["items"]
    assert [(e["kind"], e["component"]["type"]) for e in road_events] == [
        ("installed", "wheelset"),
        ("installed", "tyre"),
        ("service", "tyre"),
        ("removed", "wheelset"),
    ]
    assert road_events[1]["parent_type"] == "wheelset"
    assert road_events[3]["other_bike_id"] == trainer
    trainer_events = garage.call("GET", f"/bikes/{trainer}/history")["items"]
    assert [(e["kind"], e["other_bike_id"]) for e in trainer_events] == [
        ("installed", road),
        ("replace", None),
    ]
    assert trainer_events[1]["cost"] == 40.0


def test_another_riders_bike_history_is_not_found(client: TestClient, garage: Garage) -> None:
    road = garage.bike("Road")
    assert Garage(client).call("GET", f"/bikes/{road}/history", expect=404)
