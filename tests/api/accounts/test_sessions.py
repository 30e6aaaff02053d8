"""Sessions: idle and absolute lifetimes, the sessions list, and telling the user about reuse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.accounts.models import RefreshToken
from bikenode.app import create_app
from bikenode.audit import verify_log
from bikenode.audit.models import AuditEvent
from bikenode.config import Settings
from tests.factories import login, register

DAY = timedelta(days=1)


def _session_id(tokens: dict[str, Any]) -> uuid.UUID:
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return uuid.UUID(claims["sid"])


def _age_session(engine: Engine, session_id: uuid.UUID, by: timedelta) -> None:
    """Move every time of the session `by` into the past: as if that much time went by."""
    with Session(engine) as db:
        for token in db.scalars(select(RefreshToken).where(RefreshToken.family_id == session_id)):
            token.issued_at -= by
            token.session_started_at -= by
            token.expires_at -= by
            if token.used_at is not None:
                token.used_at -= by
        db.commit()


def _refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_session_refreshed_every_ten_days_still_ends_after_ninety(
    client: TestClient, engine: Engine
) -> None:
    tokens = login(client, register(client)["email"])
    session_id = _session_id(tokens)
    for _ in range(8):  # refreshed on days 10, 20, ... 80: well within the 30-day idle timeout
        _age_session(engine, session_id, 10 * DAY)
        answer = _refresh(client, tokens["refresh_token"])
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
    [listed] = client.get("/api/v1/me/sessions", headers=_bearer(tokens)).json()
    started = _when(listed["started_at"])
    # On day 80 the idle deadline (day 110) is cut to the absolute one (day 90).
    assert _when(listed["absolute_expires_at"]) == started + 90 * DAY
    assert _when(listed["expires_at"]) == started + 90 * DAY
    assert _when(listed["last_used_at"]) - started > 79 * DAY
    _age_session(engine, session_id, 11 * DAY)  # day 91
    assert _refresh(client, tokens["refresh_token"]).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(tokens)).status_code == 401


def test_a_session_left_idle_past_its_timeout_ends(client: TestClient, engine: Engine) -> None:
    tokens = login(client, register(client)["email"])
    [listed] = client.get("/api/v1/me/sessions", headers=_bearer(tokens)).json()
    assert _when(listed["expires_at"]) == _when(listed["last_used_at"]) + 30 * DAY
    _age_session(engine, _session_id(tokens), 30 * DAY - timedelta(minutes=1))
    assert client.get("/api/v1/me", headers=_bearer(tokens)).status_code == 200
    _age_session(engine, _session_id(tokens), timedelta(minutes=2))
    assert client.get("/api/v1/me", headers=_bearer(tokens)).status_code == 401
    assert _refresh(client, tokens["refresh_token"]).status_code == 401


@pytest.fixture
def short_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    changed = settings.model_copy(
        update={"session_idle_ttl_s": 2 * 3600, "session_absolute_ttl_s": 4 * 3600}
    )
    with TestClient(create_app(changed), raise_server_exceptions=False) as client:
        yield client


def test_the_idle_and_absolute_lifetimes_are_settings(
    short_client: TestClient, engine: Engine
) -> None:
    client = short_client
    tokens = login(client, register(client)["email"])
    [listed] = client.get("/api/v1/me/sessions", headers=_bearer(tokens)).json()
    started = _when(listed["started_at"])
    assert _when(listed["expires_at"]) == started + timedelta(hours=2)
    assert _when(listed["absolute_expires_at"]) == started + timedelta(hours=4)
    session_id = _session_id(tokens)
    for _ in range(2):  # refreshed after 1.5 h and 3 h: each time within the idle timeout
        _age_session(engine, session_id, timedelta(hours=1.5))
        answer = _refresh(client, tokens["refresh_token"])
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
    # Refreshed at 3 h, the idle timeout would run to 5 h: the absolute one ends it at 4 h.
    _age_session(engine, session_id, timedelta(minutes=59))  # 3 h 59 min in
    assert client.get("/api/v1/me", headers=_bearer(tokens)).status_code == 200
    _age_session(engine, session_id, timedelta(minutes=2))  # 4 h 1 min in
    assert client.get("/api/v1/me", headers=_bearer(tokens)).status_code == 401
    assert _refresh(client, tokens["refresh_token"]).status_code == 401


def test_the_sessions_list_shows_each_sign_in_and_ends_one_on_request(client: TestClient) -> None:
    email = register(client)["email"]
    laptop, phone = login(client, email), login(client, email)
    phone = _refresh(client, phone["refresh_token"]).json()
    listed = client.get("/api/v1/me/sessions", headers=_bearer(laptop)).json()
    assert {item["id"] for item in listed} == {str(_session_id(laptop)), str(_session_id(phone))}
    assert [item["current"] for item in listed if item["id"] == str(_session_id(laptop))] == [True]
    assert set(listed[0]) == {
        "id",
        "started_at",
        "last_used_at",
        "expires_at",
        "absolute_expires_at",
        "current",
    }
    phone_item = next(item for item in listed if item["id"] == str(_session_id(phone)))
    assert _when(phone_item["last_used_at"]) > _when(phone_item["started_at"])

    ended = client.delete(f"/api/v1/me/sessions/{_session_id(phone)}", headers=_bearer(laptop))
    assert ended.status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(phone)).status_code == 401
    assert _refresh(client, phone["refresh_token"]).status_code == 401
    listed = client.get("/api/v1/me/sessions", headers=_bearer(laptop)).json()
    assert [item["id"] for item in listed] == [str(_session_id(laptop))]


def test_nobody_sees_or_ends_another_users_sessions(client: TestClient) -> None:
    victim = login(client, register(client)["email"])
    stranger = login(client, register(client)["email"])
    listed = client.get("/api/v1/me/sessions", headers=_bearer(stranger)).json()
    assert [item["id"] for item in listed] == [str(_session_id(stranger))]
    path = f"/api/v1/me/sessions/{_session_id(victim)}"
    assert client.delete(path, headers=_bearer(stranger)).status_code == 404
    assert client.get("/api/v1/me", headers=_bearer(victim)).status_code == 200
    assert client.get("/api/v1/me/sessions").status_code == 401


def _outbox(settings: Settings) -> list[Path]:
    return sorted((settings.data_dir / "outbox").glob("*.eml"))


def test_reuse_is_audited_and_the_user_is_told_by_e_mail(
    client: TestClient, settings: Settings, engine: Engine
) -> None:
    email = register(client)["email"]
    first = login(client, email)
    second = _refresh(client, first["refresh_token"]).json()
    third = _refresh(client, second["refresh_token"]).json()
    assert _outbox(settings) == []  # rotation alone tells nobody anything
    replay = _refresh(client, first["refresh_token"])
    assert replay.status_code == 401
    assert _refresh(client, third["refresh_token"]).status_code == 401

    user_id = client.get("/api/v1/me", headers=_bearer(login(client, email))).json()["id"]
    with Session(engine) as db:
        events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        reused = [event for event in events if event.event_type == "auth.refresh_token_reused"]
        assert len(reused) == 1
        assert reused[0].details == {"session_id": str(_session_id(first))}
        assert str(reused[0].subject_id) == user_id
        assert verify_log(db)[2] == []

    [eml] = _outbox(settings)
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == email
    assert message["Subject"] == "A BikeNode session of yours was ended"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert str(_session_id(first)) in text
    assert "change your password" in text
    for secret in (first["refresh_token"], third["refresh_token"], third["access_token"]):
        assert secret not in eml.read_text()


def test_a_reused_web_session_cookie_is_dropped_and_the_user_told(
    client: TestClient, settings: Settings
) -> None:
    payload = register(client)
    headers = {"X-Requested-With": "fetch"}
    account = {"email": payload["email"], "password": payload["password"]}
    signed = client.post("/api/v1/auth/web/login", json=account, headers=headers)
    assert signed.status_code == 200, signed.text
    old_cookie = client.cookies["bikenode_refresh"]
    for _ in range(2):  # rotate twice: the old cookie's successor is used too
        rotated = client.post("/api/v1/auth/web/refresh", headers=headers)
        assert rotated.status_code == 200, rotated.text
    assert client.cookies["bikenode_refresh"] != old_cookie
    client.cookies.clear()
    client.cookies.set("bikenode_refresh", old_cookie)
    replay = client.post("/api/v1/auth/web/refresh", headers=headers)
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    assert 'bikenode_refresh=""' in replay.headers["set-cookie"]
    [eml] = _outbox(settings)
    assert message_from_bytes(eml.read_bytes(), policy=policy.default)["To"] == payload["email"]
