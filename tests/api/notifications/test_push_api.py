"""Web push over HTTP: the key, subscribing and unsubscribing a browser, and a worn chain
pushed through the app's job queue to a push service on loopback (tests/push_service.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.notifications.logic.push import MAX_SUBSCRIPTIONS_PER_USER
from tests.api.notifications.test_notifications import Rider
from tests.push_service import PushService, push_service

API = "/api/v1/notifications/push"


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as running:
        yield running


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """No SMTP server: the e-mail deliveries wait; push is what is looked at."""
    application = create_app(settings.model_copy(update={"push_allowed_hosts": "127.0.0.1"}))
    yield application
    application.state.engine.dispose()


def _subscribe(rider: Rider, body: dict[str, Any]) -> Any:
    return rider.client.post(f"{API}/subscriptions", json=body, headers=rider.headers)


def test_the_key_is_made_on_first_start_and_kept(client: TestClient, settings: Settings) -> None:
    rider = Rider(client)
    key = client.get(f"{API}/key", headers=rider.headers).json()["public_key"]
    assert (settings.data_dir / "vapid.pem").stat().st_mode & 0o777 == 0o600
    again = create_app(settings)  # a restart, or a second worker
    try:
        with TestClient(again) as second:
            assert second.get(f"{API}/key", headers=rider.headers).json()["public_key"] == key
    finally:
        again.state.engine.dispose()
    assert len(key) == 87  # 65 bytes, base64url without padding
    assert client.get(f"{API}/key").status_code == 401


def test_a_worn_chain_is_pushed_to_the_riders_browser_once(
    client: TestClient, service: PushService
) -> None:
    rider, other = Rider(client), Rider(client)
    phone, others_phone = service.browser(), service.browser()
    assert _subscribe(rider, service.subscription(phone)).status_code == 201
    assert _subscribe(other, service.subscription(others_phone)).status_code == 201

    rider.worn_chains()
    rider.worn_chains()  # a second chain: its notifications are pushed once too

    assert service.refused == []
    in_app = {n["id"]: n for n in rider.get("")["items"]}
    pushed = [m["id"] for m in service.received[phone.token]]
    assert sorted(pushed) == sorted(in_app) and len(in_app) == 4  # warn and due, twice
    assert service.received[others_phone.token] == []
    for message in service.received[phone.token]:
        shown = in_app[message["id"]]
        assert (message["title"], message["text"], message["link"]) == (
            shown["title"],
            shown["text"],
            shown["link"],
        )


def test_a_gone_browser_is_forgotten(client: TestClient, service: PushService) -> None:
    rider = Rider(client)
    phone = service.browser()
    _subscribe(rider, service.subscription(phone))
    service.gone.add(phone.token)
    rider.worn_chains()
    answer = client.request(
        "DELETE",
        f"{API}/subscriptions",
        params={"endpoint": service.endpoint(phone)},
        headers=rider.headers,
    )
    assert answer.status_code == 404  # already removed on the 410


def test_unsubscribing_is_for_the_owner_only(client: TestClient, service: PushService) -> None:
    rider, other = Rider(client), Rider(client)
    phone = service.browser()
    _subscribe(rider, service.subscription(phone))
    params = {"endpoint": service.endpoint(phone)}
    path = f"{API}/subscriptions"
    assert client.request("DELETE", path, params=params, headers=other.headers).status_code == 404
    assert client.request("DELETE", path, params=params, headers=rider.headers).status_code == 204
    rider.worn_chains()
    assert service.received[phone.token] == []


@pytest.mark.parametrize(
    ("endpoint", "keys", "says"),
    [
        ("http://push.example.com/x", None, "https"),
        ("file:///etc/passwd", None, "https"),
        ("https://user:pw@push.example.com/x", None, "no user"),
        ("https://push.example.com/" + "x" * 990, None, "1000"),
        ("https://push.example.com/x", {"p256dh": "A" * 87, "auth": "A" * 22}, "0x04"),
        ("https://push.example.com/x", {"p256dh": "!" * 87, "auth": "A" * 22}, "base64url"),
        ("https://push.example.com/x", {"auth": "A" * 22}, "p256dh"),
    ],
)
def test_bad_subscriptions_are_refused(
    client: TestClient,
    service: PushService,
    endpoint: str,
    keys: dict[str, str] | None,
    says: str,
) -> None:
    rider = Rider(client)
    body = service.subscription(service.browser()) | {"endpoint": endpoint}
    if keys is not None:
        body["keys"] = keys
    answer = _subscribe(rider, body)
    assert answer.status_code == 422, answer.text
    assert says in answer.text


def test_a_rider_has_a_limited_number_of_browsers(client: TestClient, service: PushService) -> None:
    rider = Rider(client)
    browsers = [service.browser() for _ in range(MAX_SUBSCRIPTIONS_PER_USER + 1)]
    for browser in browsers[:-1]:
        assert _subscribe(rider, service.subscription(browser)).status_code == 201
    # The same browser again only renews its keys.
    assert _subscribe(rider, service.subscription(browsers[0])).status_code == 201
    over = _subscribe(rider, service.subscription(browsers[-1]))
    assert over.status_code == 422 and "at most" in over.text


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ("http://127.0.0.2:9/push/x", "127.0.0.2 is a loopback address"),
        ("https://10.1.2.3/push/x", "10.1.2.3 is a private address"),
        ("https://169.254.169.254/latest/meta-data", "link-local or metadata"),
        ("https://[::ffff:192.168.0.1]/push/x", "192.168.0.1 is a private address"),
    ],
)
def test_endpoints_at_non_public_addresses_are_refused_like_webhook_urls(
    client: TestClient, service: PushService, endpoint: str, says: str
) -> None:
    """Only the allowed host (127.0.0.1 here) may be at a loopback or private address."""
    rider = Rider(client)
    answer = _subscribe(rider, service.subscription(service.browser()) | {"endpoint": endpoint})
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]
