"""Sport types as the peers name them, the rider's own sports, and the commute flag."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import strava_archive


def test_the_riders_sports_are_the_peers_types_counted(client: TestClient) -> None:
    _, headers = signed_in(client)
    [upload] = upload_files(client, headers, [("export_1.zip", strava_archive())])
    assert {i["status"] for i in upload["items"]} == {"imported"}, upload
    sports = client.get("/api/v1/rides/sports", headers=headers).json()
    assert sports[0] == {"sport": "cycling", "rides": 2}
    assert sorted(s["sport"] for s in sports[1:]) == [
        "ebike",
        "gravel_cycling",
        "mountain_biking",
        "virtual_cycling",
    ]
    assert all(s["rides"] == 1 for s in sports[1:])
    gravel = client.get("/api/v1/rides?sport=gravel_cycling", headers=headers).json()["items"]
    assert [r["name"] for r in gravel] == ["Ride 2"]


def test_commutes_come_from_the_archive_and_can_be_marked_and_filtered(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    upload_files(client, headers, [("export_1.zip", strava_archive())])
    commutes = client.get("/api/v1/rides?commute=true", headers=headers).json()["items"]
    assert sorted(r["name"] for r in commutes) == ["Ride 4", "Ride 5"]
    others = client.get("/api/v1/rides?commute=false", headers=headers).json()["items"]
    assert len(others) == 4 and not any(r["commute"] for r in others)

    ride_id = others[0]["id"]
    changed = client.patch(
        f"/api/v1/rides/{ride_id}",
        json={"commute": True, "sport": "gravel_cycling"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["commute"], changed.json()["sport"]) == (True, "gravel_cycling")
    assert len(client.get("/api/v1/rides?commute=true", headers=headers).json()["items"]) == 3
    refused = client.patch(
        f"/api/v1/rides/{ride_id}", json={"sport": "Gravel Ride!"}, headers=headers
    )
    assert refused.status_code == 422
    assert client.get("/api/v1/rides/sports").status_code == 401


def test_a_new_rider_has_no_sports(client: TestClient) -> None:
    _, headers = signed_in(client)
    assert client.get("/api/v1/rides/sports", headers=headers).json() == []
