"""TOTP secrets are stored sealed with the data key ring, re-sealed on rotation, migrated."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bikenode.accounts.models import MfaFactor, User
from bikenode.accounts.sealing import open_secret
from bikenode.config import Settings
from bikenode.encryption import (
    DecryptionFailed,
    KeyRing,
    add_key_to_file,
    current_key_ring,
    install_key_ring,
    key_id_of,
)
from bikenode.governance.service import start_reencryption
from tests.factories import STRONG_PASSWORD, enable_mfa, signed_in, totp_code
from tests.migration_tools import migrate


def _factor(client: TestClient, email: str) -> MfaFactor:
    sessions: sessionmaker[Session] = client.app.state.session_factory  # type: ignore[attr-defined]
    with sessions() as db:
        user_id = db.scalars(select(User.id).where(User.email == email)).one()
        factor = db.get(MfaFactor, user_id)
        assert factor is not None
        db.expunge(factor)
        return factor


def _login_with_mfa(client: TestClient, email: str, code: str) -> int:
    first = client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert first.status_code == 200 and first.json()["mfa_required"], first.text
    second = client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": first.json()["mfa_token"], "code": code}
    )
    return second.status_code


def test_the_stored_totp_secret_is_sealed_not_plain(client: TestClient) -> None:
    payload, headers = signed_in(client)
    secret, _codes = enable_mfa(client, headers)
    factor = _factor(client, payload["email"])
    # Nothing in the row is the secret, in base32 or decoded.
    assert secret.encode() not in factor.secret_sealed
    assert base64.b32decode(secret) not in factor.secret_sealed
    assert factor.secret_sealed.startswith(b"BNE1")
    ring = current_key_ring()
    assert factor.key_id == ring.current_key_id == key_id_of(factor.secret_sealed)
    assert open_secret(factor) == secret
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        columns = db.execute(text("SELECT * FROM accounts_mfa_factors")).mappings().one()
    assert all(secret not in str(value) for value in columns.values())


def test_a_sealed_secret_copied_to_another_account_does_not_open(client: TestClient) -> None:
    first, first_headers = signed_in(client)
    second, second_headers = signed_in(client)
    enable_mfa(client, first_headers)
    enable_mfa(client, second_headers)
    stolen = _factor(client, first["email"])
    victim = _factor(client, second["email"])
    victim.secret_sealed = stolen.secret_sealed
    with pytest.raises(DecryptionFailed):
        open_secret(victim)


def test_rotation_reseals_totp_secrets_and_mfa_sign_in_still_works(
    client: TestClient, settings: Settings
) -> None:
    payload, headers = signed_in(client)
    secret, _codes = enable_mfa(client, headers)
    old_key = _factor(client, payload["email"]).key_id
    new_key = add_key_to_file(settings)  # what `bikenode keys rotate` does first
    app = client.app
    with app.state.session_factory() as db:  # type: ignore[attr-defined]
        start_reencryption(db, actor="test")
    app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    factor = _factor(client, payload["email"])
    assert factor.key_id == new_key != old_key
    assert key_id_of(factor.secret_sealed) == new_key
    # The old key can go: the secret opens under the new key alone, and MFA sign-in works.
    previous = current_key_ring()
    install_key_ring(KeyRing([k for k in _ring_keys(settings) if k[0] == new_key]))
    try:
        assert _login_with_mfa(client, payload["email"], totp_code(secret, step_offset=1)) == 200
        assert _login_with_mfa(client, payload["email"], "000000") == 401
    finally:
        install_key_ring(previous)


def _ring_keys(settings: Settings) -> list[tuple[str, bytes]]:
    from bikenode.encryption import key_file_path, parse_data_keys

    return parse_data_keys(key_file_path(settings).read_text())


def test_the_migration_seals_plain_secrets_stored_before_it(empty_database: Engine) -> None:
    migrate(empty_database, "0003_security")
    user_id, plain = uuid.uuid4(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts_users (id, email, password_hash, display_name, role, units,"
                " timezone, created_at, updated_at) VALUES (:id, 'old@example.org', 'x', 'Old',"
                " 'rider', 'metric', 'UTC', :now, :now)"
            ),
            {"id": _uuid_param(empty_database, user_id), "now": "2025-01-01 00:00:00+00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO accounts_mfa_factors (user_id, secret, created_at, last_used_step)"
                " VALUES (:id, :secret, :now, 0)"
            ),
            {
                "id": _uuid_param(empty_database, user_id),
                "secret": plain,
                "now": "2025-01-01 00:00:00+00:00",
            },
        )
    previous = current_key_ring()
    install_key_ring(KeyRing([("migration-key", os.urandom(32))]))
    try:
        migrate(empty_database, "heads")
        with Session(empty_database) as db:
            factor = db.get(MfaFactor, user_id)
            assert factor is not None
            assert plain.encode() not in factor.secret_sealed
            assert factor.key_id == "migration-key"
            assert open_secret(factor) == plain
        # And back: a downgrade writes the plain secret again (for a rollback of the app).
        migrate(empty_database, "0003_security", down=True)
        with empty_database.connect() as connection:
            restored = connection.execute(text("SELECT secret FROM accounts_mfa_factors")).scalar()
        assert restored == plain
    finally:
        install_key_ring(previous)


def _uuid_param(engine: Engine, value: uuid.UUID) -> object:
    # SQLAlchemy's Uuid type stores 32 hex digits on SQLite and a native uuid on PostgreSQL.
    return value.hex if engine.dialect.name == "sqlite" else value


def test_with_the_key_lost_totp_codes_fail_and_recovery_codes_still_work(
    client: TestClient,
) -> None:
    payload, headers = signed_in(client)
    secret, recovery = enable_mfa(client, headers)
    previous = current_key_ring()
    install_key_ring(KeyRing([("another-key", os.urandom(32))]))  # data.keys lost
    try:
        assert _login_with_mfa(client, payload["email"], totp_code(secret, step_offset=1)) == 401
        assert _login_with_mfa(client, payload["email"], recovery[0]) == 200
    finally:
        install_key_ring(previous)
