"""Small builders for test data: accounts through the API, with defaults a test can override."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from bikenode.db.base import Base

STRONG_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def register_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    payload: dict[str, Any] = {
        "email": f"rider{n}@example.org",
        "password": STRONG_PASSWORD,
        "display_name": f"Rider {n}",
    }
    payload.update(overrides)
    return payload


def register(client: TestClient, **overrides: Any) -> dict[str, Any]:
    """Register a user through the API and return the request payload used."""
    payload = register_payload(**overrides)
    response = client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 202, response.text
    return payload


def login(client: TestClient, email: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def signed_in(client: TestClient, **overrides: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A registered user's payload and the Authorization header of a fresh session."""
    payload = register(client, **overrides)
    tokens = login(client, payload["email"], payload["password"])
    return payload, {"Authorization": f"Bearer {tokens['access_token']}"}


def upload_files(
    client: TestClient, headers: dict[str, str], files: list[tuple[str, bytes]]
) -> list[dict[str, Any]]:
    """Upload files, run the worker until idle, and return each upload's final state."""
    response = client.post(
        "/api/v1/uploads",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        headers=headers,
    )
    assert response.status_code == 202, response.text
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    return [
        client.get(f"/api/v1/uploads/{u['id']}", headers=headers).json()
        for u in response.json()["uploads"]
    ]


def totp_code(secret: str, *, step_offset: int = 0) -> str:
    """The TOTP code of the current 30 s step (or one step before or after it)."""
    import time

    import pyotp

    return pyotp.TOTP(secret).at(int(time.time()) + 30 * step_offset)


def enable_mfa(
    client: TestClient, headers: dict[str, str], password: str = STRONG_PASSWORD
) -> tuple[str, list[str]]:
    """Turn TOTP MFA on for the signed-in user; returns the secret and the recovery codes."""
    started = client.post(
        "/api/v1/me/mfa/totp", json={"current_password": password}, headers=headers
    )
    assert started.status_code == 200, started.text
    secret: str = started.json()["secret"]
    confirmed = client.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": totp_code(secret)}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


def admin_with_mfa(
    client: TestClient, email: str = "admin@example.org"
) -> tuple[dict[str, str], str]:
    """An admin (created as the CLI does) with MFA on: the Authorization header and TOTP secret."""
    from bikenode.accounts.service import register_user

    app = client.app
    with app.state.session_factory() as db:  # type: ignore[attr-defined]
        register_user(
            db,
            app.state.accounts,  # type: ignore[attr-defined]
            email=email,
            password=STRONG_PASSWORD,
            display_name="Admin",
            role="admin",
        )
    tokens = login(client, email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    secret, _codes = enable_mfa(client, headers)
    return headers, secret


def database_text(engine: Engine) -> str:
    """Every row of every table, as text: where a value that should be gone, or should be
    sealed, would show if it were stored in plain."""
    rows = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows += [
                repr(tuple(row))
                for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))
            ]
    return "\n".join(rows)
