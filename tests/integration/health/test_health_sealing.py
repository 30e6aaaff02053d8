"""Daily health values and alert explanations: sealed at rest, counted, re-sealed on rotation."""

from __future__ import annotations

import struct
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bikenode.config import Settings
from bikenode.encryption import (
    KeyRing,
    add_key_to_file,
    current_key_ring,
    install_key_ring,
    key_file_path,
    key_id_of,
    parse_data_keys,
)
from bikenode.governance.service import key_ids_in_use, start_reencryption
from bikenode.health.models import HealthAlert, HealthMetric
from tests.factories import signed_in

START = date(2025, 3, 1)


def _sessions(client: TestClient) -> sessionmaker[Session]:
    return client.app.state.session_factory  # type: ignore[attr-defined,no-any-return]


def _ill_rider(client: TestClient) -> dict[str, str]:
    _, headers = signed_in(client)
    values = [50.0, 51.0] * 10 + [56.0, 57.0]
    nights = [
        {"day": (START + timedelta(days=i)).isoformat(), "metric": "resting_hr_bpm", "value": v}
        for i, v in enumerate(values)
    ]
    answer = client.post("/api/v1/health/metrics", json={"metrics": nights}, headers=headers)
    assert answer.status_code == 201, answer.text
    return headers


def _read(client: TestClient, headers: dict[str, str]) -> tuple[list[Any], list[Any]]:
    metrics = client.get(
        "/api/v1/health/metrics?from=2025-03-01&to=2025-03-31", headers=headers
    ).json()["metrics"]
    alerts = client.get("/api/v1/health/alerts", headers=headers).json()["alerts"]
    return [m["value"] for m in metrics], [a["explanation"] for a in alerts]


def test_values_are_sealed_and_their_keys_are_in_use(client: TestClient) -> None:
    _ill_rider(client)
    with _sessions(client)() as db:
        row = db.scalars(
            select(HealthMetric).where(HealthMetric.metric == "resting_hr_bpm")
        ).first()
        # The value is packed as a big-endian double: its eight bytes must not show. (A short
        # text like "50" is no test: the key id in the header is hex and may well hold it.)
        assert row is not None and struct.pack(">d", 50.0) not in row.value_sealed
        assert b"50.0" not in row.value_sealed
        alert = db.scalars(select(HealthAlert)).first()
        assert alert is not None and b"usual" not in alert.explanation_sealed
        assert current_key_ring().current_key_id in key_ids_in_use(db)


def test_rotation_reseals_values_and_alerts_and_they_read_back_with_the_old_key_gone(
    client: TestClient, settings: Settings
) -> None:
    headers = _ill_rider(client)
    before = _read(client, headers)
    assert before[1] and before[1][0] is not None
    new_key = add_key_to_file(settings)
    with _sessions(client)() as db:
        start_reencryption(db, actor="test")
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    with _sessions(client)() as db:
        sealed = [*db.scalars(select(HealthMetric.value_sealed))]
        sealed += [*db.scalars(select(HealthAlert.explanation_sealed))]
        assert {key_id_of(blob) for blob in sealed} == {new_key}
    previous = current_key_ring()
    keys = parse_data_keys(key_file_path(settings).read_text())
    install_key_ring(KeyRing([key for key in keys if key[0] == new_key]))
    try:
        assert _read(client, headers) == before
    finally:
        install_key_ring(previous)
