"""Cookie sessions for the web app: an HttpOnly refresh cookie, CSRF-checked endpoints."""

from __future__ import annotations

from http.cookies import Morsel, SimpleCookie

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import STRONG_PASSWORD, register

WEB = "/api/v1/auth/web"
CSRF = {"X-Requested-With": "bikenode"}
COOKIE = "bikenode_refresh"


def _set_cookie(response: httpx2.Response) -> Morsel[str]:
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    jar: SimpleCookie = SimpleCookie()
    jar.load(headers[0])
    return jar[COOKIE]


def _web_login(client: TestClient, email: str, password: str = STRONG_PASSWORD) -> httpx2.Response:
    return client.post(f"{WEB}/login", json={"email": email, "password": password}, headers=CSRF)


def _bearer(response: httpx2.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_login_sets_an_httponly_strict_cookie_and_returns_only_the_access_token(
    client: TestClient,
) -> None:
    user = register(client)
    response = _web_login(client, user["email"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert response.headers["cache-control"] == "no-store"
    cookie = _set_cookie(response)
    assert cookie.value and cookie.value not in response.text
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "strict"
    assert cookie["path"] == WEB
    assert not cookie["secure"]  # plain http here
    assert int(cookie["max-age"]) == 30 * 24 * 3600
    assert client.get("/api/v1/me", headers=_bearer(response)).json()["email"] == user["email"]


def test_cookie_is_secure_when_the_request_came_over_tls(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as tls_client:
        user = register(tls_client)
        cookie = _set_cookie(_web_login(tls_client, user["email"]))
    assert cookie["secure"] is True


def test_wrong_password_is_refused_with_a_clear_message_and_no_cookie(client: TestClient) -> None:
    user = register(client)
    response = _web_login(client, user["email"], "not the right password at all")
    assert response.status_code == 401
    assert response.json()["detail"] == "the e-mail address or password is not correct"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("action", ["login", "refresh", "logout"])
def test_every_session_endpoint_requires_the_csrf_header(client: TestClient, action: str) -> None:
    user = register(client)
    assert _web_login(client, user["email"]).status_code == 200
    body = {"email": user["email"], "password": STRONG_PASSWORD} if action == "login" else None
    response = client.post(f"{WEB}/{action}", json=body)
    assert response.status_code == 403
    assert "X-Requested-With" in response.json()["detail"]
    assert "set-cookie" not in response.headers
    # The session survived the forged request.
    assert client.post(f"{WEB}/refresh", headers=CSRF).status_code == 200


def test_refresh_rotates_the_cookie_and_a_replayed_cookie_ends_the_session(
    client: TestClient,
) -> None:
    user = register(client)
    first = _set_cookie(_web_login(client, user["email"])).value
    refreshed = client.post(f"{WEB}/refresh", headers=CSRF)
    assert refreshed.status_code == 200, refreshed.text
    assert set(refreshed.json()) == {"access_token", "token_type", "expires_in"}
    second = _set_cookie(refreshed).value
    assert second != first
    assert client.get("/api/v1/me", headers=_bearer(refreshed)).status_code == 200
    again = client.post(f"{WEB}/refresh", headers=CSRF)  # the owner's next refresh
    assert again.status_code == 200, again.text
    third = _set_cookie(again).value
    client.cookies.clear()
    client.cookies.set(COOKIE, first, path=WEB)  # a stolen cookie, used two rotations ago
    replayed = client.post(f"{WEB}/refresh", headers=CSRF)
    assert replayed.status_code == 401
    assert "already used" in replayed.json()["detail"]
    client.cookies.clear()
    client.cookies.set(COOKIE, third, path=WEB)
    assert client.post(f"{WEB}/refresh", headers=CSRF).status_code == 401


def test_refresh_without_a_cookie_says_so_and_clears_the_cookie(client: TestClient) -> None:
    response = client.post(f"{WEB}/refresh", headers=CSRF)
    assert response.status_code == 401
    assert "no session cookie" in response.json()["detail"]
    assert int(_set_cookie(response)["max-age"]) == 0


def test_logout_ends_the_session_and_deletes_the_cookie(client: TestClient) -> None:
    user = register(client)
    signed_in = _web_login(client, user["email"])
    response = client.post(f"{WEB}/logout", headers=CSRF)
    assert response.status_code == 204
    cleared = _set_cookie(response)
    assert int(cleared["max-age"]) == 0 and cleared["path"] == WEB
    assert client.get("/api/v1/me", headers=_bearer(signed_in)).status_code == 401
    assert client.post(f"{WEB}/refresh", headers=CSRF).status_code == 401


def test_cookie_is_only_sent_to_the_session_endpoints(client: TestClient) -> None:
    user = register(client)
    _web_login(client, user["email"])
    sent: list[str] = []

    def record(request: httpx2.Request) -> None:
        if "cookie" in request.headers:
            sent.append(request.url.path)

    client.event_hooks["request"].append(record)
    client.get("/api/v1/me")
    client.get("/")
    client.post(f"{WEB}/refresh", headers=CSRF)
    assert sent == [f"{WEB}/refresh"]


def test_logging_out_one_browser_keeps_the_other_signed_in(
    client: TestClient, app: FastAPI
) -> None:
    email = register(client)["email"]
    _web_login(client, email)
    with TestClient(app) as other:
        assert _web_login(other, email).status_code == 200
        client.post(f"{WEB}/logout", headers=CSRF)
        assert other.post(f"{WEB}/refresh", headers=CSRF).status_code == 200
