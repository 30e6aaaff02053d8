"""Weight and resting heart rate: set and read by the user alone, validated, sealed at rest."""

from __future__ import annotations

import io
import json
import logging
import re
import struct
import uuid
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from bikenode.accounts.body_metrics import BodyMetrics, encode_body_metrics
from bikenode.encryption import current_key_ring, key_id_of
from tests.factories import STRONG_PASSWORD, admin_with_mfa, database_text, signed_in

# Distinctive numbers, so that finding them anywhere in the database means a leak.
WEIGHT_KG, RESTING_HR_BPM = 73.4, 47
CHANGED = {"weight_kg": WEIGHT_KG, "resting_hr_bpm": RESTING_HR_BPM}


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _with_metrics(client: TestClient) -> tuple[dict[str, Any], dict[str, str]]:
    payload, headers = signed_in(client)
    response = client.patch("/api/v1/me", json=CHANGED, headers=headers)
    assert response.status_code == 200, response.text
    return payload, headers


def _user_row(engine: Engine, user_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM accounts_users")).mappings().all()
    [row] = [dict(r) for r in rows if str(uuid.UUID(str(r["id"]))) == user_id]
    return row


def test_weight_and_resting_hr_are_set_and_read_back(client: TestClient) -> None:
    _, headers = signed_in(client)
    assert {k: _me(client, headers)[k] for k in CHANGED} == {
        "weight_kg": None,
        "resting_hr_bpm": None,
    }
    saved = client.patch("/api/v1/me", json=CHANGED, headers=headers)
    assert saved.status_code == 200, saved.text
    assert {k: saved.json()[k] for k in CHANGED} == CHANGED
    assert {k: _me(client, headers)[k] for k in CHANGED} == CHANGED
    # Changing one keeps the other; null clears one; other settings leave both alone.
    client.patch("/api/v1/me", json={"weight_kg": 72}, headers=headers)
    client.patch("/api/v1/me", json={"ftp_w": 250}, headers=headers)
    assert {k: _me(client, headers)[k] for k in CHANGED} == {
        "weight_kg": 72.0,
        "resting_hr_bpm": RESTING_HR_BPM,
    }
    client.patch("/api/v1/me", json={"resting_hr_bpm": None}, headers=headers)
    me = _me(client, headers)
    assert (me["weight_kg"], me["resting_hr_bpm"], me["ftp_w"]) == (72.0, None, 250)


@pytest.mark.parametrize("weight", [20, 20.1, 299.9, 300])
def test_weight_accepts_the_whole_range_to_one_decimal(client: TestClient, weight: float) -> None:
    _, headers = signed_in(client)
    assert (
        client.patch("/api/v1/me", json={"weight_kg": weight}, headers=headers).status_code == 200
    )
    assert _me(client, headers)["weight_kg"] == weight


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"weight_kg": NaN}', "finite number"),
        ('{"weight_kg": Infinity}', "finite number"),
        ('{"weight_kg": 1e999}', "finite number"),
        ('{"weight_kg": -1e999}', "finite number"),
        ('{"weight_kg": 19.9}', "greater than or equal to 20"),
        ('{"weight_kg": 300.1}', "less than or equal to 300"),
        ('{"weight_kg": 72.25}', "at most one decimal"),
        ('{"weight_kg": "72.5"}', "valid number"),
        ('{"weight_kg": true}', "valid number"),
        ('{"resting_hr_bpm": 24}', "greater than or equal to 25"),
        ('{"resting_hr_bpm": 121}', "less than or equal to 120"),
        ('{"resting_hr_bpm": 50.5}', "valid integer"),
        ('{"resting_hr_bpm": 50.0}', "valid integer"),
        ('{"resting_hr_bpm": "50"}', "valid integer"),
        ('{"resting_hr_bpm": NaN}', "finite number"),
        ('{"display_name": "Changed", "weight_kg": 500}', "less than or equal to 300"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    client: TestClient, body: str, message: str
) -> None:
    _, headers = _with_metrics(client)
    before = _me(client, headers)
    response = client.patch(
        "/api/v1/me", content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"], response.json()
    if "NaN" not in body and "Infinity" not in body and "e999" not in body:
        [error] = response.json()["errors"]
        assert error["field"] in CHANGED
    assert _me(client, headers) == before


def test_the_database_holds_them_sealed_under_the_current_key(
    client: TestClient, engine: Engine
) -> None:
    _, headers = _with_metrics(client)
    user_id = _me(client, headers)["id"]
    row = _user_row(engine, user_id)
    sealed = bytes(row["body_metrics_sealed"])
    ring = current_key_ring()
    assert sealed.startswith(
        b"BNE1" + bytes([len(ring.current_key_id)]) + ring.current_key_id.encode()
    )
    assert key_id_of(sealed) == row["body_metrics_key_id"] == ring.current_key_id
    # Neither number is in the row: not as text, not as the sealed plaintext, not as a float.
    plaintext = encode_body_metrics(BodyMetrics(WEIGHT_KG, RESTING_HR_BPM))
    assert plaintext not in sealed
    assert struct.pack("<d", WEIGHT_KG) not in sealed and struct.pack(">d", WEIGHT_KG) not in sealed
    # No other column holds either number (compared as values: the text of timestamps and
    # random ids may contain any digits).
    others = [value for name, value in row.items() if name != "body_metrics_sealed"]
    for plain in (WEIGHT_KG, round(WEIGHT_KG * 10), RESTING_HR_BPM):
        assert plain not in others and str(plain) not in others
    # Nor anywhere else: sync's change log, the outbox, the audit trail (73.4 as a number of
    # its own, not as digits inside another number or a timestamp).
    everything = database_text(engine)
    assert re.search(r"(?<![\d.])73\.4(?!\d)", everything) is None
    assert "weight_kg" not in everything and "resting_hr_bpm" not in everything


def test_others_and_admins_never_see_them(client: TestClient) -> None:
    rider, rider_headers = _with_metrics(client)
    rider_id = _me(client, rider_headers)["id"]
    _, other_headers = signed_in(client)
    other = _me(client, other_headers)
    assert (other["weight_kg"], other["resting_hr_bpm"]) == (None, None)
    admin_headers, _secret = admin_with_mfa(client)
    read = client.get(f"/api/v1/admin/users/{rider_id}", headers=admin_headers)
    assert read.status_code == 200, read.text
    assert read.json()["profile"]["email"] == rider["email"]  # the admin did read the rider
    changed = client.put(
        f"/api/v1/users/{rider_id}/role", json={"role": "mechanic"}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.text
    for answer in (read, changed):
        assert "weight" not in answer.text and "resting" not in answer.text
        assert "73.4" not in answer.text
    assert {k: _me(client, rider_headers)[k] for k in CHANGED} == CHANGED


def test_they_never_reach_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _, headers = _with_metrics(client)
    _me(client, headers)
    client.patch("/api/v1/me", json={"weight_kg": 310.5}, headers=headers)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "PATCH /api/v1/me" in logged  # the access log did run
    assert "73.4" not in logged and "310.5" not in logged


def test_the_export_has_them_decrypted_and_erasure_removes_them(
    client: TestClient, engine: Engine
) -> None:
    _, headers = _with_metrics(client)
    user_id = _me(client, headers)["id"]
    exported = client.get("/api/v1/me/export", headers=headers)
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        profile = json.loads(archive.read("profile.json"))
    assert {k: profile[k] for k in CHANGED} == CHANGED
    sealed = bytes(_user_row(engine, user_id)["body_metrics_sealed"])
    erased = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=headers,
    )
    assert erased.status_code == 200, erased.text
    with engine.connect() as connection:
        blobs = connection.execute(text("SELECT body_metrics_sealed FROM accounts_users")).all()
    assert all(blob is None or bytes(blob) != sealed for (blob,) in blobs)
    assert repr(sealed) not in database_text(engine)
