"""Brute force against sign-in: growing delays per account+IP, per IP and per account."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import STRONG_PASSWORD, register


def _from(app: FastAPI, ip: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(ip, 40000))


def _attempt(client: TestClient, email: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    ).status_code


def test_guessing_from_one_address_is_slowed_then_refused(client: TestClient) -> None:
    payload = register(client)
    answers = [_attempt(client, payload["email"], f"guess number {i:04d}") for i in range(6)]
    # Four free failures; the fifth sets a 1 s delay; the sixth, at once, is refused unhashed.
    assert answers == [401, 401, 401, 401, 401, 429]
    refused = client.post(
        "/api/v1/auth/login", json={"email": payload["email"], "password": STRONG_PASSWORD}
    )
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    assert "try again in" in refused.json()["detail"]


def test_the_owner_from_another_address_still_gets_in(app: FastAPI, client: TestClient) -> None:
    payload = register(client)
    attacker = _from(app, "203.0.113.66")
    for i in range(8):
        _attempt(attacker, payload["email"], f"guess number {i:04d}")
    assert _attempt(attacker, payload["email"], STRONG_PASSWORD) == 429
    owner = _from(app, "198.51.100.20")
    assert _attempt(owner, payload["email"], STRONG_PASSWORD) == 200


def test_delays_grow_with_each_failure(app: FastAPI, client: TestClient, session: Session) -> None:
    payload = register(client)
    key = f"account-ip:{payload['email']}|testclient"
    delays = []
    for i in range(8):
        _attempt(client, payload["email"], f"guess number {i:04d}")
        # Wind the clock: let the next attempt through at once, as if the delay had passed.
        row = session.execute(
            text(
                "SELECT failures, last_failure_at, next_attempt_at FROM accounts_login_throttles "
                "WHERE key = :k"
            ),
            {"k": key},
        ).one()
        delays.append(
            round((_aware(row.next_attempt_at) - _aware(row.last_failure_at)).total_seconds())
        )
        session.execute(
            text(
                "UPDATE accounts_login_throttles SET next_attempt_at = last_failure_at WHERE key = :k"
            ),
            {"k": key},
        )
        session.commit()
    assert delays == [0, 0, 0, 0, 1, 2, 4, 8]
    # A success clears the account's delays.
    assert _attempt(client, payload["email"], STRONG_PASSWORD) == 200
    left = session.execute(
        text("SELECT count(*) FROM accounts_login_throttles WHERE key = :k"), {"k": key}
    )
    assert left.scalar_one() == 0


def test_one_address_spraying_many_accounts_is_slowed(settings: Settings, engine: Engine) -> None:
    # Without the per-IP request rate limit (20 sign-ins a minute), which would stop it first.
    app = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    with TestClient(app):  # runs the app's lifespan: its connections are closed afterwards
        sprayer = _from(app, "203.0.113.99")
        _spray(sprayer)


def _spray(sprayer: TestClient) -> None:
    answers = [_attempt(sprayer, f"victim{i}@example.org", "Summer2026!Summer") for i in range(32)]
    assert answers[:30] == [401] * 30
    assert 429 in answers[30:]


def _aware(value: object) -> datetime:
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
