"""GDPR through the API: a user downloads all their data, then erases their account."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.factories import STRONG_PASSWORD, database_text, login, signed_in, upload_files
from tests.synthetic import synthetic_gpx

GPX = synthetic_gpx(datetime(2024, 6, 1, 7, tzinfo=UTC), points=240, seed=7)


def _rider_with_a_ride(client: TestClient) -> tuple[dict[str, Any], dict[str, str], str]:
    payload, headers = signed_in(client)
    [upload] = upload_files(client, headers, [("morning.gpx", GPX)])
    zone = {"name": "home", "lat_deg": 45.07, "lon_deg": 6.0, "radius_m": 300.0}
    assert client.post("/api/v1/privacy-zones", json=zone, headers=headers).status_code == 201
    return payload, headers, upload["items"][0]["ride_id"]


def test_export_holds_profile_rides_streams_and_original_files(client: TestClient) -> None:
    payload, headers, ride_id = _rider_with_a_ride(client)
    response = client.get("/api/v1/me/export", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"README.txt", "profile.json", f"rides/{ride_id}.json", "uploads.json"} <= names
    profile = json.loads(archive.read("profile.json"))
    assert profile["email"] == payload["email"]
    assert "password_hash" not in json.dumps(profile)
    ride = json.loads(archive.read(f"rides/{ride_id}.json"))
    assert ride["streams"]["hr_bpm"] == [120 + i % 30 for i in range(240)]  # decrypted
    assert len(ride["streams"]["lat_deg"]) == 240
    assert archive.read(f"originals/{ride_id}/morning.gpx") == GPX
    [zone] = json.loads(archive.read("privacy_zones.json"))
    assert zone["name"] == "home" and "offset_m" not in zone
    assert json.loads(archive.read("uploads.json"))[0]["filename"] == "morning.gpx"
    events = json.loads(archive.read("security_events.json"))
    assert any(e["event_type"] == "auth.login_succeeded" for e in events)
    # The export itself is audited: a second export lists the first.
    again = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/me/export", headers=headers).content))
    events = json.loads(again.read("security_events.json"))
    assert any(e["event_type"] == "governance.data_exported" for e in events)


def test_export_needs_a_signed_in_user(client: TestClient) -> None:
    assert client.get("/api/v1/me/export").status_code == 401


def test_erasure_deletes_everything_personal_and_keeps_an_audit_entry(
    client: TestClient, engine: Engine
) -> None:
    payload, headers, ride_id = _rider_with_a_ride(client)
    user_id = client.get("/api/v1/me", headers=headers).json()["id"]
    _, other = signed_in(client)
    [kept] = upload_files(client, other, [("other.gpx", GPX)])
    wrong = client.post(
        "/api/v1/me/erase",
        json={"password": "not my password at all", "confirm": "erase my account"},
        headers=headers,
    )
    assert wrong.status_code == 401
    unconfirmed = client.post(
        "/api/v1/me/erase", json={"password": STRONG_PASSWORD, "confirm": "yes"}, headers=headers
    )
    assert unconfirmed.status_code == 422
    done = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["rides_erased"] == 1
    everything = database_text(engine)
    assert payload["email"] not in everything
    assert payload["display_name"] not in everything
    with engine.connect() as connection:
        erased_subject = connection.execute(
            text("SELECT subject_id FROM audit_events WHERE event_type = 'governance.user_erased'")
        ).scalar_one()
        assert str(erased_subject).replace("-", "") == user_id.replace("-", "")
        assert connection.execute(text("SELECT count(*) FROM rides")).scalar_one() == 1
        erasure = connection.execute(
            text("SELECT rides, distance_m FROM governance_erasures")
        ).one()
        assert erasure[0] == 1 and erasure[1] > 1000
    # The account is gone: its token no longer works, its ride is gone, the other stays.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get(f"/api/v1/rides/{ride_id}", headers=other).status_code == 404
    assert (
        client.get(f"/api/v1/rides/{kept['items'][0]['ride_id']}", headers=other).status_code == 200
    )
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": payload["email"], "password": STRONG_PASSWORD}
        ).status_code
        == 401
    )
    login(client, email=client.get("/api/v1/me", headers=other).json()["email"])
