"""The sync API: push applies through the domains, pull returns changes, retries are free."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.sync.models import SyncClient, SyncMutation, SyncOwner, SyncRecord
from tests.api.sync.conftest import Rider
from tests.factories import STRONG_PASSWORD


def test_first_pull_lists_rides_and_settings(client: TestClient, rider: Rider) -> None:
    page = rider.device(client, "phone").pull()
    records = {(c["record_type"], c["record_id"]): c for c in page["changes"]}
    assert set(records) == {("ride", r) for r in rider.ride_ids} | {("settings", rider.user_id)}
    ride = records[("ride", rider.ride_ids[0])]["fields"]
    assert set(ride) == {
        "name",
        "description",
        "sport",
        "visibility",
        "share_health",
        "commute",
    }
    assert ride["visibility"]["value"] == "private"
    assert records[("settings", rider.user_id)]["fields"]["units"]["value"] == "metric"
    assert page["has_more"] is False and page["open_conflicts"] == 0


def test_push_changes_the_ride_seen_through_the_rides_api(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    ride_id = rider.ride_ids[0]
    old = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    response = device.push(
        device.mutation(
            "ride",
            ride_id,
            name={"value": "Col de la Croix de Fer", "base": old["name"]},
            visibility={"value": "public"},
        )
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {
            "counter": 1,
            "status": "applied",
            "fields": {"name": "applied", "visibility": "applied"},
            "conflicts": [],
        }
    ]
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    assert (ride["name"], ride["visibility"]) == ("Col de la Croix de Fer", "public")


def test_a_device_sets_whether_others_see_heart_rate_and_power(
    client: TestClient, rider: Rider
) -> None:
    device = rider.device(client, "phone")
    ride_id = rider.ride_ids[0]
    shared = device.push(device.mutation("ride", ride_id, share_health={"value": True}))
    assert shared.status_code == 200, shared.text
    assert shared.json()["results"][0]["fields"] == {"share_health": "applied"}
    bad = device.push(device.mutation("ride", ride_id, share_health={"value": "yes"}))
    assert bad.status_code == 422, bad.text
    assert "expected true, false or null" in bad.text
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    assert (ride["share_health"], ride["health_shared"]) == (True, True)
    client.patch(f"/api/v1/rides/{ride_id}", json={"share_health": None}, headers=rider.headers)
    [change] = [c for c in device.pull()["changes"] if c["record_id"] == ride_id]
    assert change["fields"]["share_health"]["value"] is None


def test_a_device_marks_a_commute_and_sees_the_web_unmark_it(
    client: TestClient, rider: Rider
) -> None:
    device = rider.device(client, "phone")
    ride_id = rider.ride_ids[0]
    marked = device.push(device.mutation("ride", ride_id, commute={"value": True}))
    assert marked.status_code == 200, marked.text
    assert marked.json()["results"][0]["fields"] == {"commute": "applied"}
    assert client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()["commute"] is True
    commutes = client.get("/api/v1/rides?commute=true", headers=rider.headers).json()["items"]
    assert [r["id"] for r in commutes] == [ride_id]
    bad = device.push(device.mutation("ride", ride_id, commute={"value": None}))
    assert bad.status_code == 422 and "expected true or false" in bad.text
    client.patch(f"/api/v1/rides/{ride_id}", json={"commute": False}, headers=rider.headers)
    [change] = [c for c in device.pull()["changes"] if c["record_id"] == ride_id]
    assert change["fields"]["commute"]["value"] is False


def test_retried_push_gets_the_same_answer_and_changes_nothing(
    client: TestClient, rider: Rider
) -> None:
    device = rider.device(client, "phone")
    cursor = device.pull()["cursor"]
    ride_id = rider.ride_ids[0]
    batch = [
        device.mutation("ride", ride_id, description={"value": "wet", "base": ""}),
        device.mutation("settings", rider.user_id, ftp_w={"value": 250}),
    ]
    first = device.push(*batch)
    after_first = device.pull(cursor)
    again = device.push(*batch)
    assert first.status_code == again.status_code == 200
    assert again.json()["results"] == first.json()["results"]
    assert device.pull(after_first["cursor"])["changes"] == []  # nothing changed the second time
    me = client.get("/api/v1/me", headers=rider.headers).json()
    assert me["ftp_w"] == 250


def test_a_retry_with_new_mutations_applies_only_the_new_ones(
    client: TestClient, rider: Rider
) -> None:
    device = rider.device(client, "phone")
    ride_id = rider.ride_ids[0]
    first = device.mutation("ride", ride_id, sport={"value": "gravel"})
    assert device.push(first).status_code == 200
    second = device.mutation("ride", ride_id, sport={"value": "road"})
    response = device.push(first, second)
    assert [r["counter"] for r in response.json()["results"]] == [1, 2]
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    assert ride["sport"] == "road"


def test_a_rest_edit_shows_up_in_a_pull_with_only_the_changed_field(
    client: TestClient, rider: Rider
) -> None:
    device = rider.device(client, "laptop")
    cursor = device.pull()["cursor"]
    ride_id = rider.ride_ids[1]
    patched = client.patch(
        f"/api/v1/rides/{ride_id}", json={"name": "Evening spin"}, headers=rider.headers
    )
    assert patched.status_code == 200
    client.patch("/api/v1/me", json={"units": "imperial"}, headers=rider.headers)
    changes = device.pull(cursor)["changes"]
    assert [(c["record_type"], c["record_id"], set(c["fields"])) for c in changes] == [
        ("ride", ride_id, {"name"}),
        ("settings", rider.user_id, {"units"}),
    ]
    assert changes[0]["fields"]["name"]["value"] == "Evening spin"


def test_a_rest_edit_beats_an_older_offline_edit(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    ride_id = rider.ride_ids[0]
    stale = device.mutation("ride", ride_id, sport={"value": "mtb"})  # stamped now
    client.patch(f"/api/v1/rides/{ride_id}", json={"name": "later"}, headers=rider.headers)
    assert device.push(stale).json()["results"][0]["status"] == "applied"
    # The REST edit stamped its own field only: the offline sport edit still applies.
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    assert (ride["name"], ride["sport"]) == ("later", "mtb")


def test_deletes_become_tombstones_in_pulls(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    cursor = device.pull()["cursor"]
    first, second = rider.ride_ids
    assert client.delete(f"/api/v1/rides/{first}", headers=rider.headers).status_code == 204
    deletion = {
        "counter": next(device.counter),
        "record_type": "ride",
        "record_id": second,
        "delete": True,
        "hlc": device.stamp(),
    }
    assert device.push(deletion).json()["results"][0]["status"] == "deleted"
    assert client.get(f"/api/v1/rides/{second}", headers=rider.headers).status_code == 404
    changes = device.pull(cursor)["changes"]
    assert sorted((c["record_id"], c.get("deleted")) for c in changes) == sorted(
        [(first, True), (second, True)]
    )
    late = device.push(device.mutation("ride", second, name={"value": "too late"}))
    assert late.json()["results"][0]["status"] == "gone"


def test_pull_pages_and_compresses(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    first = device.pull(limit=1)
    assert len(first["changes"]) == 1 and first["has_more"] is True
    rest = device.pull(first["cursor"], limit=100)
    assert len(rest["changes"]) == 2 and rest["has_more"] is False
    for n in range(40):  # enough text that compression is worth it
        client.patch(
            f"/api/v1/rides/{rider.ride_ids[0]}",
            json={"description": f"line {n} " * 100},
            headers=rider.headers,
        )
    client.patch(
        f"/api/v1/rides/{rider.ride_ids[1]}",
        json={"description": "x" * 5000},
        headers=rider.headers,
    )
    raw = client.get(
        "/api/v1/sync/pull",
        params={"cursor": rest["cursor"]},
        headers={**rider.headers, "Accept-Encoding": "gzip"},
    )
    assert raw.headers["content-encoding"] == "gzip"
    assert len(raw.json()["changes"]) == 2  # a record changed many times is sent once
    plain = client.get(
        "/api/v1/sync/pull",
        params={"cursor": rest["cursor"]},
        headers={**rider.headers, "Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in plain.headers


def test_settings_pushed_by_a_device_reach_the_profile(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "watch")
    response = device.push(
        device.mutation(
            "settings",
            rider.user_id,
            timezone={"value": "Europe/Paris"},
            max_hr_bpm={"value": 188},
        )
    )
    assert response.status_code == 200, response.text
    me = client.get("/api/v1/me", headers=rider.headers).json()
    assert (me["timezone"], me["max_hr_bpm"]) == ("Europe/Paris", 188)


def test_erasing_an_account_erases_its_sync_data(
    client: TestClient, rider: Rider, engine: Engine
) -> None:
    device = rider.device(client, "phone")
    device.pull()
    device.push(device.mutation("ride", rider.ride_ids[0], name={"value": "Home to work"}))
    erased = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=rider.headers,
    )
    assert erased.status_code == 200, erased.text
    owner = uuid.UUID(rider.user_id)
    with Session(engine) as session:
        for model in (SyncRecord, SyncMutation, SyncClient, SyncOwner):
            assert session.scalars(select(model).where(model.owner_id == owner)).all() == []
