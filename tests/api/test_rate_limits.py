"""Rate limits by tier, per-user overrides, strict routes, headers; memory and real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import admin_with_mfa, signed_in
from tests.servers import persistent_redis_server, redis_server


@contextmanager
def _node(
    settings: Settings, *, client: tuple[str, int] = ("testclient", 50000), **limits: object
) -> Iterator[TestClient]:
    """A node (an app) with these limits, its connections closed afterwards."""
    app = create_app(settings.model_copy(update=limits))
    with TestClient(app, raise_server_exceptions=False, client=client) as test_client:
        yield test_client


def _burst(client: TestClient, n: int, headers: dict[str, str] | None = None) -> list[int]:
    return [client.get("/api/v1/me", headers=headers).status_code for _ in range(n)]


def test_anonymous_callers_are_limited_per_address_with_headers(
    settings: Settings, engine: Engine
) -> None:
    with _node(settings, rate_limit_anonymous="5/minute") as client:
        _check_anonymous_limits(client)


def _check_anonymous_limits(client: TestClient) -> None:
    first = client.get("/api/v1/me")
    assert first.headers["ratelimit-limit"] == "5"
    assert first.headers["ratelimit-remaining"] == "4"
    assert first.headers["ratelimit-policy"] == "5;w=60"
    assert 0 <= int(first.headers["ratelimit-reset"]) <= 60
    assert _burst(client, 4) == [401] * 4
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    other = TestClient(client.app, raise_server_exceptions=False, client=("192.0.2.44", 1))
    assert other.get("/api/v1/me").status_code == 401  # another address has its own budget
    assert client.get("/healthz").status_code == 200  # probes are not limited


def test_standard_and_premium_tiers_and_an_admin_override(
    settings: Settings, engine: Engine
) -> None:
    limits: dict[str, Any] = {"rate_limit_standard": "6/minute", "rate_limit_premium": "12/minute"}
    with _node(settings, **limits) as client:
        app: Any = client.app
        admin_headers, _ = admin_with_mfa(client)
        _, rider = signed_in(client)
        rider_id = client.get("/api/v1/me", headers=rider).json()["id"]
        assert client.get("/api/v1/me", headers=rider).headers["ratelimit-limit"] == "6"
        assert 429 in _burst(client, 6, rider)
        premium = client.put(
            f"/api/v1/users/{rider_id}/rate-limit",
            json={"tier": "premium", "requests_per_minute": None},
            headers=admin_headers,
        )
        assert premium.status_code == 200, premium.text
        # Plans are cached per node for 30 s; a node that has not seen this user sees it at once.
        fresh = create_app(app.state.settings)
        with TestClient(fresh, raise_server_exceptions=False) as node2:
            assert node2.get("/api/v1/me", headers=rider).headers["ratelimit-limit"] == "12"
            override = node2.put(
                f"/api/v1/users/{rider_id}/rate-limit",
                json={"tier": "standard", "requests_per_minute": 3},
                headers=admin_headers,
            )
            assert override.status_code == 200
        with TestClient(create_app(app.state.settings), raise_server_exceptions=False) as node3:
            assert _burst(node3, 4, rider) == [200, 200, 200, 429]


def test_only_an_admin_with_mfa_sets_overrides(client: TestClient) -> None:
    _, rider = signed_in(client)
    rider_id = client.get("/api/v1/me", headers=rider).json()["id"]
    denied = client.put(
        f"/api/v1/users/{rider_id}/rate-limit",
        json={"tier": "premium", "requests_per_minute": 100000},
        headers=rider,
    )
    assert denied.status_code == 403
    assert client.get(f"/api/v1/users/{rider_id}/rate-limit", headers=rider).status_code == 403


def test_sign_in_has_a_stricter_limit_than_other_routes(settings: Settings, engine: Engine) -> None:
    with _node(settings, rate_limit_login="3/minute") as client:
        _check_login_limit(client)


def _check_login_limit(client: TestClient) -> None:
    body = {"email": "nobody@example.org", "password": "whatever it may be"}
    answers = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    assert "login requests" in client.post("/api/v1/auth/login", json=body).json()["detail"]
    assert client.get("/api/v1/me").status_code == 401  # the general budget is untouched


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_limits_are_shared_by_nodes_through_redis(
    settings: Settings, engine: Engine, redis_url: str
) -> None:
    shared = settings.model_copy(
        update={"redis_url": redis_url, "rate_limit_anonymous": "4/minute"}
    )
    with (
        _node(shared, client=("192.0.2.7", 1)) as node_a,
        _node(shared, client=("192.0.2.7", 2)) as node_b,
    ):
        _check_shared(node_a, node_b, redis_url)


def _check_shared(node_a: TestClient, node_b: TestClient, redis_url: str) -> None:
    answers = [node.get("/api/v1/me").status_code for node in (node_a, node_b, node_a, node_b)]
    assert answers == [401, 401, 401, 401]
    assert node_b.get("/api/v1/me").status_code == 429
    assert node_a.get("/api/v1/me").status_code == 429
    import redis

    keys = redis.Redis.from_url(redis_url).keys("LIMITS:*")
    assert keys  # the counts really live in Redis


@pytest.mark.parametrize("mode", ["open", "closed"])
def test_redis_stopped_mid_run_fails_open_or_closed_as_configured_never_500(
    settings: Settings, engine: Engine, mode: str
) -> None:
    with persistent_redis_server() as redis:
        shared = settings.model_copy(update={"redis_url": redis.url, "rate_limit_redis_down": mode})
        with _node(shared) as client:
            counted = client.get("/api/v1/me")
            assert counted.status_code == 401 and counted.headers["ratelimit-limit"] == "60"
            redis.stop()
            _check_redis_down(client, mode)
            redis.start()
            back = client.get("/api/v1/me")
            assert back.status_code == 401 and back.headers["ratelimit-limit"] == "60"


def _check_redis_down(client: TestClient, mode: str) -> None:
    answers = [client.get("/api/v1/me") for _ in range(3)]
    if mode == "open":  # served, uncounted
        assert [a.status_code for a in answers] == [401] * 3
        assert all("ratelimit-limit" not in a.headers for a in answers)
    else:
        assert [a.status_code for a in answers] == [503] * 3
        assert answers[0].headers["retry-after"] == "5"
        assert answers[0].headers["content-type"] == "application/problem+json"
        assert "rate-limit store cannot be reached" in answers[0].json()["detail"]
    assert client.get("/healthz").status_code == 200  # probes never depend on the store
