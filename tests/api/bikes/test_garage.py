"""The garage over HTTP: bikes, a component tree, swaps, refusals, reassigned rides, due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

DAY0 = datetime(2025, 4, 1, 8, tzinfo=UTC)


def iso(days: float) -> str:
    return (DAY0 + timedelta(days=days)).isoformat()


class Garage:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.headers = signed_in(client)

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        answer = self.client.request(method, f"/api/v1{path}", json=body, headers=self.headers)
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else None

    def bike(self, name: str, type_: str = "road", sports: list[str] | None = None) -> str:
        body = {"name": name, "type": type_, "default_for_sports": sports or []}
        return str(self.call("POST", "/bikes", body, 201)["id"])

    def part(self, bike_id: str, type_: str, days: float = 0, **extra: Any) -> str:
        body = {"type": type_, "installed_at": iso(days), **extra}
        return str(self.call("POST", f"/bikes/{bike_id}/components", body, 201)["id"])

    def rides(self, days: list[float]) -> list[str]:
        files = [
            (f"r{d}.gpx", synthetic_gpx(DAY0 + timedelta(days=d, hours=1), points=120, seed=n))
            for n, d in enumerate(days)
        ]
        uploads = upload_files(self.client, self.headers, files)
        self.client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
        return [item["ride_id"] for upload in uploads for item in upload["items"]]

    def usage(self, component_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/components/{component_id}/usage")
        return answer


@pytest.fixture
def garage(client: TestClient) -> Garage:
    return Garage(client)


def test_bikes_are_created_listed_changed_and_deleted(garage: Garage) -> None:
    road = garage.bike("Road", sports=["cycling"])
    gravel = garage.bike("Gravel", "gravel", sports=["cycling", "gravel_cycling"])
    bikes = {b["id"]: b for b in garage.call("GET", "/bikes")["items"]}
    # The bike that claims a sport last is its default: road gave cycling up.
    assert bikes[road]["default_for_sports"] == []
    assert bikes[gravel]["default_for_sports"] == ["cycling", "gravel_cycling"]
    changed = garage.call(
        "PATCH", f"/bikes/{road}", {"weight_kg": 7.9, "purchased_on": "2023-03-01"}
    )
    assert changed["weight_kg"] == 7.9 and changed["purchased_on"] == "2023-03-01"
    assert changed["name"] == "Road"
    assert garage.call("PATCH", f"/bikes/{road}", {"name": None}, 422)
    garage.call("DELETE", f"/bikes/{road}", expect=204)
    garage.call("GET", f"/bikes/{road}", expect=404)


def test_a_component_tree_and_a_wheelset_swapped_between_bikes(garage: Garage) -> None:
    road = garage.bike("Road", sports=["cycling"])
    trainer = garage.bike("Kickr", "trainer")
    wheels = garage.part(road, "wheelset")
    tyre = garage.part(road, "tyre", parent_component_id=wheels, position="rear")
    chain = garage.part(road, "chain")
    tree = garage.call("GET", f"/bikes/{road}/components")["items"]
    assert {f["component"]["type"] for f in tree} == {"wheelset", "chain"}
    [wheelset] = [f for f in tree if f["component"]["id"] == wheels]
    assert [p["component"]["id"] for p in wheelset["parts"]] == [tyre]
    assert wheelset["parts"][0]["position"] == "rear"

    ride_ids = garage.rides([1, 2, 5])
    # The wheelset goes to the trainer on day 3 (in one step) and stays; its tyre goes too.
    garage.call(
        "POST", f"/components/{wheels}/install", {"bike_id": trainer, "installed_at": iso(3)}, 201
    )
    assert garage.call("GET", f"/bikes/{road}/components")["items"][0]["component"]["id"] == chain
    assert garage.usage(chain)["total"]["rides"] == 3
    tyre_usage = garage.usage(tyre)
    assert tyre_usage["total"]["rides"] == 2 and tyre_usage["bike_id"] == trainer
    assert [p["bike_id"] for p in tyre_usage["placements"]] == [road, trainer]
    # The day-5 ride is moved to the trainer: the tyre counts it, the chain no longer.
    moved = garage.call("PUT", f"/rides/{ride_ids[2]}/bike", {"bike_id": trainer})
    assert moved["chosen_by_rider"] and moved["reason"] == "chosen by the rider"
    assert garage.usage(tyre)["total"]["rides"] == 3
    assert garage.usage(chain)["total"]["rides"] == 2
    assert garage.call("GET", f"/rides/{ride_ids[0]}/bike")["bike_id"] == road
    # A later edit of the ride keeps the rider's choice.
    garage.call("PATCH", f"/rides/{ride_ids[2]}", {"name": "spin"})
    garage.client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    assert garage.call("GET", f"/rides/{ride_ids[2]}/bike")["bike_id"] == trainer


def test_overlaps_retired_parts_and_nesting_are_refused_with_reasons(garage: Garage) -> None:
    road = garage.bike("Road")
    chain = garage.part(road, "chain", days=0)
    second = garage.call(
        "POST", f"/bikes/{road}/components", {"type": "chain", "installed_at": iso(1)}, 422
    )
    assert "slot" in second["detail"] and "already holds chain" in second["detail"]
    again = garage.call("POST", f"/components/{chain}/install", {"bike_id": road}, 422)
    assert "already installed there" in again["detail"]
    history = garage.call(
        "POST", f"/components/{chain}/install", {"bike_id": road, "installed_at": iso(-1)}, 422
    )
    assert "already installed from" in history["detail"]
    wheels = garage.part(road, "wheelset")
    wheel = garage.part(road, "wheel", parent_component_id=wheels, position="front")
    garage.call("POST", f"/components/{wheels}/remove", {"removed_at": iso(2)})
    inside = garage.call(
        "POST", f"/components/{wheels}/install", {"parent_component_id": wheel}, 422
    )
    assert "inside itself" in inside["detail"]
    itself = garage.call(
        "POST", f"/components/{wheels}/install", {"parent_component_id": wheels}, 422
    )
    assert "the component itself" in itself["detail"]
    garage.call("POST", f"/components/{chain}/retire", {"retired_at": iso(10)})
    retired = garage.call("POST", f"/components/{chain}/install", {"bike_id": road}, 422)
    assert "retired" in retired["detail"]
    unknown = garage.call("POST", f"/bikes/{road}/components", {"type": "flux capacitor"}, 422)
    assert "catalogue" in unknown["detail"]


def test_the_due_list_fills_as_rides_add_up_and_a_service_resets_it(garage: Garage) -> None:
    road = garage.bike("Road", sports=["cycling"])
    garage.rides([1])
    one_ride_m = garage.usage(garage.part(road, "other"))["total"]["distance_m"]
    assert one_ride_m > 0
    # A chain with an interval of 2.5 rides: due after 3, warned (0.8) after 2.
    chain = garage.part(road, "chain", interval={"distance_m": one_ride_m * 2.5})
    pads = garage.part(road, "brake_pads", position="front")
    items = garage.call("GET", "/maintenance/due")["items"]
    first = items[0]
    assert first["component"]["id"] == chain and not first["status"]["warn"]
    garage.rides([2, 3])
    first = garage.call("GET", "/maintenance/due")["items"][0]
    assert first["component"]["id"] == chain and first["status"]["due"]
    assert first["status"]["fraction"] == pytest.approx(3 / 2.5)
    assert first["bike_id"] == road
    garage.call(
        "POST", f"/components/{chain}/service", {"kind": "replace", "done_at": iso(3.5)}, 201
    )
    after = {i["component"]["id"]: i for i in garage.call("GET", "/maintenance/due")["items"]}
    assert after[chain]["status"]["fraction"] == 0 and not after[chain]["status"]["due"]
    assert after[pads]["since_service"]["rides"] == 3
    usage = garage.usage(chain)
    assert usage["total"]["rides"] == 3 and usage["since_service"]["rides"] == 0
    assert [e["kind"] for e in usage["service_log"]] == ["replace"]


def test_others_bikes_components_and_rides_are_not_found(
    client: TestClient, garage: Garage
) -> None:
    road = garage.bike("Road", sports=["cycling"])
    chain = garage.part(road, "chain")
    [ride_id] = garage.rides([1])
    other = Garage(client)
    for path in (
        f"/bikes/{road}",
        f"/components/{chain}",
        f"/components/{chain}/usage",
        f"/rides/{ride_id}/bike",
    ):
        assert other.call("GET", path, expect=404)["detail"].startswith("no such")
    other_bike = other.bike("Mine")
    assert other.call("PUT", f"/rides/{ride_id}/bike", {"bike_id": other_bike}, 404)
    assert garage.call("PUT", f"/rides/{ride_id}/bike", {"bike_id": other_bike}, 404)
    assert other.call("POST", f"/components/{chain}/install", {"bike_id": other_bike}, 404)
