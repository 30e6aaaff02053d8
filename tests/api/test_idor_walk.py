"""BOLA / IDOR: every route of the OpenAPI spec, as another rider and as an anonymous client.

The owner has a private ride (from an upload) with marked name and description. The walk calls
every operation with the owner's ids in the path, as a second rider and anonymously: nothing
of the owner's may come back (no marker, no e-mail), no write may succeed, and an object that
is not theirs answers 404 or 401, never 403 (no existence oracle) — except admin-only routes,
which refuse by role. Afterwards the owner's data is unchanged. A domain that adds routes
with new ids registers a factory in OWNED below so that the walk fills them with real ids.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt
from fastapi.testclient import TestClient

from tests.api.sync.conftest import Device
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

MARKER = "zz-private-marker-7f3a"
# Routes that refuse by role (admin only), not by object: 403 is the right answer there.
ROLE_ROUTES = {
    "/api/v1/users/{user_id}/role",
    "/api/v1/users/{user_id}/rate-limit",
    "/api/v1/admin/users/{user_id}",
}
# Routes about the caller's own account, never another's: skipped for writes (the second
# rider erasing or changing themselves is no attack on the owner).
SELF_WRITE_PREFIXES = ("/api/v1/me", "/api/v1/auth/")
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("patch", "/api/v1/rides/{ride_id}"): {
        "name": "taken over",
        "visibility": "public",
        "share_health": True,
    },
    ("put", "/api/v1/users/{user_id}/role"): {"role": "rider"},
    ("put", "/api/v1/users/{user_id}/rate-limit"): {"tier": "premium"},
}


def _owner(client: TestClient) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    payload, headers = signed_in(client)
    start = datetime(2025, 5, 4, 7, 0, tzinfo=UTC)
    (upload,) = upload_files(client, headers, [("home.gpx", synthetic_gpx(start))])
    ride_id = upload["items"][0]["ride_id"]
    changed = client.patch(
        f"/api/v1/rides/{ride_id}",
        json={"name": f"{MARKER} name", "description": f"{MARKER} description"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["visibility"] == "private"
    ids = {
        "ride_id": ride_id,
        "upload_id": upload["id"],
        "item_id": str(upload["items"][0]["id"]),
        "user_id": client.get("/api/v1/me", headers=headers).json()["id"],
    }
    return payload, headers, ids


def _created(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# Factories for other domains' objects, in order: name of the path parameter ->
# (client, owner headers, ids made so far) -> id.
OWNED: dict[str, Callable[[TestClient, dict[str, str], dict[str, str]], str]] = {
    "zone_id": lambda client, headers, ids: _created(
        client,
        "/api/v1/privacy-zones",
        {"name": f"{MARKER} home", "lat_deg": 51.5, "lon_deg": -0.12, "radius_m": 200.0},
        headers,
    ),
    "session_id": lambda client, headers, ids: _created(
        client,
        "/api/v1/live/sessions",
        {"name": f"{MARKER} live", "visibility": "private"},
        headers,
    ),
    "share_id": lambda client, headers, ids: _created(
        client, f"/api/v1/live/sessions/{ids['session_id']}/shares", {}, headers
    ),
    "group_id": lambda client, headers, ids: _created(
        client, "/api/v1/live/groups", {"name": f"{MARKER} club run"}, headers
    ),
    "route_id": lambda client, headers, ids: _created(
        client, "/api/v1/routes", {"name": f"{MARKER} route", "notes": MARKER}, headers
    ),
    "conflict_id": lambda client, headers, ids: _sync_conflict(client, headers, ids["ride_id"]),
    # The owner's own sign-in session (DELETE /api/v1/me/sessions/{id} must not end it).
    "account_session_id": lambda client, headers, ids: _signed_in_session(headers),
}


def _signed_in_session(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


def _sync_conflict(client: TestClient, headers: dict[str, str], ride_id: str) -> str:
    """Two devices rewrite the ride's description differently from the same base: a conflict
    that keeps both (marked) values until the owner resolves it."""
    base = f"{MARKER} description"
    conflicts: list[str] = []
    for name, value in (("phone", "hilly"), ("laptop", "windy")):
        device = Device(client, headers, name)
        edit = {"value": f"{MARKER} {value}", "base": base}
        answer = device.push(device.mutation("ride", ride_id, description=edit))
        assert answer.status_code == 200, answer.text
        conflicts += answer.json()["results"][0]["conflicts"]
    assert len(conflicts) == 1, conflicts
    return str(conflicts[0])


def _operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [
        (m, p)
        for p, ops in spec["paths"].items()
        for m in ops
        if m in {"get", "post", "put", "patch", "delete", "head"}
    ]


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


def _call(client: TestClient, method: str, template: str, url: str, headers: dict[str, str]) -> Any:
    if "/tus" in template and method == "patch":  # a well-formed tus chunk, so checks run
        chunk = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
        return client.request("PATCH", url, headers={**headers, **chunk}, content=b"x")
    body = BODIES.get((method, template), {}) if method in {"post", "put", "patch"} else None
    return client.request(method.upper(), url, headers=headers, json=body)


def test_nothing_private_is_readable_or_writable_by_others(client: TestClient) -> None:
    owner, owner_headers, ids = _owner(client)
    for name, factory in OWNED.items():
        ids[name] = factory(client, owner_headers, ids)
    _, other_headers = signed_in(client)
    tus = {"Tus-Resumable": "1.0.0"}  # without it tus routes answer 412 before any check
    callers = {"other rider": {**other_headers, **tus}, "anonymous": tus}
    walked = 0
    for method, template in _operations(client):
        has_ids = "{" in template
        if method != "get" and not has_ids:
            continue  # creating one's own objects is no attack on the owner
        if method != "get" and template.startswith(SELF_WRITE_PREFIXES) and not has_ids:
            continue  # acts on the caller's own account; with an id it names someone's object
        url = _fill(template, ids)
        for who, headers in callers.items():
            response = _call(client, method, template, url, headers)
            walked += 1
            where = f"{method.upper()} {template} as {who}: {response.status_code}"
            assert response.status_code < 500, where
            assert MARKER not in response.text, where
            assert owner["email"] not in response.text, where
            if has_ids:
                assert not 200 <= response.status_code < 300, where
                if who == "other rider" and template not in ROLE_ROUTES:
                    assert response.status_code in (404, 405, 422), where
                if template in ROLE_ROUTES and who == "other rider":
                    assert response.status_code == 403, where
    assert walked > 30
    # The owner's ride is untouched and still private.
    ride = client.get(f"/api/v1/rides/{ids['ride_id']}", headers=owner_headers).json()
    assert (ride["name"], ride["visibility"]) == (f"{MARKER} name", "private")
    assert ride["share_health"] is None
    assert client.get("/api/v1/me", headers=owner_headers).json()["role"] == "rider"
