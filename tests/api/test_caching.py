"""No answer that carries personal data may be kept by a browser or a shared cache."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx


def test_every_api_answer_with_personal_data_says_no_store(client: TestClient) -> None:
    _, headers = signed_in(client)
    start = datetime(2025, 5, 4, 8, 0, tzinfo=UTC)
    [upload] = upload_files(client, headers, [("ride.gpx", synthetic_gpx(start, points=120))])
    ride_id = upload["items"][0]["ride_id"]
    paths = [
        "/api/v1/me",
        "/api/v1/rides",
        f"/api/v1/rides/{ride_id}",
        f"/api/v1/rides/{ride_id}/streams?keys=time_s,lat_deg,lon_deg",
        f"/api/v1/rides/{ride_id}/export?format=gpx",
        f"/api/v1/rides/{ride_id}/export?format=fit",
        f"/api/v1/uploads/{upload['id']}",
        "/api/v1/privacy-zones",
        "/api/v1/me/export",
    ]
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        assert response.headers.get("cache-control") == "no-store", path
    # Refusals too: a 401 or 404 answer says nothing a cache should keep either.
    assert client.get("/api/v1/me").headers["cache-control"] == "no-store"
    missing = client.get("/api/v1/rides/00000000-0000-0000-0000-000000000000", headers=headers)
    assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
