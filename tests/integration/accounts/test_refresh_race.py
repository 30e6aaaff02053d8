"""Refreshes racing with one token (two tabs, a retry) against a real uvicorn server.

Each round sends the same refresh token from several threads released together, so the
requests overlap in the server (on PostgreSQL the losers' UPDATE waits for the winner's
commit; on SQLite they queue for the write lock).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bikenode.accounts.models import RefreshToken
from bikenode.app import create_app
from bikenode.audit.models import AuditEvent
from bikenode.config import Settings
from tests.factories import STRONG_PASSWORD
from tests.http import call_json, post_json
from tests.servers import served_app

RACERS = 4
ROUNDS = 3


def _serve(settings: Settings, **changes: Any) -> Iterator[str]:
    app = create_app(settings.model_copy(update={"rate_limit_enabled": False, **changes}))
    try:
        with served_app(app) as base:
            yield base
    finally:
        app.state.engine.dispose()


@pytest.fixture
def server(settings: Settings, engine: Engine) -> Iterator[str]:
    yield from _serve(settings)


@pytest.fixture
def strict_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """No grace window: the rule is then 'one wins, the others are a reuse'."""
    yield from _serve(settings, refresh_grace_s=0)


def _signed_in(base: str) -> dict[str, Any]:
    account = {"email": f"racer-{uuid.uuid4().hex[:8]}@example.org", "password": STRONG_PASSWORD}
    call_json(base, "/api/v1/auth/register", body=account | {"display_name": "Racer"})
    tokens: dict[str, Any] = call_json(base, "/api/v1/auth/login", body=account)
    return tokens


def _race(base: str, refresh_token: str) -> list[tuple[int, Any]]:
    """The same refresh sent by RACERS threads at once: each one's status and answer."""
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def refresh() -> None:
        start.wait()
        status, _headers, body = post_json(
            base, "/api/v1/auth/refresh", {"refresh_token": refresh_token}
        )
        with lock:
            answers.append((status, body))

    threads = [threading.Thread(target=refresh) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == RACERS
    return answers


def _session_id(tokens: dict[str, Any]) -> uuid.UUID:
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return uuid.UUID(claims["sid"])


def _me_status(base: str, access_token: str) -> int:
    try:
        call_json(base, "/api/v1/me", token=access_token)
    except OSError as error:
        return int(getattr(error, "code", 0))
    return 200


def _tokens_in_session(engine: Engine, session_id: uuid.UUID) -> int:
    with Session(engine) as db:
        query = select(func.count()).where(RefreshToken.family_id == session_id)
        return int(db.scalar(query) or 0)


def _reuse_events(engine: Engine) -> int:
    with Session(engine) as db:
        query = select(func.count()).where(AuditEvent.event_type == "auth.refresh_token_reused")
        return int(db.scalar(query) or 0)


def _outbox(settings: Settings, *, expect: int = 0) -> list[Path]:
    """The mails written so far, waiting up to 10 s for `expect` (they leave after the answer)."""
    deadline = time.monotonic() + 10
    while True:
        found = list((settings.data_dir / "outbox").glob("*.eml"))
        if len(found) >= expect or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_racing_refreshes_within_the_grace_window_all_get_the_same_new_token(
    server: str, engine: Engine, settings: Settings
) -> None:
    tokens = _signed_in(server)
    session_id = _session_id(tokens)
    for round_number in range(1, ROUNDS + 1):
        answers = _race(server, tokens["refresh_token"])
        assert [status for status, _ in answers] == [200] * RACERS, answers
        new_tokens = {body["refresh_token"] for _, body in answers}
        assert len(new_tokens) == 1  # one new token for all, so every tab can keep going
        assert tokens["refresh_token"] not in new_tokens
        for _, body in answers:
            assert _session_id(body) == session_id
            assert _me_status(server, body["access_token"]) == 200
        # One rotation per round, however many requests raced: no fork of the session.
        assert _tokens_in_session(engine, session_id) == 1 + round_number
        tokens = answers[0][1]
    assert _reuse_events(engine) == 0
    assert _outbox(settings) == []


def test_without_a_grace_window_one_racer_wins_and_the_rest_end_the_session(
    strict_server: str, engine: Engine, settings: Settings
) -> None:
    tokens = _signed_in(strict_server)
    answers = _race(strict_server, tokens["refresh_token"])
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [401] * (RACERS - 1), answers
    [winner] = [body for status, body in answers if status == 200]
    assert any("already used" in body["detail"] for status, body in answers if status == 401)
    # The losers' reuse ended the session, the winner's new tokens included.
    assert _me_status(strict_server, winner["access_token"]) == 401
    status, _, _ = post_json(
        strict_server, "/api/v1/auth/refresh", {"refresh_token": winner["refresh_token"]}
    )
    assert status == 401
    # One incident, one audit entry and one e-mail, however many losers saw it at once.
    assert _reuse_events(engine) == 1
    assert len(_outbox(settings, expect=1)) == 1
