"""Which scope a route needs, and which redirect URIs an app may register."""

from __future__ import annotations

import pytest

from bikenode.apps.logic import check_redirect_uri, parse_scope, required_scope
from bikenode.errors import InvalidInput


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/v1/me", "profile:read"),
        ("GET", "/api/v1/me/sessions", None),
        ("PATCH", "/api/v1/me", None),
        ("GET", "/api/v1/rides/{ride_id}", "rides:read"),
        ("DELETE", "/api/v1/rides/{ride_id}", "rides:write"),
        ("GET", "/api/v1/ridesx", None),
        # Routes that read private rides unfiltered need the scope that allows them.
        ("GET", "/api/v1/users/{user_id}/rides", "rides:read_all"),
        ("GET", "/api/v1/rides/stats", "rides:read_all"),
        ("GET", "/api/v1/feed", "rides:read_all"),
        ("GET", "/api/v1/uploads/{upload_id}", "rides:read_all"),
        ("POST", "/api/v1/uploads", "rides:write"),
        ("GET", "/api/v1/users/{user_id}/followers", "social:read"),
        ("POST", "/api/v1/webhooks", "webhooks:manage"),
        ("POST", "/api/v1/health/metrics", "health:write"),
        ("POST", "/api/v1/market/jobs/{job_id}/payments", None),
        ("GET", "/api/v1/apps", None),
    ],
)
def test_required_scope_follows_the_table(method: str, path: str, scope: str | None) -> None:
    assert required_scope(method, path) == scope


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.org/cb",
        "https://example.org/cb#x",
        "ftp://127.0.0.1/cb",
        "http://[::1",
        "https://example.org:99999/cb",
        "/relative",
        "x" * 3000,
    ],
)
def test_redirect_uris_that_are_refused(uri: str) -> None:
    with pytest.raises(InvalidInput):
        check_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri", ["https://coach.example.org/cb?x=1", "http://127.0.0.1:8765/cb", "http://localhost/cb"]
)
def test_redirect_uris_that_are_accepted(uri: str) -> None:
    assert check_redirect_uri(uri) == uri


def test_parse_scope_refuses_unknown_and_empty_scopes() -> None:
    assert parse_scope("rides:read profile:read") == ["profile:read", "rides:read"]
    with pytest.raises(InvalidInput, match="unknown scope 'admin'"):
        parse_scope("admin")
    with pytest.raises(InvalidInput):
        parse_scope("")
