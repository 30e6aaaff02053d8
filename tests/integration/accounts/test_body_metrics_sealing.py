"""Weight and resting heart rate: re-sealed on rotation, bound to their user, migrated."""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bikenode.accounts.body_metrics import BodyMetrics, open_body_metrics
from bikenode.accounts.models import User
from bikenode.config import Settings
from bikenode.encryption import (
    DecryptionFailed,
    KeyRing,
    add_key_to_file,
    current_key_ring,
    install_key_ring,
    key_file_path,
    key_id_of,
    parse_data_keys,
)
from bikenode.governance.service import start_reencryption
from tests.factories import signed_in
from tests.integration.accounts.test_totp_sealing import _uuid_param
from tests.migration_tools import migrate

METRICS = {"weight_kg": 81.6, "resting_hr_bpm": 52}


def _sessions(client: TestClient) -> sessionmaker[Session]:
    return client.app.state.session_factory  # type: ignore[attr-defined,no-any-return]


def _user(client: TestClient, email: str) -> User:
    with _sessions(client)() as db:
        user = db.scalars(select(User).where(User.email == email)).one()
        db.expunge(user)
        return user


def _metrics(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    me = client.get("/api/v1/me", headers=headers).json()
    return {key: me[key] for key in METRICS}


def _rider(client: TestClient) -> tuple[str, dict[str, str]]:
    payload, headers = signed_in(client)
    assert client.patch("/api/v1/me", json=METRICS, headers=headers).status_code == 200
    return payload["email"], headers


def test_rotation_reseals_weight_and_it_reads_back_with_the_old_key_gone(
    client: TestClient, settings: Settings
) -> None:
    email, headers = _rider(client)
    before = _user(client, email)
    old_key = before.body_metrics_key_id
    new_key = add_key_to_file(settings)  # what `bikenode keys rotate` does first
    assert _metrics(client, headers) == METRICS  # still under the old key meanwhile
    with _sessions(client)() as db:
        start_reencryption(db, actor="test")
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    after = _user(client, email)
    assert old_key is not None and after.body_metrics_key_id == new_key != old_key
    assert after.body_metrics_sealed is not None
    assert key_id_of(after.body_metrics_sealed) == new_key
    assert after.body_metrics_sealed != before.body_metrics_sealed
    assert after.updated_at == before.updated_at  # rotation is not an edit by the user
    previous = current_key_ring()
    keys = parse_data_keys(key_file_path(settings).read_text())
    install_key_ring(KeyRing([key for key in keys if key[0] == new_key]))
    try:
        assert _metrics(client, headers) == METRICS
    finally:
        install_key_ring(previous)


def test_a_blob_moved_to_another_user_does_not_open_there(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    email, _headers = _rider(client)
    other, other_headers = signed_in(client)
    stolen = _user(client, email)
    assert open_body_metrics(stolen) == BodyMetrics(81.6, 52)
    with _sessions(client)() as db:
        victim = db.scalars(select(User).where(User.email == other["email"])).one()
        victim.body_metrics_sealed = stolen.body_metrics_sealed
        victim.body_metrics_key_id = stolen.body_metrics_key_id
        db.commit()
        db.refresh(victim)
        with pytest.raises(DecryptionFailed):
            open_body_metrics(victim)
    caplog.set_level(logging.WARNING)
    assert _metrics(client, other_headers) == {"weight_kg": None, "resting_hr_bpm": None}
    [warning] = [r for r in caplog.records if "cannot be decrypted" in r.getMessage()]
    assert "81.6" not in f"{warning.getMessage()} {warning.__dict__}"


def test_with_the_key_lost_they_show_as_unset_and_can_be_saved_again(client: TestClient) -> None:
    _email, headers = _rider(client)
    previous = current_key_ring()
    install_key_ring(KeyRing([("another-key", os.urandom(32))]))  # data.keys lost
    try:
        assert _metrics(client, headers) == {"weight_kg": None, "resting_hr_bpm": None}
        saved = client.patch("/api/v1/me", json={"weight_kg": 80}, headers=headers)
        assert saved.status_code == 200, saved.text
        assert _metrics(client, headers) == {"weight_kg": 80.0, "resting_hr_bpm": None}
    finally:
        install_key_ring(previous)


def test_the_migration_adds_the_columns_and_its_downgrade_keeps_every_account(
    empty_database: Engine,
) -> None:
    migrate(empty_database, "0005_password_reset")
    user_id = _uuid_param(empty_database, uuid.uuid4())
    now = "2025-01-01 00:00:00+00:00"
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts_users (id, email, password_hash, display_name, role, units,"
                " timezone, ftp_w, created_at, updated_at) VALUES (:id, 'old@example.org', 'x',"
                " 'Old', 'rider', 'metric', 'UTC', 250, :now, :now)"
            ),
            {"id": user_id, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO accounts_recovery_codes (id, user_id, code_hash)"
                " VALUES (:code_id, :id, 'h')"
            ),
            {"code_id": _uuid_param(empty_database, uuid.uuid4()), "id": user_id},
        )
    migrate(empty_database, "heads")
    with empty_database.connect() as connection:
        row = connection.execute(
            text("SELECT ftp_w, body_metrics_sealed, body_metrics_key_id FROM accounts_users")
        ).one()
    assert tuple(row) == (250, None, None)
    # Downgrading must not copy and drop accounts_users: with foreign keys on, that DROP would
    # delete every row that cascades from a user.
    migrate(empty_database, "0005_password_reset", down=True)
    with empty_database.connect() as connection:
        assert connection.execute(text("SELECT ftp_w FROM accounts_users")).scalar() == 250
        codes = connection.execute(text("SELECT count(*) FROM accounts_recovery_codes")).scalar()
        columns = connection.execute(text("SELECT * FROM accounts_users")).keys()
    assert codes == 1
    assert "body_metrics_sealed" not in columns
