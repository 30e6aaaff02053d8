"""rides:read sees what others may see of the rider; rides:read_all their private rides too."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx


def token(client: TestClient, headers: dict[str, str], scopes: list[str]) -> dict[str, str]:
    body = {"name": "script", "scopes": scopes}
    answer = client.post("/api/v1/me/tokens", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_rides_read_does_not_see_private_rides_and_read_all_does(client: TestClient) -> None:
    _, headers = signed_in(client)
    private_start = datetime(2025, 5, 4, 7, 0, tzinfo=UTC)
    public_start = datetime(2025, 5, 5, 7, 0, tzinfo=UTC)
    ids = []
    for start in (private_start, public_start):
        (upload,) = upload_files(client, headers, [("ride.gpx", synthetic_gpx(start))])
        ids.append(upload["items"][0]["ride_id"])
    private_id, public_id = ids
    made_public = {"visibility": "public"}
    changed = client.patch(f"/api/v1/rides/{public_id}", json=made_public, headers=headers)
    assert changed.status_code == 200, changed.text

    narrow = token(client, headers, ["rides:read"])
    listed = client.get("/api/v1/rides", headers=narrow).json()["items"]
    assert [r["id"] for r in listed] == [public_id]
    assert client.get(f"/api/v1/rides/{private_id}", headers=narrow).status_code == 404
    assert client.get(f"/api/v1/rides/{private_id}/streams", headers=narrow).status_code == 404
    assert client.get(f"/api/v1/rides/{public_id}", headers=narrow).status_code == 200
    # Totals, records, the feed and uploads still count private rides: not for rides:read.
    mine = client.get("/api/v1/me", headers=headers).json()["id"]
    for path in (
        "/api/v1/rides/stats",
        "/api/v1/rides/records",
        "/api/v1/feed",
        "/api/v1/uploads",
        f"/api/v1/users/{mine}/rides",
    ):
        assert client.get(path, headers=narrow).status_code == 403, path

    wide = token(client, headers, ["rides:read_all"])
    listed = client.get("/api/v1/rides", headers=wide).json()["items"]
    assert sorted(r["id"] for r in listed) == sorted(ids)
    assert client.get(f"/api/v1/rides/{private_id}", headers=wide).status_code == 200
    # The web's own token is unchanged: the rider sees everything.
    assert len(client.get("/api/v1/rides", headers=headers).json()["items"]) == 2
