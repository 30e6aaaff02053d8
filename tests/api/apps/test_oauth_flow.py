"""The OAuth2 authorization server against a real uvicorn, driven by requests-oauthlib."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fastapi import FastAPI
from requests_oauthlib import OAuth2Session

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import register_payload
from tests.servers import served_app

REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture
def base(settings: Settings, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # oauthlib refuses plain http even on loopback unless told; the server itself allows it.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    app: FastAPI = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    try:
        with served_app(app) as url:
            yield url
    finally:
        app.state.engine.dispose()


def rider(base: str) -> dict[str, str]:
    payload = register_payload()
    assert (
        requests.post(f"{base}/api/v1/auth/register", json=payload, timeout=10).status_code == 202
    )
    answer = requests.post(
        f"{base}/api/v1/auth/login",
        json={"email": payload["email"], "password": payload["password"]},
        timeout=10,
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def register_app(base: str, headers: dict[str, str], *, confidential: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Coach tool",
        "redirect_uris": [REDIRECT],
        "confidential": confidential,
    }
    answer = requests.post(f"{base}/api/v1/apps", json=body, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def consent(base: str, headers: dict[str, str], authorization_url: str) -> str:
    """The rider's browser: follow /oauth/authorize to the consent page, then allow."""
    first = requests.get(authorization_url, allow_redirects=False, timeout=10)
    assert first.status_code == 302, first.text
    consent_page = urlsplit(first.headers["location"])
    assert consent_page.path == "/oauth/consent"
    params = {k: v[0] for k, v in parse_qs(consent_page.query).items()}
    details = requests.get(
        f"{base}/api/v1/oauth/consent",
        params={"client_id": params["client_id"], "scope": params["scope"]},
        headers=headers,
        timeout=10,
    )
    assert details.status_code == 200, details.text
    assert list(details.json()["scopes"]) == params["scope"].split()
    assert all(words.startswith("See ") for words in details.json()["scopes"].values())
    decided = requests.post(
        f"{base}/oauth/authorize", data={**params, "decision": "allow"}, headers=headers, timeout=10
    )
    assert decided.status_code == 200, decided.text
    redirect_to: str = decided.json()["redirect_to"]
    return redirect_to


def authorized(
    base: str, scope: list[str], *, confidential: bool = False
) -> tuple[OAuth2Session, dict[str, Any], str, dict[str, Any]]:
    headers = rider(base)
    app = register_app(base, headers, confidential=confidential)
    client = OAuth2Session(app["client_id"], redirect_uri=REDIRECT, scope=scope, pkce="S256")
    url, state = client.authorization_url(f"{base}/oauth/authorize")
    redirect_to = consent(base, headers, url)
    assert parse_qs(urlsplit(redirect_to).query)["state"] == [state]
    return client, app, redirect_to, headers


def fetch(client: OAuth2Session, base: str, app: dict[str, Any], redirect_to: str) -> Any:
    secret = app["client_secret"]
    return client.fetch_token(
        f"{base}/oauth/token",
        authorization_response=redirect_to,
        include_client_id=secret is None,
        client_secret=secret,
    )


def test_a_public_client_completes_the_pkce_flow_and_reads_the_profile(base: str) -> None:
    client, app, redirect_to, _ = authorized(base, ["profile:read"])
    token = fetch(client, base, app, redirect_to)
    assert token["access_token"].startswith("bna_") and token["scope"] == ["profile:read"]
    me = client.get(f"{base}/api/v1/me", timeout=10)
    assert me.status_code == 200, me.text
    # Account routes are never open to apps, whatever their scopes.
    sessions = client.get(f"{base}/api/v1/me/sessions", timeout=10)
    assert sessions.status_code == 403 and "insufficient_scope" in sessions.text
    assert client.get(f"{base}/api/v1/rides", timeout=10).status_code == 403


def test_a_confidential_client_authenticates_with_its_secret(base: str) -> None:
    client, app, redirect_to, _ = authorized(base, ["rides:read"], confidential=True)
    assert app["client_secret"].startswith("bns_")
    token = fetch(client, base, app, redirect_to)
    assert client.get(f"{base}/api/v1/rides", timeout=10).status_code == 200
    introspected = requests.post(
        f"{base}/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(app["client_id"], app["client_secret"]),
        timeout=10,
    ).json()
    assert introspected["active"] is True and introspected["scope"] == "rides:read"
    wrong = requests.post(
        f"{base}/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(app["client_id"], "bns_wrong"),
        timeout=10,
    )
    assert wrong.status_code == 401


def test_a_code_is_refused_the_second_time_and_its_tokens_revoked(base: str) -> None:
    client, app, redirect_to, _ = authorized(base, ["profile:read"])
    fetch(client, base, app, redirect_to)
    assert client.get(f"{base}/api/v1/me", timeout=10).status_code == 200
    again = OAuth2Session(app["client_id"], redirect_uri=REDIRECT, pkce="S256")
    again._code_verifier = client._code_verifier
    with pytest.raises(Exception, match="invalid_grant"):
        fetch(again, base, app, redirect_to)
    assert client.get(f"{base}/api/v1/me", timeout=10).status_code == 401  # RFC 6749 4.1.2


def test_a_wrong_verifier_is_refused(base: str) -> None:
    _client, app, redirect_to, _ = authorized(base, ["profile:read"])
    code = parse_qs(urlsplit(redirect_to).query)["code"][0]
    answer = requests.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app["client_id"],
            "code_verifier": secrets.token_urlsafe(48),
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.text


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_plain_pkce_and_no_pkce_are_refused(base: str) -> None:
    headers = rider(base)
    app = register_app(base, headers, confidential=False)
    common = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT}
    for extra in ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, {}):
        answer = requests.get(
            f"{base}/oauth/authorize",
            params={**common, "scope": "profile:read", **extra},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code in {302, 400}
        assert "error=invalid_request" in answer.headers.get("location", answer.text)
    unknown = requests.get(
        f"{base}/oauth/authorize",
        params={
            **common,
            "redirect_uri": "https://evil.example.org/cb",
            "scope": "profile:read",
            "code_challenge": challenge("v" * 50),
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert unknown.status_code == 400  # never redirected to an unregistered URI


def test_reusing_a_rotated_refresh_token_revokes_the_grant(base: str) -> None:
    client, app, redirect_to, _ = authorized(base, ["profile:read"])
    first = fetch(client, base, app, redirect_to)
    second = client.refresh_token(f"{base}/oauth/token", client_id=app["client_id"])
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get(f"{base}/api/v1/me", timeout=10).status_code == 200
    stolen = requests.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": app["client_id"],
        },
        timeout=10,
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    # The whole family is gone: the newest access and refresh tokens too.
    assert client.get(f"{base}/api/v1/me", timeout=10).status_code == 401
    with pytest.raises(Exception, match="invalid_grant"):
        client.refresh_token(f"{base}/oauth/token", client_id=app["client_id"])


def test_revocation_ends_the_access(base: str) -> None:
    client, app, redirect_to, headers = authorized(base, ["profile:read"])
    token = fetch(client, base, app, redirect_to)
    answer = requests.post(
        f"{base}/oauth/revoke",
        data={"token": token["refresh_token"], "client_id": app["client_id"]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert client.get(f"{base}/api/v1/me", timeout=10).status_code == 401
    listed = requests.get(f"{base}/api/v1/me/grants", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    grants = listed.json()
    assert grants["grants"] == []


def test_the_rider_revokes_an_app_from_their_grants(base: str) -> None:
    client, app, redirect_to, headers = authorized(base, ["profile:read"])
    fetch(client, base, app, redirect_to)
    listed = requests.get(f"{base}/api/v1/me/grants", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    grants = listed.json()
    assert [g["app_name"] for g in grants["grants"]] == ["Coach tool"]
    grant_id = grants["grants"][0]["id"]
    gone = requests.delete(f"{base}/api/v1/me/grants/{grant_id}", headers=headers, timeout=10)
    assert gone.status_code == 204
    assert client.get(f"{base}/api/v1/me", timeout=10).status_code == 401


def test_the_metadata_names_every_endpoint(base: str) -> None:
    meta = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=10).json()
    assert meta["issuer"] == base
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "rides:read_all" in meta["scopes_supported"]


def test_personal_tokens_carry_their_scopes(base: str) -> None:
    headers = rider(base)
    created = requests.post(
        f"{base}/api/v1/me/tokens",
        json={"name": "export script", "scopes": ["profile:read"]},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{base}/api/v1/me", headers=bearer, timeout=10).status_code == 200
    assert requests.get(f"{base}/api/v1/rides", headers=bearer, timeout=10).status_code == 403
    # A personal token cannot mint more tokens.
    assert requests.get(f"{base}/api/v1/me/tokens", headers=bearer, timeout=10).status_code == 403
    listed = requests.get(f"{base}/api/v1/me/tokens", headers=headers, timeout=10).json()
    assert "token" not in listed["tokens"][0]
    token_id = listed["tokens"][0]["id"]
    deleted = requests.delete(f"{base}/api/v1/me/tokens/{token_id}", headers=headers, timeout=10)
    assert deleted.status_code == 204
    assert requests.get(f"{base}/api/v1/me", headers=bearer, timeout=10).status_code == 401


def test_registration_refuses_insecure_redirect_uris(base: str) -> None:
    headers = rider(base)
    for uri in ("http://example.org/cb", "https://example.org/cb#frag", "ftp://127.0.0.1/x"):
        body: dict[str, Any] = {"name": "x", "redirect_uris": [uri], "confidential": False}
        answer = requests.post(f"{base}/api/v1/apps", json=body, headers=headers, timeout=10)
        assert answer.status_code == 422, (uri, answer.text)


def test_a_rider_who_denies_sends_the_app_access_denied(base: str) -> None:
    headers = rider(base)
    app = register_app(base, headers, confidential=False)
    client = OAuth2Session(
        app["client_id"], redirect_uri=REDIRECT, scope=["rides:read"], pkce="S256"
    )
    url, _ = client.authorization_url(f"{base}/oauth/authorize")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    decided = requests.post(
        f"{base}/oauth/authorize", data={**params, "decision": "deny"}, headers=headers, timeout=10
    )
    assert decided.status_code == 200, decided.text
    back = parse_qs(urlsplit(decided.json()["redirect_to"]).query)
    assert back["error"] == ["access_denied"] and "code" not in back
    grants = requests.get(f"{base}/api/v1/me/grants", headers=headers, timeout=10).json()
    assert grants["grants"] == []
