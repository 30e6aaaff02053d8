"""Rides go on the bike their power meter was seen on, learned from the rider's own choices
(two real files of the shared corpus that share a power meter)."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from bikenode import rides
from tests.api.bikes.test_reminders import Rider
from tests.factories import upload_files

FIRST, SECOND = "sportslib__rides-7432332116.fit", "sportslib__rides-7445393868.fit"


def _upload(rider: Rider, corpus: Path, name: str) -> str:
    [upload] = upload_files(
        rider.client, rider.headers, [(name, (corpus / "fit" / name).read_bytes())]
    )
    rider.drain()
    return str(upload["items"][0]["ride_id"])


def test_a_power_meter_seen_on_a_bike_the_rider_chose_brings_the_next_ride_there(
    client: TestClient, corpus: Path
) -> None:
    rider = Rider(client)
    body = {"name": "Road", "type": "road", "default_for_sports": ["cycling"]}
    rider.call("POST", "/bikes", body, 201)
    tarmac = rider.call("POST", "/bikes", {"name": "Tarmac", "type": "road"}, 201)["id"]
    first = _upload(rider, corpus, FIRST)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        found = rides.ride_devices(db, uuid.UUID(first))
    assert ("600772547", "power_meter") in {(d.serial, d.kind) for d in found}
    assert rider.call("GET", f"/rides/{first}/bike")["reason"] == "default bike for cycling"
    rider.call("PUT", f"/rides/{first}/bike", {"bike_id": tarmac})

    second = _upload(rider, corpus, SECOND)
    answer = rider.call("GET", f"/rides/{second}/bike")
    assert answer["bike_id"] == tarmac and answer["chosen_by_rider"] is False
    assert answer["reason"] == "power meter 600772547 is on Tarmac"
    # The owner sees the serials in the ride's summary (others never: rides' sharing rules).
    summary = rider.call("GET", f"/rides/{second}")["summary"]
    [meter] = [d for d in summary["devices"] if d["serial"] == "600772547"]
    assert meter["kind"] == "power_meter"
    # with its battery's first and last reading: [time, status, volts]
    assert meter["battery"][-1] == ["2021-09-07T16:40:59+00:00", "good", 4.113]
