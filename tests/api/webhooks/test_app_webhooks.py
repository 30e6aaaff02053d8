"""An OAuth app's webhook end to end: its developer subscribes it once, a real loopback
receiver verifies each delivery with the Standard Webhooks library, and only riders whose
grant covers the events are delivered, until they revoke it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.webhooks.models import WebhookSubscription
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx
from tests.webhook_receiver import Receiver, webhook_receiver

OAUTH = "https://testserver"  # Authlib refuses plain http outside loopback redirect URIs
REDIRECT = "https://club.example.org/cb"


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """Loopback allowed for the tests' receiver (as an operator would allow a LAN host)."""
    application = create_app(settings.model_copy(update={"webhooks_allowed_hosts": "127.0.0.1"}))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


class Developer:
    """The rider who registered the app and subscribes it."""

    def __init__(self, client: TestClient, receiver: Receiver) -> None:
        self.client, self.receiver = client, receiver
        _, self.headers = signed_in(client)
        body = {"name": "Club site", "redirect_uris": [REDIRECT], "confidential": False}
        made = client.post("/api/v1/apps", json=body, headers=self.headers)
        assert made.status_code == 201, made.text
        self.app_id, self.client_id = made.json()["id"], made.json()["client_id"]
        self.base = f"/api/v1/apps/{self.app_id}/webhooks"

    def subscribe(self, types: list[str]) -> dict[str, Any]:
        body = {"url": self.receiver.url, "event_types": types}
        answer = self.client.post(self.base, json=body, headers=self.headers)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        self.receiver.secrets.append(created["secret"])
        return created


class Athlete:
    """A rider who may or may not grant the app access."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.headers = signed_in(client)

    def grant(self, developer: Developer, scope: str) -> str:
        """Consent on the authorize page (the grant exists from then); the grant's id."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        params = {
            "response_type": "code",
            "client_id": developer.client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "s1",
            "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "decision": "allow",
        }
        decided = self.client.post(f"{OAUTH}/oauth/authorize", data=params, headers=self.headers)
        assert decided.status_code == 200, decided.text
        assert "code" in parse_qs(urlsplit(decided.json()["redirect_to"]).query)
        grants = self.client.get("/api/v1/me/grants", headers=self.headers).json()["grants"]
        return str(grants[0]["id"])

    def revoke(self, grant_id: str) -> None:
        answer = self.client.delete(f"/api/v1/me/grants/{grant_id}", headers=self.headers)
        assert answer.status_code == 204, answer.text

    def upload_ride(self, day: int) -> str:
        start = datetime(2025, 6, 1, 7, tzinfo=UTC) + timedelta(days=day)
        (upload,) = upload_files(self.client, self.headers, [("ride.gpx", synthetic_gpx(start))])
        return str(upload["items"][0]["ride_id"])

    def edit(self, ride_id: str, changes: dict[str, Any]) -> None:
        answer = self.client.patch(f"/api/v1/rides/{ride_id}", json=changes, headers=self.headers)
        assert answer.status_code == 200, answer.text


def run_background(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    state.events.run_until_idle()
    state.worker.run_until_idle()


def received(receiver: Receiver) -> list[dict[str, Any]]:
    """The verified payloads, in arrival order (every request verified by the secret)."""
    assert all(r.verified_by == receiver.secrets for r in receiver.requests)
    return [json.loads(r.body) for r in receiver.requests]


def test_an_app_webhook_gets_the_rides_of_riders_who_granted_it_and_no_others(
    client: TestClient, receiver: Receiver
) -> None:
    developer = Developer(client, receiver)
    developer.subscribe(["ride.created", "ride.updated"])
    wide, narrow, stranger = Athlete(client), Athlete(client), Athlete(client)
    wide.grant(developer, "rides:read_all")
    narrow.grant(developer, "rides:read profile:read")
    rides = {
        "wide": wide.upload_ride(0),
        "narrow": narrow.upload_ride(1),
        "stranger": stranger.upload_ride(2),
    }
    narrow.edit(rides["narrow"], {"visibility": "public"})  # uploads start private
    wide.edit(rides["wide"], {"name": "Dawn loop", "commute": True})
    stranger.edit(rides["stranger"], {"visibility": "public"})
    run_background(client)

    payloads = received(receiver)
    assert len(receiver.store) == len(payloads)  # each webhook-id once
    seen = {(p["type"], p["data"]["ride_id"]) for p in payloads}
    assert seen == {
        ("ride.created", rides["wide"]),
        ("ride.updated", rides["wide"]),
        # narrow's private upload is not announced to rides:read; going public is
        ("ride.updated", rides["narrow"]),
    }
    [wide_update] = [
        p["data"]
        for p in payloads
        if p["type"] == "ride.updated" and p["data"]["ride_id"] == rides["wide"]
    ]
    assert wide_update == {
        "ride_id": rides["wide"],
        "changed": ["commute", "name"],
        "values": {"commute": True, "name": "Dawn loop"},
    }
    [wide_created] = [p["data"] for p in payloads if p["type"] == "ride.created"]
    assert wide_created["ride"]["visibility"] == "private"
    assert set(wide_created["ride"]) >= {"name", "sport", "started_at", "distance_m"}
    assert "latlng" not in json.dumps(payloads)


def test_a_revoked_grant_stops_deliveries_at_once_queued_ones_included(
    client: TestClient, receiver: Receiver
) -> None:
    developer = Developer(client, receiver)
    hook = developer.subscribe(["ride.created", "ride.updated"])
    athlete = Athlete(client)
    grant_id = athlete.grant(developer, "rides:read_all")
    first = athlete.upload_ride(0)
    run_background(client)
    assert [p["data"]["ride_id"] for p in received(receiver)] == [first]

    athlete.edit(first, {"name": "Queued before the revocation"})
    state = client.app.state  # type: ignore[attr-defined]
    state.events.run_until_idle()  # the delivery is queued, not yet sent
    athlete.revoke(grant_id)
    athlete.upload_ride(1)
    run_background(client)
    assert len(receiver.requests) == 1
    path = f"{developer.base}/{hook['id']}/deliveries"
    statuses = [
        d["status"] for d in client.get(path, headers=developer.headers).json()["deliveries"]
    ]
    assert statuses == ["withdrawn", "delivered"]


def test_one_webhook_per_app_managed_only_by_its_developer(
    client: TestClient, receiver: Receiver
) -> None:
    developer = Developer(client, receiver)
    hook = developer.subscribe(["ride.created"])
    again = {"url": receiver.url, "event_types": ["ride.deleted"]}
    assert client.post(developer.base, json=again, headers=developer.headers).status_code == 409
    other = Athlete(client)
    for method, path in (
        ("GET", developer.base),
        ("POST", developer.base),
        ("GET", f"{developer.base}/{hook['id']}"),
        ("DELETE", f"{developer.base}/{hook['id']}"),
    ):
        answer = client.request(method, path, json=again, headers=other.headers)
        assert answer.status_code == 404, (method, path, answer.text)
    # Not among the developer's own webhooks, nor reachable through their routes.
    assert client.get("/api/v1/webhooks", headers=developer.headers).json()["webhooks"] == []
    own = client.get(f"/api/v1/webhooks/{hook['id']}", headers=developer.headers)
    assert own.status_code == 404
    listed = client.get(developer.base, headers=developer.headers).json()["webhooks"]
    assert [(w["id"], w["app_id"]) for w in listed] == [(hook["id"], developer.app_id)]
    path = f"{developer.base}/{hook['id']}"
    rotated = client.post(f"{path}/rotate-secret", headers=developer.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_")
    gone = client.delete(f"{developer.base}/{hook['id']}", headers=developer.headers)
    assert gone.status_code == 204
    assert client.get(developer.base, headers=developer.headers).json() == {"webhooks": []}


def test_an_app_webhook_url_must_be_public(client: TestClient, receiver: Receiver) -> None:
    developer = Developer(client, receiver)
    body = {"url": "http://169.254.169.254/latest", "event_types": ["ride.created"]}
    answer = client.post(developer.base, json=body, headers=developer.headers)
    assert answer.status_code in {400, 422}, answer.text


def test_a_deleted_apps_webhook_sends_nothing_more_and_goes(
    client: TestClient, receiver: Receiver, engine: Engine
) -> None:
    developer = Developer(client, receiver)
    developer.subscribe(["ride.created"])
    athlete = Athlete(client)
    athlete.grant(developer, "rides:read_all")
    removed = client.delete(f"/api/v1/apps/{developer.app_id}", headers=developer.headers)
    assert removed.status_code == 204, removed.text
    athlete.upload_ride(0)
    run_background(client)
    assert receiver.requests == []
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_a_queued_private_rides_delivery_is_withdrawn_when_only_rides_read_is_left(
    client: TestClient, receiver: Receiver
) -> None:
    developer = Developer(client, receiver)
    hook = developer.subscribe(["ride.created"])
    athlete = Athlete(client)
    athlete.grant(developer, "rides:read")
    wide = athlete.grant(developer, "rides:read_all")
    athlete.upload_ride(0)  # private, as uploads start
    state = client.app.state  # type: ignore[attr-defined]
    state.events.run_until_idle()  # queued while the app could read private rides
    athlete.revoke(wide)
    run_background(client)
    assert receiver.requests == []
    path = f"{developer.base}/{hook['id']}/deliveries"
    [delivery] = client.get(path, headers=developer.headers).json()["deliveries"]
    assert delivery["status"] == "withdrawn"
