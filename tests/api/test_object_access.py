"""Every route with an object's id in its path gets the object from an access dependency.

An access dependency (a function of a domain's access.py, declared as VisibleRide, OwnedRide,
OpenableRoute, OwnedLiveSession...) reads the id from the path and answers someone else's
object with the same 404 as a missing one. A new handler that reads an id itself fails here
until it declares one, or until ALLOWED says why it need not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute

from bikenode.web.frontend import CLIENT_ROUTES

ACCESS_MODULE = re.compile(r"^bikenode\.\w+\.access$")
# Every path parameter named *_id is an object's id.
OBJECT_ID = re.compile(r"\{(\w+_id)(?::\w+)?\}")

SOCKET = (
    "a socket checks access in its handshake (ticket, token or share link) and refuses with a"
    " close code, not an HTTP status"
)
# (path, parameter) -> why no access dependency reads that id.
ALLOWED: dict[tuple[str, str], str] = {
    # Ids of a part of an object the route already got from its access dependency.
    ("/api/v1/uploads/{upload_id}/items/{item_id}/merge", "item_id"): (
        "a file of the upload: looked up among that upload's files"
    ),
    ("/api/v1/live/sessions/{session_id}/shares/{share_id}", "share_id"): (
        "a share link of the session: the service refuses one of another session"
    ),
    ("/api/v1/routes/{route_id}/collaborators/{user_id}", "user_id"): (
        "a collaborator of the route: the service lets the owner remove anyone, others themselves"
    ),
    # Routes that refuse by role, not by object: acting on any user is the admin's job.
    ("/api/v1/users/{user_id}/role", "user_id"): "admins only",
    ("/api/v1/users/{user_id}/rate-limit", "user_id"): "admins only",
    ("/api/v1/admin/users/{user_id}", "user_id"): "admins only, audited",
    ("/api/v1/users/{user_id}/moderator", "user_id"): "admins only, audited",
    # Objects only their owner ever reaches, looked up by (owner, id) in one service call.
    # TODO: an OwnedZone, OwnedConflict and OwnedSignIn dependency once a second route takes
    # one of these ids; until then the service is the only place that reads them.
    ("/api/v1/privacy-zones/{zone_id}", "zone_id"): "privacy.delete_zone checks the owner",
    ("/api/v1/sync/conflicts/{conflict_id}/resolve", "conflict_id"): (
        "sync's resolve_conflict checks the owner"
    ),
    ("/api/v1/me/sessions/{account_session_id}", "account_session_id"): (
        "the caller's own sign-in sessions: accounts looks it up by (user, id)"
    ),
    ("/api/v1/live/sessions/{session_id}/ride", "session_id"): SOCKET,
    ("/api/v1/live/sessions/{session_id}/watch", "session_id"): SOCKET,
    ("/api/v1/live/groups/{group_id}/watch", "group_id"): SOCKET,
}
# The single-page app's pages answer the same index.html for any id: no object's data (the
# page's API calls are checked like any other).
ALLOWED |= {
    (path, name): "the single-page app's index.html"
    for path in CLIENT_ROUTES
    for name in OBJECT_ID.findall(path)
}


def _ids_read_by_access(dependant: Dependant) -> set[str]:
    """The path parameters that access dependencies read, anywhere under this dependant."""
    read: set[str] = set()
    for sub in dependant.dependencies:
        if sub.call is not None and ACCESS_MODULE.match(getattr(sub.call, "__module__", "")):
            read |= {param.name for param in sub.path_params}
        read |= _ids_read_by_access(sub)
    return read


def _routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute | APIWebSocketRoute]:
    """The HTTP and socket routes, also those of included routers (FastAPI keeps each
    included router whole; the app includes them without a prefix of its own)."""
    for route in routes:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)


def _object_ids(app: FastAPI) -> dict[tuple[str, str], bool]:
    """(path, id parameter) of every route -> whether an access dependency reads the id."""
    found: dict[tuple[str, str], bool] = {}
    for route in _routes(app.routes):
        read = _ids_read_by_access(route.dependant)
        for name in OBJECT_ID.findall(route.path):
            found[route.path, name] = found.get((route.path, name), True) and name in read
    return found


def test_every_object_id_in_a_path_goes_through_an_access_dependency(app: FastAPI) -> None:
    found = _object_ids(app)
    unchecked = sorted(key for key, checked in found.items() if not checked)
    assert [key for key in unchecked if key not in ALLOWED] == []
    # The list does not rot: each exception names a route that exists and reads its id itself.
    assert sorted(ALLOWED) == unchecked
    assert ("/api/v1/rides/{ride_id}", "ride_id") in found
