"""Security headers, HSTS only over TLS, the CORS allow-list, and no secrets in the logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import STRONG_PASSWORD, enable_mfa, register, totp_code


def test_api_answers_carry_strict_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    headers = response.headers
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in headers  # plain HTTP: HSTS would be ignored


def test_the_app_page_keeps_its_own_policy(client: TestClient) -> None:
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["referrer-policy"] == "same-origin"
    assert len(page.headers.get_list("content-security-policy")) == 1


def test_hsts_is_sent_behind_tls(client: TestClient) -> None:
    tls = TestClient(client.app, base_url="https://testserver")
    hsts = tls.get("/healthz").headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")


def test_cors_answers_only_allowed_origins(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"cors_allow_origins": "https://club.example"}))
    with TestClient(app) as client:
        _check_cors(client)


def _check_cors(client: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = client.options("/api/v1/me", headers={"Origin": "https://club.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://club.example"
    assert "access-control-allow-credentials" not in allowed.headers
    denied = client.options("/api/v1/me", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in denied.headers
    # The web session's CSRF header is never granted cross-origin.
    csrf = {
        "Origin": "https://club.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-requested-with",
    }
    assert client.options("/api/v1/auth/web/refresh", headers=csrf).status_code == 400


def test_no_cors_headers_without_an_allow_list(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Origin": "https://club.example"})
    assert "access-control-allow-origin" not in response.headers


def test_passwords_tokens_and_codes_never_reach_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = register(client)
    password = {"email": payload["email"], "password": STRONG_PASSWORD}
    tokens = client.post("/api/v1/auth/login", json=password).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    secret, codes = enable_mfa(client, headers)
    challenge = client.post("/api/v1/auth/login", json=password).json()
    code = totp_code(secret, step_offset=1)
    second = client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": challenge["mfa_token"], "code": code}
    )
    assert second.status_code == 200, second.text
    recovery_challenge = client.post("/api/v1/auth/login", json=password).json()
    recovered = client.post(
        "/api/v1/auth/login/mfa",
        json={"mfa_token": recovery_challenge["mfa_token"], "code": codes[0]},
    )
    assert recovered.status_code == 200, recovered.text
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    wrong = client.post("/api/v1/auth/login", json={**password, "password": "wrong " * 4})
    assert wrong.status_code == 401, wrong.text
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "POST /api/v1/auth/login/mfa 200" in logged  # the access log did run
    secrets = [
        STRONG_PASSWORD,
        "wrong wrong",
        tokens["access_token"],
        tokens["refresh_token"],
        challenge["mfa_token"],
        recovery_challenge["mfa_token"],
        secret,
        code,
        codes[0],  # the recovery code that signed in above
        second.json()["access_token"],
        recovered.json()["access_token"],
        recovered.json()["refresh_token"],
        refreshed.json()["access_token"],
        refreshed.json()["refresh_token"],
    ]
    for value in secrets:
        assert value not in logged
