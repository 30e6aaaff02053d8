"""Every API operation of the OpenAPI spec checks an app token's scopes.

For each operation that reads the caller's bearer token, a personal token holding every
scope but the one the route needs (all of them, for routes never open to apps) is refused
with 403 insufficient_scope; a token holding just the needed scope gets past the check. The
account routes (password, sessions, erasure, MFA, apps, tokens) are in no scope at all.
"""

from __future__ import annotations

import itertools
import re
import types
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bikenode.app import create_app
from bikenode.apps import SCOPES, required_scope
from bikenode.config import Settings
from tests.factories import signed_in

# A scope and the ones that include it (read_all covers read).
WIDER = {scope: {scope} for scope in SCOPES} | {"rides:read": {"rides:read", "rides:read_all"}}
ACCOUNT_ROUTES = (
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/me/sessions"),
    ("post", "/api/v1/me/erasure"),
    ("post", "/api/v1/apps"),
    ("get", "/api/v1/me/tokens"),
    ("post", "/api/v1/me/tokens"),
    ("get", "/api/v1/me/grants"),
)


@pytest.fixture
def client(settings: Settings, engine: Any) -> Iterator[TestClient]:
    app: FastAPI = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


def operations(client: TestClient) -> Iterator[tuple[str, str]]:
    """(method, path template) of every operation that reads the caller's bearer token."""
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if "security" in operation:
                yield method, path


def fill(template: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: _value(m.group(1)), template)


def _value(name: str) -> str:
    return str(uuid.uuid4()) if name.endswith("_id") else "0"


def personal_token(client: TestClient, headers: dict[str, str], scopes: list[str]) -> str:
    body = {"name": "walk", "scopes": scopes}
    answer = client.post("/api/v1/me/tokens", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def token_maker(client: TestClient) -> Callable[[list[str]], str]:
    """Personal tokens from riders enough to stay under the per-rider limit (20)."""
    riders = [signed_in(client)[1] for _ in range(2)]
    made = itertools.count()
    return lambda scopes: personal_token(client, riders[next(made) // 15], scopes)


def call(client: TestClient, method: str, path: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if path == "/api/v1/notifications/stream":  # open for minutes: its first lines will do
        with client.stream("GET", path, headers=headers) as streamed:
            text = "\n".join(itertools.islice(streamed.iter_lines(), 3))
            return types.SimpleNamespace(status_code=streamed.status_code, text=text)
    # No body on purpose: the scope check comes before any validation of it.
    return client.request(method.upper(), fill(path), headers=headers)


def test_every_operation_refuses_an_app_token_without_its_scope(client: TestClient) -> None:
    make = token_maker(client)
    everything = list(SCOPES)
    tokens = {
        needed: make([s for s in everything if s not in WIDER[needed]]) for needed in everything
    }
    full = make(everything)
    walked, wrong = 0, []
    for method, path in operations(client):
        needed = required_scope(method.upper(), path)
        answer = call(client, method, path, full if needed is None else tokens[needed])
        walked += 1
        said = method == "head" or "insufficient_scope" in answer.text  # HEAD: no body
        if answer.status_code != 403 or not said:
            wrong.append((method, path, needed, answer.status_code))
    assert walked > 150
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_token_with_the_needed_scope_gets_past_the_check(client: TestClient) -> None:
    make = token_maker(client)
    tokens = {scope: make([scope]) for scope in SCOPES}
    open_to_apps, wrong = 0, []
    for method, path in operations(client):
        needed = required_scope(method.upper(), path)
        if needed is None:
            continue
        open_to_apps += 1
        answer = call(client, method, path, tokens[needed])
        if "insufficient_scope" in answer.text:
            wrong.append((method, path, needed, answer.status_code))
    assert open_to_apps > 150
    assert wrong == [], "\n".join(map(str, wrong))


@pytest.mark.parametrize(("method", "path"), ACCOUNT_ROUTES)
def test_account_routes_are_never_open_to_apps(method: str, path: str) -> None:
    assert required_scope(method.upper(), path) is None


def test_read_all_includes_read(client: TestClient) -> None:
    _, headers = signed_in(client)
    token = personal_token(client, headers, ["rides:read_all"])
    assert call(client, "get", "/api/v1/rides", token).status_code == 200
    # The consent decision is the rider's own: an app cannot approve itself.
    bearer = {"Authorization": f"Bearer {token}"}
    decided = client.post("https://testserver/oauth/authorize", headers=bearer)
    assert decided.status_code == 403, decided.text
