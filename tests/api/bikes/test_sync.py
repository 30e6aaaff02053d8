"""A phone creates a bike and logs a service offline, edits them, and pulls REST edits."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.sync.conftest import Device
from tests.factories import signed_in


def test_a_device_creates_and_edits_a_bike_and_logs_a_service(client: TestClient) -> None:
    _, headers = signed_in(client)
    phone = Device(client, headers, "phone-1")
    bike_id, entry_id = str(uuid.uuid4()), str(uuid.uuid4())
    created = phone.push(
        phone.mutation("bike", bike_id, name={"value": "Commuter"}, type={"value": "road"})
    )
    assert created.status_code == 200, created.text
    assert created.json()["results"][0]["status"] == "applied"
    bike = client.get(f"/api/v1/bikes/{bike_id}", headers=headers).json()
    assert (bike["name"], bike["type"]) == ("Commuter", "road")

    chain = client.post(
        f"/api/v1/bikes/{bike_id}/components", json={"type": "chain"}, headers=headers
    ).json()["id"]
    logged = phone.push(
        phone.mutation(
            "service_log",
            entry_id,
            component_id={"value": chain},
            kind={"value": "service"},
            done_at={"value": "2025-06-01T18:00:00+02:00"},
            notes={"value": "waxed"},
        ),
        phone.mutation("bike", bike_id, brand={"value": "Genesis"}),
    )
    assert logged.status_code == 200, logged.text
    usage = client.get(f"/api/v1/components/{chain}/usage", headers=headers).json()
    [entry] = usage["service_log"]
    assert entry["id"] == entry_id and entry["notes"] == "waxed"
    assert entry["done_at"].startswith("2025-06-01T16:00:00")
    assert client.get(f"/api/v1/bikes/{bike_id}", headers=headers).json()["brand"] == "Genesis"

    # A REST edit reaches another device's pull.
    client.patch(f"/api/v1/bikes/{bike_id}", json={"name": "Winter bike"}, headers=headers)
    laptop = Device(client, headers, "laptop-1")
    changes = {(c["record_type"], c["record_id"]): c for c in laptop.pull()["changes"]}
    assert changes["bike", bike_id]["fields"]["name"]["value"] == "Winter bike"
    assert changes["service_log", entry_id]["fields"]["kind"]["value"] == "service"
    assert ("component", chain) in changes


def test_a_device_cannot_create_under_anothers_id_or_for_anothers_component(
    client: TestClient,
) -> None:
    _, owner = signed_in(client)
    _, stranger = signed_in(client)
    bike = client.post("/api/v1/bikes", json={"name": "Mine", "type": "road"}, headers=owner)
    bike_id = bike.json()["id"]
    chain = client.post(
        f"/api/v1/bikes/{bike_id}/components", json={"type": "chain"}, headers=owner
    )
    phone = Device(client, stranger, "phone-2")
    taken = phone.push(
        phone.mutation("bike", bike_id, name={"value": "stolen"}, type={"value": "road"})
    )
    assert taken.status_code == 404, taken.text
    phone = Device(client, stranger, "phone-3")
    entry = phone.mutation(
        "service_log",
        str(uuid.uuid4()),
        component_id={"value": chain.json()["id"]},
        kind={"value": "replace"},
        done_at={"value": "2025-06-01T00:00:00Z"},
    )
    refused = phone.push(entry)
    assert refused.status_code == 422 and "no such component" in refused.text
    incomplete = Device(client, stranger, "phone-4")
    missing = incomplete.push(incomplete.mutation("bike", str(uuid.uuid4()), name={"value": "x"}))
    assert missing.status_code == 422 and "needs type" in missing.text
    assert client.get(f"/api/v1/bikes/{bike_id}", headers=owner).json()["name"] == "Mine"
