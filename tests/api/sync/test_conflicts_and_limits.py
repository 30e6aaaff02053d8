"""Conflicts kept and resolved; other riders' records invisible; bad input refused clearly."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient

from bikenode.sync.service import SERVER_CLOCK
from tests.api.sync.conftest import Rider

TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000


def _problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["detail"]
    return body


def test_edits_of_different_words_merge(client: TestClient, rider: Rider) -> None:
    phone, laptop = rider.device(client, "phone"), rider.device(client, "laptop")
    ride_id = rider.ride_ids[0]
    base = "Morning ride to the lake"
    client.patch(f"/api/v1/rides/{ride_id}", json={"name": base}, headers=rider.headers)
    phone.push(
        phone.mutation(
            "ride", ride_id, name={"value": "Rainy morning ride to the lake", "base": base}
        )
    )
    answer = laptop.push(
        laptop.mutation(
            "ride", ride_id, name={"value": "Morning ride to the big lake", "base": base}
        )
    )
    assert answer.json()["results"][0]["fields"] == {"name": "merged"}
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    assert ride["name"] == "Rainy morning ride to the big lake"


def test_overlapping_edits_keep_both_until_the_rider_resolves(
    client: TestClient, rider: Rider
) -> None:
    phone, laptop = rider.device(client, "phone"), rider.device(client, "laptop")
    ride_id = rider.ride_ids[0]
    client.patch(f"/api/v1/rides/{ride_id}", json={"description": "flat"}, headers=rider.headers)
    phone.push(phone.mutation("ride", ride_id, description={"value": "hilly", "base": "flat"}))
    answer = laptop.push(
        laptop.mutation("ride", ride_id, description={"value": "windy", "base": "flat"})
    ).json()["results"][0]
    assert answer["fields"] == {"description": "conflict"}
    conflicts = client.get("/api/v1/sync/conflicts", headers=rider.headers).json()["items"]
    assert [c["id"] for c in conflicts] == answer["conflicts"]
    conflict = conflicts[0]
    assert {conflict["kept"], conflict["other"]} == {"hilly", "windy"}
    assert conflict["base"] == "flat" and conflict["status"] == "open"
    shown = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()["description"]
    assert shown == conflict["kept"]
    assert phone.pull()["open_conflicts"] == 1

    cursor = phone.pull()["cursor"]
    resolved = client.post(
        f"/api/v1/sync/conflicts/{conflict['id']}/resolve",
        json={"value": "hilly and windy"},
        headers=rider.headers,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=rider.headers).json()
    assert ride["description"] == "hilly and windy"
    page = phone.pull(cursor)
    assert page["changes"][0]["fields"]["description"]["value"] == "hilly and windy"
    assert page["open_conflicts"] == 0
    again = client.post(
        f"/api/v1/sync/conflicts/{conflict['id']}/resolve",
        json={"value": "x"},
        headers=rider.headers,
    )
    _problem(again, 409)


def test_a_rider_never_sees_or_changes_another_riders_records(
    client: TestClient, rider: Rider, other_rider: Rider
) -> None:
    intruder = other_rider.device(client, "intruder")
    pulled = intruder.pull()["changes"]
    assert {c["record_id"] for c in pulled} == {*other_rider.ride_ids, other_rider.user_id}
    victim_ride = rider.ride_ids[0]
    attempts = [
        ("ride", victim_ride, {"name": {"value": "x"}}),
        ("settings", rider.user_id, {"units": {"value": "imperial"}}),
    ]
    for n, (record_type, record_id, fields) in enumerate(attempts):
        intruder = other_rider.device(client, f"intruder{n}")
        _problem(intruder.push(intruder.mutation(record_type, record_id, **fields)), 404)
    assert client.get(f"/api/v1/rides/{victim_ride}", headers=rider.headers).json()["name"] != "x"
    # the victim's conflicts are not the intruder's to read or resolve
    phone, laptop = rider.device(client, "phone"), rider.device(client, "laptop")
    client.patch(f"/api/v1/rides/{victim_ride}", json={"description": "a"}, headers=rider.headers)
    phone.push(phone.mutation("ride", victim_ride, description={"value": "b", "base": "a"}))
    laptop.push(laptop.mutation("ride", victim_ride, description={"value": "c", "base": "a"}))
    conflict_id = client.get("/api/v1/sync/conflicts", headers=rider.headers).json()["items"][0][
        "id"
    ]
    assert client.get("/api/v1/sync/conflicts", headers=other_rider.headers).json()["items"] == []
    stolen = client.post(
        f"/api/v1/sync/conflicts/{conflict_id}/resolve",
        json={"value": "mine"},
        headers=other_rider.headers,
    )
    _problem(stolen, 404)
    _problem(
        client.post(
            f"/api/v1/sync/conflicts/{uuid.uuid4()}/resolve",
            json={"value": "v"},
            headers=rider.headers,
        ),
        404,
    )


def test_sync_needs_a_signed_in_user(client: TestClient) -> None:
    _problem(client.get("/api/v1/sync/pull"), 401)
    _problem(client.post("/api/v1/sync/push", json={}), 401)


def test_a_poison_stamp_is_refused_and_leaves_the_server_clock_alone(
    client: TestClient, rider: Rider
) -> None:
    device = rider.device(client, "broken-clock")
    before = SERVER_CLOCK.last
    poisoned = device.mutation("ride", rider.ride_ids[0], sport={"value": "bmx"})
    poisoned["fields"]["sport"]["hlc"] = device.stamp(ahead_ms=TEN_YEARS_MS)
    body = _problem(device.push(poisoned), 422)
    assert body["counter"] == 1
    assert isinstance(body["server_time_ms"], int) and isinstance(body["server_hlc"], str)
    assert SERVER_CLOCK.last.wall_ms < before.wall_ms + 60_000
    ride = client.get(f"/api/v1/rides/{rider.ride_ids[0]}", headers=rider.headers).json()
    assert ride["sport"] != "bmx"
    poisoned["fields"]["sport"]["hlc"] = device.stamp()  # restamped, the same counter applies
    assert device.push(poisoned).status_code == 200


def test_a_push_is_all_or_nothing(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    good = device.mutation("ride", rider.ride_ids[0], sport={"value": "gravel"})
    bad = device.mutation("ride", rider.ride_ids[1], visibility={"value": "everyone"})
    body = _problem(device.push(good, bad), 422)
    assert "expected one of private, followers, public" in str(body["detail"])
    ride = client.get(f"/api/v1/rides/{rider.ride_ids[0]}", headers=rider.headers).json()
    assert ride["sport"] != "gravel"


def test_bad_input_gets_a_clear_problem(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    ride_id = rider.ride_ids[0]

    def mutation(**fields: object) -> dict[str, object]:
        return {"counter": 1, "record_type": "ride", "record_id": ride_id, "fields": fields}

    stamp = device.stamp()
    cases = [
        ([mutation(name={"hlc": stamp, "value": "x" * 201})], "200 characters"),
        ([mutation(nickname={"hlc": stamp, "value": "x"})], "expected ride fields among"),
        ([mutation(name={"hlc": "yesterday", "value": "x"})], "expected a stamp like"),
        (
            [mutation(name={"hlc": stamp.replace("phone", "laptop"), "value": "x"})],
            "expected a stamp of node",
        ),
        ([mutation(name={"hlc": stamp, "value": 7})], "expected a string"),
        ([mutation(name={"hlc": stamp, "amount": 1})], "takes value"),
        ([{**mutation(), "record_type": "boat"}], "expected a record type among"),
        ([mutation()], "expected changed fields or delete"),
        ([mutation(name={"hlc": stamp, "value": "x"})] * 2, "increasing order"),
        ([mutation(name={"hlc": stamp, "value": "x"})] * 1001, "at most 1000"),
    ]
    for mutations, expected in cases:
        response = client.post(
            "/api/v1/sync/push",
            json={"client_id": "phone", "mutations": mutations},
            headers=rider.headers,
        )
        body = _problem(response, 422)
        assert expected in json.dumps(body), (expected, body)
    nan = client.post(
        "/api/v1/sync/push",
        content=b'{"client_id": "phone", "mutations": [{"counter": 1, "record_type": "ride", '
        b'"record_id": "x", "fields": {"n": {"hlc": "1", "amount": NaN}}}]}',
        headers={**rider.headers, "Content-Type": "application/json"},
    )
    assert "finite number" in json.dumps(_problem(nan, 422))
    bad_client = client.post(
        "/api/v1/sync/push",
        json={"client_id": "../etc", "mutations": [mutation(name={"hlc": stamp, "value": "x"})]},
        headers=rider.headers,
    )
    _problem(bad_client, 422)
    _problem(client.get("/api/v1/sync/pull", params={"cursor": "abc"}, headers=rider.headers), 422)
    _problem(client.get("/api/v1/sync/pull", params={"limit": 0}, headers=rider.headers), 422)
    settings = device.push(
        device.mutation("settings", rider.user_id, timezone={"value": "Mars/Olympus"})
    )
    assert "IANA timezone" in _problem(settings, 422)["detail"]  # type: ignore[operator]


def test_skipped_counters_are_refused(client: TestClient, rider: Rider) -> None:
    device = rider.device(client, "phone")
    mutation = device.mutation("ride", rider.ride_ids[0], sport={"value": "road"})
    mutation["counter"] = 5
    body = _problem(device.push(mutation), 409)
    assert body["expected_counter"] == 1
