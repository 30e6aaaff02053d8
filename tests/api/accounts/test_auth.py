from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import STRONG_PASSWORD, login, register, register_payload, signed_in

SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"


def test_register_login_and_read_me(client: TestClient) -> None:
    payload = register(client, email="Ada@Example.ORG", display_name="Ada")
    tokens = login(client, "ada@example.org")
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "ada@example.org"
    assert body["display_name"] == payload["display_name"]
    assert body["role"] == "rider"
    assert "password_hash" not in body


def test_register_rejects_short_password_with_clear_message(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json=register_payload(password="short pass 12"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "at least 15 characters" in response.json()["detail"]


def test_register_accepts_64_character_password_without_composition_rules(
    client: TestClient,
) -> None:
    long_password = "a" * 40 + " plain lowercase words ok"
    assert len(long_password) >= 64
    payload = register(client, password=long_password)
    login(client, payload["email"], long_password)


def test_register_answers_the_same_for_a_taken_email_and_makes_no_second_account(
    client: TestClient,
) -> None:
    first = client.post("/api/v1/auth/register", json=register_payload(email="dup@example.org"))
    again = client.post(
        "/api/v1/auth/register",
        json=register_payload(email="DUP@example.org", password="another long passphrase"),
    )
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert first.headers["content-type"] == again.headers["content-type"]
    # The first password still signs in; the second one made nothing.
    login(client, "dup@example.org")
    refused = client.post(
        "/api/v1/auth/login",
        json={"email": "dup@example.org", "password": "another long passphrase"},
    )
    assert refused.status_code == 401


def test_register_timing_does_not_reveal_whether_the_email_exists(
    settings: Settings, engine: Engine
) -> None:
    unlimited = settings.model_copy(update={"rate_limit_register": "1000/minute"})
    with TestClient(create_app(unlimited)) as client:
        register(client, email="taken@example.org")

        def register_s(email: str) -> float:
            started = time.perf_counter()
            answer = client.post("/api/v1/auth/register", json=register_payload(email=email))
            assert answer.status_code == 202
            return time.perf_counter() - started

        new, taken = [], []
        for i in range(15):  # interleaved, so load on the machine falls on both
            new.append(register_s(f"fresh{i}@example.org"))
            taken.append(register_s("taken@example.org"))
    # The quickest of each: what the work costs, without the pauses of a loaded machine.
    # Both hash the password and write once; the mail to a taken address leaves later.
    new_s, taken_s = min(new), min(taken)
    assert 0.5 < taken_s / new_s < 2, f"new {new_s:.4f} s, taken {taken_s:.4f} s"


def test_register_rejects_invalid_email(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json=register_payload(email="not-an-email"))
    assert response.status_code == 422
    assert "e-mail" in response.json()["detail"]


def test_login_gives_same_answer_for_unknown_email_and_wrong_password(client: TestClient) -> None:
    payload = register(client)
    wrong_password = client.post(
        "/api/v1/auth/login", json={"email": payload["email"], "password": "x" * 20}
    )
    unknown_user = client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.org", "password": "x" * 20}
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json()["detail"] == unknown_user.json()["detail"]


def test_login_timing_does_not_reveal_whether_the_email_exists(client: TestClient) -> None:
    payload = register(client)

    def median_login_s(email: str) -> float:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            client.post("/api/v1/auth/login", json={"email": email, "password": "y" * 20})
            times.append(time.perf_counter() - started)
        return sorted(times)[3]

    known, unknown = median_login_s(payload["email"]), median_login_s("ghost@example.org")
    # Both run one Argon2 verification; without the dummy hash the unknown case is ~100x faster.
    assert unknown > known * 0.5


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient) -> None:
    payload = register(client)
    first = login(client, payload["email"])
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    third = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert third.status_code == 200
    latest = third.json()
    # The first token comes back after its successor was itself used: no race, a replay.
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    # The thief's replay ended the whole session: the latest token and its access token die too.
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": latest["refresh_token"]})
    assert after.status_code == 401
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {latest['access_token']}"})
    assert me.status_code == 401


def test_logout_ends_the_session_immediately(client: TestClient) -> None:
    payload = register(client)
    tokens = login(client, payload["email"])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    out = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def _token(user_id: str, session_id: str, **overrides: object) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": "bikenode",
        "aud": "bikenode-api",
        "sub": user_id,
        "sid": session_id,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    claims.update(overrides)
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _claims_of(access_token: str) -> dict[str, str]:
    decoded: dict[str, str] = jwt.decode(access_token, options={"verify_signature": False})
    return decoded


def test_me_rejects_expired_forged_alg_none_and_wrong_audience_tokens(client: TestClient) -> None:
    payload = register(client)
    good = login(client, payload["email"])["access_token"]
    claims = _claims_of(good)
    user_id, session_id = claims["sub"], claims["sid"]
    # Sanity: a token we mint ourselves with the right claims is accepted...
    minted = _token(user_id, session_id)
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {minted}"}).status_code == 200
    )
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    bad_tokens = {
        "expired": _token(user_id, session_id, exp=past, iat=past - 60),
        "wrong audience": _token(user_id, session_id, aud="someone-else"),
        "wrong issuer": _token(user_id, session_id, iss="evil"),
        "forged": jwt.encode(
            _claims_of(minted), "another-secret-of-sufficient-length-000", "HS256"
        ),
        "alg none": jwt.encode(_claims_of(minted), None, algorithm="none"),  # type: ignore[arg-type]
        "refresh type": _token(user_id, session_id, typ="refresh"),
        "garbage": "not.a.token",
    }
    for name, token in bad_tokens.items():
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json", name
    assert client.get("/api/v1/me").status_code == 401


def test_change_password_ends_other_sessions_but_keeps_this_one(client: TestClient) -> None:
    payload, headers = signed_in(client)
    other = login(client, payload["email"])
    new_password = "a completely different passphrase"
    response = client.post(
        "/api/v1/me/password",
        json={"current_password": STRONG_PASSWORD, "new_password": new_password},
        headers=headers,
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    other_headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert client.get("/api/v1/me", headers=other_headers).status_code == 401
    login(client, payload["email"], new_password)
    wrong = client.post(
        "/api/v1/auth/login", json={"email": payload["email"], "password": STRONG_PASSWORD}
    )
    assert wrong.status_code == 401


def test_change_password_requires_the_current_one(client: TestClient) -> None:
    _, headers = signed_in(client)
    response = client.post(
        "/api/v1/me/password",
        json={"current_password": "wrong wrong wrong wrong", "new_password": "x" * 20},
        headers=headers,
    )
    assert response.status_code == 403
