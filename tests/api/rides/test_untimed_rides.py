"""A ride without timestamps has no date until its rider gives it one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
MOJSTROVKA = CORPUS / "gpx" / "gpxpy__Mojstrovka.gpx"


def _import(client: TestClient, headers: dict[str, str], name: str, data: bytes) -> str:
    [upload] = upload_files(client, headers, [(name, data)])
    [item] = upload["items"]
    assert item["status"] == "imported", item
    return str(item["ride_id"])


def test_a_1901_placeholder_ride_has_no_date_and_a_plain_name(client: TestClient) -> None:
    if not MOJSTROVKA.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    _, headers = signed_in(client)
    ride_id = _import(client, headers, MOJSTROVKA.name, MOJSTROVKA.read_bytes())
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=headers).json()
    assert any("placeholder" in note for note in ride["import_notes"])
    assert ride["started_at"] is None
    assert ride["name"] == "Ride"

    dated = client.patch(
        f"/api/v1/rides/{ride_id}", json={"started_at": "2010-12-14T09:00:00Z"}, headers=headers
    )
    assert dated.status_code == 200, dated.text
    assert dated.json()["started_at"].startswith("2010-12-14T09:00:00")
    listed = client.get("/api/v1/rides?started_after=2010-12-01T00:00:00Z", headers=headers)
    assert [r["id"] for r in listed.json()["items"]] == [ride_id]


def test_a_timed_ride_keeps_the_start_of_its_timestamps(client: TestClient) -> None:
    _, headers = signed_in(client)
    start = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    ride_id = _import(client, headers, "timed.gpx", synthetic_gpx(start, points=120))
    refused = client.patch(
        f"/api/v1/rides/{ride_id}", json={"started_at": "2020-01-01T09:00:00Z"}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert "timestamps" in refused.json()["detail"]
    naive = client.patch(
        f"/api/v1/rides/{ride_id}", json={"started_at": "2020-01-01T09:00:00"}, headers=headers
    )
    assert naive.status_code == 422
