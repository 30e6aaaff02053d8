"""TOTP MFA end to end: enrolment with a QR code, the second sign-in step, recovery codes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import (
    STRONG_PASSWORD,
    admin_with_mfa,
    enable_mfa,
    signed_in,
    totp_code,
)


def _login(client: TestClient, email: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _second_step(client: TestClient, mfa_token: str, code: str) -> Any:
    return client.post("/api/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})


def test_enrolment_serves_a_qr_svg_and_needs_a_code_to_turn_on(client: TestClient) -> None:
    _, headers = signed_in(client)
    wrong_password = client.post(
        "/api/v1/me/mfa/totp", json={"current_password": "not my password at all"}, headers=headers
    )
    assert wrong_password.status_code == 403
    started = client.post(
        "/api/v1/me/mfa/totp", json={"current_password": STRONG_PASSWORD}, headers=headers
    )
    assert started.status_code == 200
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/BikeNode:")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert started.headers["cache-control"] == "no-store"
    qr = client.get(body["qr_svg_url"], headers=headers)
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.lstrip().startswith("<svg")
    assert client.get("/api/v1/me/mfa", headers=headers).json() == {
        "enabled": False,
        "pending_enrolment": True,
        "recovery_codes_left": 0,
    }
    bad = client.post("/api/v1/me/mfa/totp/confirm", json={"code": "000000"}, headers=headers)
    assert bad.status_code == 401
    confirmed = client.post(
        "/api/v1/me/mfa/totp/confirm", json={"code": totp_code(body["secret"])}, headers=headers
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))
    assert client.get("/api/v1/me/mfa", headers=headers).json()["enabled"] is True
    # The QR code (the secret) is not shown again once MFA is on.
    assert client.get(body["qr_svg_url"], headers=headers).status_code == 404


def test_login_needs_the_second_step_and_a_code_works_once(client: TestClient) -> None:
    payload, headers = signed_in(client)
    secret, _ = enable_mfa(client, headers)
    first = _login(client, payload["email"])
    assert first["mfa_required"] is True
    assert "access_token" not in first
    # The second-step token is no access token.
    as_access = client.get("/api/v1/me", headers={"Authorization": f"Bearer {first['mfa_token']}"})
    assert as_access.status_code == 401
    code = totp_code(secret, step_offset=1)  # the enrolment used the current step
    done = _second_step(client, first["mfa_token"], code)
    assert done.status_code == 200, done.text
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {done.json()['access_token']}"}
    )
    assert me.status_code == 200
    # RFC 6238: the same code a second time (same step) is refused, even in a new sign-in.
    again = _second_step(client, _login(client, payload["email"])["mfa_token"], code)
    assert again.status_code == 401
    assert "already used" in again.json()["detail"]


def test_recovery_codes_work_once_each_and_are_stored_hashed(
    client: TestClient, session: Session
) -> None:
    payload, headers = signed_in(client)
    _, codes = enable_mfa(client, headers)
    stored = session.execute(text("SELECT code_hash FROM accounts_recovery_codes")).scalars().all()
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    assert all(len(h) == 64 for h in stored)
    session.rollback()  # end the read: SQLite allows one writer, and the app writes next
    token = _login(client, payload["email"])["mfa_token"]
    assert _second_step(client, token, codes[0].upper()).status_code == 200
    token = _login(client, payload["email"])["mfa_token"]
    reused = _second_step(client, token, codes[0])
    assert reused.status_code == 401
    assert client.get("/api/v1/me/mfa", headers=headers).json()["recovery_codes_left"] == 9


def test_totp_guessing_is_throttled(client: TestClient) -> None:
    payload, headers = signed_in(client)
    secret, _ = enable_mfa(client, headers)
    token = _login(client, payload["email"])["mfa_token"]
    answers = [_second_step(client, token, "000000").status_code for _ in range(5)]
    assert answers[:4] == [401, 401, 401, 401]
    assert answers[4] == 429
    # Even the right code waits out the delay: a guesser cannot try faster by being right.
    right = _second_step(client, token, totp_code(secret, step_offset=1))
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1


def test_with_mfa_the_password_minimum_is_eight_and_common_ones_are_refused(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    change = {"current_password": STRONG_PASSWORD, "new_password": "tram-kite"}
    assert client.post("/api/v1/me/password", json=change, headers=headers).status_code == 422
    enable_mfa(client, headers)
    common = {"current_password": STRONG_PASSWORD, "new_password": "iloveyou"}
    refused = client.post("/api/v1/me/password", json=common, headers=headers)
    assert refused.status_code == 422
    assert "common or breached" in refused.json()["detail"]
    assert client.post("/api/v1/me/password", json=change, headers=headers).status_code == 204


def test_register_refuses_a_breached_password(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "b@example.org", "password": "qwertyuiop12345", "display_name": "B"},
    )
    assert response.status_code == 422
    assert "common or breached" in response.json()["detail"]


def test_disabling_mfa_needs_password_and_code(client: TestClient) -> None:
    payload, headers = signed_in(client)
    _, codes = enable_mfa(client, headers)
    no_code = client.post(
        "/api/v1/me/mfa/disable",
        json={"current_password": STRONG_PASSWORD, "code": "111111"},
        headers=headers,
    )
    assert no_code.status_code == 401
    off = client.post(
        "/api/v1/me/mfa/disable",
        json={"current_password": STRONG_PASSWORD, "code": codes[3]},
        headers=headers,
    )
    assert off.status_code == 204
    assert "access_token" in _login(client, payload["email"])


def test_mfa_changes_and_logins_are_audited(client: TestClient, session: Session) -> None:
    payload, headers = signed_in(client)
    secret, _ = enable_mfa(client, headers)
    token = _login(client, payload["email"])["mfa_token"]
    _second_step(client, token, totp_code(secret, step_offset=1))
    client.post("/api/v1/auth/login", json={"email": payload["email"], "password": "x" * 20})
    events = (
        session.execute(text("SELECT event_type FROM audit_events ORDER BY seq")).scalars().all()
    )
    assert events == [
        "auth.login_succeeded",
        "mfa.enabled",
        "auth.login_succeeded",
        "auth.login_failed",
    ]


def test_admin_routes_need_mfa_and_role_changes_are_audited(
    client: TestClient, session: Session
) -> None:
    admin_headers, _ = admin_with_mfa(client)
    _, rider_headers = signed_in(client)
    rider_id = client.get("/api/v1/me", headers=rider_headers).json()["id"]
    changed = client.put(
        f"/api/v1/users/{rider_id}/role", json={"role": "mechanic"}, headers=admin_headers
    )
    assert changed.status_code == 200
    row = session.execute(
        text("SELECT details FROM audit_events WHERE event_type = 'accounts.role_changed'")
    ).scalar_one()
    details = row if isinstance(row, dict) else __import__("json").loads(row)
    assert details == {"from": "rider", "to": "mechanic"}
