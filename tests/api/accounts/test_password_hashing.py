"""Stored password hashes: Argon2id with the OWASP parameters, upgraded at sign-in, and the
limit on hashes running at once (a login flood must not exhaust memory)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import argon2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bikenode.accounts.logic import normalise_password
from bikenode.accounts.models import User
from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import STRONG_PASSWORD, login, register
from tests.http import post_json
from tests.servers import served_app

# Argon2id, 19 MiB, 2 passes, 1 lane: the OWASP minimum that Settings enforces.
CURRENT = argon2.Parameters(
    type=argon2.Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
)


def _stored_hash(engine: Engine, email: str) -> str:
    with Session(engine) as db:
        return db.scalars(select(User.password_hash).where(User.email == email)).one()


def test_passwords_are_stored_as_salted_argon2id_with_the_owasp_parameters(
    client: TestClient, engine: Engine
) -> None:
    first = register(client)["email"]
    second = register(client)["email"]  # the same password
    stored = _stored_hash(engine, first)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert argon2.extract_parameters(stored) == CURRENT
    assert STRONG_PASSWORD not in stored
    assert stored != _stored_hash(engine, second)  # a random salt per hash
    assert argon2.PasswordHasher().verify(stored, normalise_password(STRONG_PASSWORD))


def test_a_hash_with_old_parameters_is_replaced_at_the_next_sign_in(
    client: TestClient, engine: Engine
) -> None:
    email = register(client)["email"]
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=2)
    old = weak.hash(normalise_password(STRONG_PASSWORD))
    with Session(engine) as db:
        db.execute(update(User).where(User.email == email).values(password_hash=old))
        db.commit()
    wrong = client.post("/api/v1/auth/login", json={"email": email, "password": "x" * 20})
    assert wrong.status_code == 401
    assert _stored_hash(engine, email) == old  # a wrong password changes nothing
    login(client, email)  # the old hash still opens the account...
    upgraded = _stored_hash(engine, email)
    assert upgraded != old  # ...and is replaced by one with today's parameters
    assert argon2.extract_parameters(upgraded) == CURRENT
    login(client, email)
    assert _stored_hash(engine, email) == upgraded  # a current hash is left alone


FLOOD = 8
LIMIT = 4


@pytest.fixture
def slow_hashing_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """A real server whose hashes take about a second each, at most LIMIT at a time."""
    changed = settings.model_copy(
        update={
            "argon2_time_cost": 30,
            "max_concurrent_password_hashes": LIMIT,
            "password_hash_wait_s": 0.2,
            "max_requests_in_flight": 2 * FLOOD,  # the flood reaches the hashing, not a queue
            "rate_limit_enabled": False,
        }
    )
    app = create_app(changed)
    try:
        with served_app(app) as base:
            yield base
    finally:
        app.state.engine.dispose()


def test_a_login_flood_runs_four_hashes_at_once_and_turns_the_rest_away(
    slow_hashing_server: str,
) -> None:
    start = threading.Barrier(FLOOD)
    answers: list[tuple[int, dict[str, str]]] = []
    lock = threading.Lock()

    def sign_in() -> None:
        # Unknown addresses still cost one full hash (timing parity), so each one counts.
        body = {"email": f"flood-{uuid.uuid4().hex[:8]}@example.org", "password": "y" * 20}
        start.wait()
        status, headers, _ = post_json(slow_hashing_server, "/api/v1/auth/login", body)
        with lock:
            answers.append((status, headers))

    threads = [threading.Thread(target=sign_in) for _ in range(FLOOD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(status for status, _ in answers)
    # LIMIT hashes ran (a wrong password: 401); the others waited 0.2 s for a slot, got 503.
    assert statuses == [401] * LIMIT + [503] * (FLOOD - LIMIT), statuses
    assert all(headers.get("retry-after") for status, headers in answers if status == 503)
