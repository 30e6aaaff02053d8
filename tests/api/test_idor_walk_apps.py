"""The IDOR walk again, with app tokens: scopes on top of ownership, never instead of it.

Reusing the walk's owner, objects and bodies (tests/api/test_idor_walk.py), every operation
is called with app tokens (personal tokens: the same check as an OAuth app's):
- the owner's token without the scope the route needs answers 403 insufficient_scope, also
  on the owner's real objects, and a route never open to apps refuses a token of every scope;
- the owner's token with the needed scope (and rides:read_all, which the private ride needs)
  gets what the owner's own sign-in gets: the same status and, for reads, the same body;
- another rider's token holding every scope meets the owner's objects exactly as that rider
  does in the walk (404, 403 on role routes), and nothing of the owner's comes back;
- a token of every scope but rides:read_all (and sync, which is a whole-account copy by
  design) never sees the owner's private ride, on any route.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bikenode.apps import SCOPES, required_scope
from bikenode.apps.logic import digest, new_secret
from bikenode.apps.models import PersonalToken
from tests.api.test_idor_walk import (
    MARKER,
    PARTY_ROUTES,
    ROLE_ROUTES,
    SELF_WRITE_PREFIXES,
    WRITES,
    Objects,
    Walk,
    _body,
    _call,
    _expected,
    _operations,
    app,  # noqa: F401  the walk's app: no rate limits, webhooks to loopback
)
from tests.factories import signed_in

TUS = {"Tus-Resumable": "1.0.0"}
# What includes what: rides:read_all covers rides:read.
WIDER = {scope: {scope} for scope in SCOPES} | {"rides:read": {"rides:read", "rides:read_all"}}
# Reads whose answer changes from one call to the next whatever the caller.
VOLATILE_READS = {
    "/api/v1/notifications/stream",
    "/api/v1/sync/pull",  # the server's clock and cursor
    "/api/v1/bikes/{bike_id}/components",  # the tree "at" now
}


def app_token(client: TestClient, user_id: str, scopes: set[str]) -> dict[str, str]:
    """A personal token of the rider's with these scopes, stored directly: the walk needs more
    of them than the API lets a rider keep (20)."""
    token = new_secret("bnp_")
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        scope = " ".join(s for s in SCOPES if s in scopes)
        db.add(
            PersonalToken(
                user_id=uuid.UUID(user_id), name="walk", token_hash=digest(token), scope=scope
            )
        )
        db.commit()
    return {"Authorization": f"Bearer {token}", **TUS}


class Tokens:
    """One rider's app tokens, made once per set of scopes."""

    def __init__(self, client: TestClient, user_id: str) -> None:
        self.client, self.user_id = client, user_id
        self.made: dict[frozenset[str], dict[str, str]] = {}

    def __call__(self, scopes: set[str]) -> dict[str, str]:
        key = frozenset(scopes)
        if key not in self.made:
            self.made[key] = app_token(self.client, self.user_id, scopes)
        return self.made[key]


def _bearer_operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """The walk's operations that read the caller's bearer token (the others take none)."""
    return [(m, t) for m, t in _operations(spec) if "security" in spec["paths"][t][m]]


def _said_insufficient(answer: Any, method: str) -> bool:
    """403 insufficient_scope, in the body and the RFC 6750 challenge (a stream has none)."""
    streamed = not hasattr(answer, "headers")
    challenge = "" if streamed else answer.headers.get("www-authenticate", "")
    said = method == "head" or "insufficient_scope" in answer.text
    named = streamed or 'error="insufficient_scope"' in challenge
    return answer.status_code == 403 and said and named


def _same(mine: Any, theirs: Any) -> bool:
    """The same answer, but for the request id every problem document carries."""
    if mine.status_code != theirs.status_code:
        return False
    try:
        ours, its = mine.json(), theirs.json()
    except ValueError:
        return bool(mine.content == theirs.content)
    if isinstance(ours, dict) and isinstance(its, dict):
        ours.pop("request_id", None)
        its.pop("request_id", None)
    return bool(ours == its)


@pytest.fixture
def walk(client: TestClient) -> Walk:
    return Walk(client)


def test_a_token_without_the_scope_is_refused_on_the_owners_own_objects(
    client: TestClient, walk: Walk
) -> None:
    spec = client.get("/openapi.json").json()
    owned = walk.objects()
    owned.make_all()
    tokens = Tokens(client, walk.owner_id)
    everything = set(SCOPES)
    walked, wrong = 0, []
    for method, template in _bearer_operations(spec):
        needed = required_scope(method.upper(), template)
        held = everything if needed is None else everything - WIDER[needed]
        body = _body(walk, spec, method, template) if method in WRITES else None
        answer = _call(client, method, template, owned.fill(template), tokens(held), body)
        walked += 1
        if not _said_insufficient(answer, method):
            wrong.append(f"{method.upper()} {template} ({needed}): {answer.status_code}")
    assert walked > 200
    assert wrong == [], "\n".join(wrong)


def test_a_token_with_the_scope_gets_what_the_owner_gets_on_reads(
    client: TestClient, walk: Walk
) -> None:
    spec = client.get("/openapi.json").json()
    owned = walk.objects()
    owned.make_all()
    tokens = Tokens(client, walk.owner_id)
    web = {**walk.owner_headers, **TUS}
    compared, wrong = 0, []
    for method, template in _operations(spec):
        needed = required_scope(method.upper(), template)
        if needed is None or method in WRITES:
            continue
        url = owned.fill(template)
        mine = _call(client, method, template, url, web, None)
        theirs = _call(client, method, template, url, tokens({needed, "rides:read_all"}), None)
        compared += 1
        volatile = template in VOLATILE_READS and mine.status_code == theirs.status_code
        same = volatile or _same(mine, theirs)
        if not same or mine.status_code >= 500:
            wrong.append(f"{method.upper()} {template}: {mine.status_code} {theirs.status_code}")
    assert compared > 80
    assert wrong == [], "\n".join(wrong)


def test_a_token_with_the_scope_makes_the_owners_writes(client: TestClient, walk: Walk) -> None:
    """Each write on a throwaway object of the owner's: the app's answer is the owner's."""
    spec = client.get("/openapi.json").json()
    # The app acts for a twin of the owner: each keeps under the per-rider posting limits.
    _, twin_headers = signed_in(client)
    twin_id = walk.me(twin_headers)["id"]
    twin = copy.copy(walk)  # the walk's bodies, with the twin's spare bike
    spare = client.post(
        "/api/v1/bikes", json={"name": "spare", "type": "other"}, headers=twin_headers
    )
    twin.spare_bike = spare.json()["id"]
    tokens = Tokens(client, twin_id)
    web = {**walk.owner_headers, **TUS}
    compared, wrong = 0, []
    for method, template in _operations(spec):
        needed = required_scope(method.upper(), template)
        skip = template in ROLE_ROUTES or (method, template) in PARTY_ROUTES
        if needed is None or method not in WRITES or "{" not in template or skip:
            continue
        answers = []
        callers = (
            (web, walk.objects()),  # a fresh object for each caller
            (
                tokens({needed, "rides:read_all"}),
                Objects(client, twin_headers, {"user_id": twin_id}),
            ),
        )
        for (headers, objects), whose in zip(callers, (walk, twin), strict=True):
            url, body = objects.fill(template), _body(whose, spec, method, template)
            answers.append(_call(client, method, template, url, headers, body).status_code)
        compared += 1
        if answers[0] != answers[1] or answers[0] >= 500:
            wrong.append(f"{method.upper()} {template}: owner {answers[0]}, app {answers[1]}")
    assert compared > 40
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("who", ["other rider", "follower", "blocked"])
def test_another_riders_token_of_every_scope_meets_the_owners_objects_as_they_do(
    client: TestClient, walk: Walk, who: str
) -> None:
    spec = client.get("/openapi.json").json()
    owned = walk.objects()
    owned.make_all()
    their_id = walk.me(walk.callers[who])["id"]
    token = app_token(client, their_id, set(SCOPES))
    bearer = set(_bearer_operations(spec))
    walked, wrong = 0, []
    for method, template in _operations(spec):
        has_ids = "{" in template
        if method in WRITES and (not has_ids or template.startswith(SELF_WRITE_PREFIXES)):
            continue  # as in the walk: one's own things are no attack on the owner
        url = owned.fill(template)
        body = _body(walk, spec, method, template) if method in WRITES else None
        answer = _call(client, method, template, url, token, body)
        walked += 1
        where = f"{method.upper()} {template} as {who}'s app: {answer.status_code} {answer.text}"
        assert answer.status_code < 500, where
        assert MARKER not in answer.text, where
        assert walk.owner["email"] not in answer.text, where
        if (method, template) in bearer and required_scope(method.upper(), template) is None:
            if not _said_insufficient(answer, method):
                wrong.append(where)
        elif has_ids and answer.status_code not in _expected(who, method, template):
            wrong.append(where)
    assert walked > 100
    assert wrong == [], "\n".join(wrong)
    ride = client.get(owned.fill("/api/v1/rides/{ride_id}"), headers=walk.owner_headers).json()
    assert (ride["name"], ride["visibility"]) == (f"{MARKER} name", "private")


def test_without_read_all_the_private_ride_is_seen_on_no_route(
    client: TestClient, walk: Walk
) -> None:
    spec = client.get("/openapi.json").json()
    owned = walk.objects()
    owned.make_all()
    held = set(SCOPES) - {"rides:read_all", "sync"}
    token = Tokens(client, walk.owner_id)(held)
    private = (f"{MARKER} name", f"{MARKER} description", f"{MARKER} comment")
    ride_id, refused, wrong = owned["ride_id"], 0, []
    for method, template in _operations(spec):
        if method in WRITES:
            continue
        answer = _call(client, method, template, owned.fill(template), token, None)
        leaked = [text for text in private if text in answer.text]
        if leaked or answer.status_code >= 500:
            wrong.append(f"GET {template}: {answer.status_code} {leaked}")
        if "{ride_id}" in template and answer.status_code in (403, 404):
            refused += 1
    assert wrong == [], "\n".join(wrong)
    assert refused >= 8  # the ride, its streams, export, comments, kudos, efforts...
    listed = client.get("/api/v1/rides", headers=token).json()["items"]
    assert ride_id not in [ride["id"] for ride in listed]
    for tail in ("", "/streams", "/export"):
        answer = client.get(f"/api/v1/rides/{ride_id}{tail}", headers=token)
        assert answer.status_code == 404, (tail, answer.text)
    # The same ride with rides:read_all: seen (the walk's ride is the owner's private one).
    wide = Tokens(client, walk.owner_id)({"rides:read_all"})
    assert client.get(f"/api/v1/rides/{ride_id}", headers=wide).status_code == 200
