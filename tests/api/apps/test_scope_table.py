"""Every /api/v1 route is either in the scope table or explicitly never for apps, and the
refusals speak RFC 6750 (WWW-Authenticate) so a client knows what to ask the rider for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from bikenode.apps import SCOPES
from bikenode.apps.logic import NEVER_FOR_APPS, SCOPE_TABLE, never_for_apps, required_scope
from tests.factories import signed_in


def _routes(
    routes: Sequence[BaseRoute], outer: str = "", prefix: str = ""
) -> Iterator[tuple[str, APIRoute | APIWebSocketRoute]]:
    """(full path, route) of HTTP and socket routes, those of included routers too (as in
    test_object_access). A router included in an included router keeps only its own prefix
    in its routes' paths: `outer` is what the routers around it add."""
    for route in routes:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            yield outer + route.path, route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes, outer + prefix, included.prefix)


def api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every /api/v1 route; sockets have the method WS."""
    found = []
    for path, route in _routes(app.routes):
        methods = (route.methods or set()) if isinstance(route, APIRoute) else {"WS"}
        found += [(m, path) for m in methods if path.startswith("/api/v1")]
    return sorted(set(found))


def test_every_api_route_is_in_the_table_or_never_for_apps(app: FastAPI) -> None:
    operations = api_operations(app)
    assert len(operations) > 200
    forgotten = [
        (method, path)
        for method, path in operations
        if required_scope(method, path) is None and never_for_apps(method, path) is None
    ]
    assert forgotten == [], "add these to SCOPE_TABLE or NEVER_FOR_APPS in apps/logic.py"


def test_every_row_of_both_tables_matches_a_route(app: FastAPI) -> None:
    """A row whose routes were renamed away would silently guard nothing."""
    operations = api_operations(app)
    for prefix, methods, _ in SCOPE_TABLE + NEVER_FOR_APPS:
        hit = any(
            m in methods and (p == prefix or p.startswith(prefix + "/")) for m, p in operations
        )
        assert hit, prefix


def test_every_scope_opens_some_route_and_has_plain_words(app: FastAPI) -> None:
    used = {required_scope(m, p) for m, p in api_operations(app)}
    assert set(SCOPES) <= used | {None}
    assert set(SCOPES) == used - {None}
    assert all(8 < len(words) < 100 for words in SCOPES.values())


def test_account_routes_are_never_open_to_apps() -> None:
    for method, path in (
        ("POST", "/api/v1/me/password"),
        ("POST", "/api/v1/me/erase"),
        ("GET", "/api/v1/me/sessions"),
        ("POST", "/api/v1/me/mfa/totp"),
        ("GET", "/api/v1/apps"),
        ("POST", "/api/v1/me/tokens"),
        ("DELETE", "/api/v1/me/grants/{grant_id}"),
        ("POST", "/api/v1/me/coaches"),
        ("GET", "/api/v1/me/export"),
        ("PATCH", "/api/v1/me"),
        ("PUT", "/api/v1/me/social"),
        ("POST", "/api/v1/market/jobs/{job_id}/payments"),
    ):
        assert required_scope(method, path) is None, (method, path)
        assert never_for_apps(method, path), (method, path)


def test_the_deepest_row_wins() -> None:
    assert required_scope("GET", "/api/v1/rides/{ride_id}") == "rides:read"
    assert required_scope("GET", "/api/v1/rides/stats") == "rides:read_all"
    assert required_scope("GET", "/api/v1/segments/{segment_id}") == "segments:read"
    assert required_scope("GET", "/api/v1/segments/efforts/mine") == "rides:read_all"
    assert required_scope("POST", "/api/v1/market/jobs") == "market:write"
    assert required_scope("POST", "/api/v1/me/follow-requests/{user_id}") == "social:write"
    assert required_scope("GET", "/api/v1/me/athletes") is None


def _token(client: TestClient, headers: dict[str, str], scopes: list[str]) -> dict[str, str]:
    answer = client.post("/api/v1/me/tokens", json={"name": "t", "scopes": scopes}, headers=headers)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_refusals_carry_an_rfc_6750_challenge(client: TestClient) -> None:
    anonymous = client.get("/api/v1/bikes")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="bikenode"'
    _, headers = signed_in(client)
    narrow = _token(client, headers, ["rides:read"])
    refused = client.get("/api/v1/bikes", headers=narrow)
    assert refused.status_code == 403, refused.text
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="bikenode", error="insufficient_scope", scope="bikes:read"'
    )
    assert "insufficient_scope" in refused.json()["detail"]
    never = client.get("/api/v1/me/sessions", headers=_token(client, headers, list(SCOPES)))
    assert never.status_code == 403
    # No scope would do: the challenge names none.
    assert never.headers["www-authenticate"] == (
        'Bearer realm="bikenode", error="insufficient_scope"'
    )
    allowed = client.get("/api/v1/bikes", headers=_token(client, headers, ["bikes:read"]))
    assert allowed.status_code == 200, allowed.text
    assert "www-authenticate" not in allowed.headers
