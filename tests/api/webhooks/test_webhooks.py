"""Webhooks end to end: a ride upload reaches a real receiver on loopback, signed so that
the Standard Webhooks library verifies it; retries, 410, SSRF refusals and secret rotation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.db.queue import Job
from bikenode.webhooks.delivery import deliver_due
from bikenode.webhooks.service import DELIVER_JOB
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx
from tests.webhook_receiver import Receiver, webhook_receiver


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


class Rider:
    def __init__(self, client: TestClient, receiver: Receiver) -> None:
        self.client, self.receiver = client, receiver
        _, self.headers = signed_in(client)

    def subscribe(self, types: list[str] | None = None) -> dict[str, Any]:
        body = {"url": self.receiver.url, "event_types": types or ["ride.created"]}
        answer = self.client.post("/api/v1/webhooks", json=body, headers=self.headers)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        self.receiver.secrets.append(created["secret"])
        return created

    def upload_ride(self, day: int = 0) -> str:
        start = datetime(2025, 6, 1, 7, tzinfo=UTC) + timedelta(days=day)
        (upload,) = upload_files(self.client, self.headers, [("ride.gpx", synthetic_gpx(start))])
        return str(upload["items"][0]["ride_id"])

    def run_background(self) -> None:
        """The dispatcher turns events into deliveries; the worker sends those due now."""
        state = self.client.app.state  # type: ignore[attr-defined]
        state.events.run_until_idle()
        state.worker.run_until_idle()

    def deliver_at(self, webhook_id: str, when: datetime) -> int:
        """Send what is due at `when` (the clock moved on instead of sleeping)."""
        state = self.client.app.state  # type: ignore[attr-defined]
        return deliver_due(
            state.session_factory,
            subscription_id=uuid.UUID(webhook_id),
            allowed=frozenset({"127.0.0.1"}),
            now=lambda: when,
        )

    def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        path = f"/api/v1/webhooks/{webhook_id}/deliveries"
        answer = self.client.get(path, headers=self.headers)
        assert answer.status_code == 200, answer.text
        listed: list[dict[str, Any]] = answer.json()["deliveries"]
        return listed

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(
            f"/api/v1/webhooks/{webhook_id}", headers=self.headers
        ).json()
        return found


@pytest.fixture
def rider(client: TestClient, receiver: Receiver) -> Rider:
    return Rider(client, receiver)


def test_a_ride_upload_reaches_the_receiver_once_signed_and_verified(rider: Rider) -> None:
    hook = rider.subscribe()
    ride_id = rider.upload_ride()
    rider.run_background()
    rider.run_background()  # a second pass sends nothing again
    [request] = rider.receiver.requests
    assert request.verified_by == rider.receiver.secrets
    [(msg_id, payload)] = rider.receiver.store.items()
    assert payload["type"] == "ride.created"
    assert payload["data"]["ride_id"] == ride_id
    assert set(payload["data"]["ride"]) >= {"name", "sport", "started_at", "distance_m"}
    assert request.headers["webhook-signature"].startswith("v1,")
    [delivery] = rider.deliveries(hook["id"])
    assert (delivery["id"], delivery["status"], delivery["attempt"]) == (msg_id, "delivered", 1)
    assert delivery["last_status_code"] == 200
    assert "secret" not in rider.webhook(hook["id"])


def test_a_failed_delivery_is_retried_later_with_the_same_id(rider: Rider) -> None:
    hook = rider.subscribe()
    rider.receiver.statuses = [500]
    rider.upload_ride()
    rider.run_background()
    [failed] = rider.deliveries(hook["id"])
    assert (failed["status"], failed["attempt"], failed["last_status_code"]) == ("pending", 1, 500)
    assert rider.deliver_at(hook["id"], utcnow() + timedelta(seconds=1)) == 0  # not due yet
    assert rider.deliver_at(hook["id"], utcnow() + timedelta(minutes=1)) == 1
    first, second = rider.receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == failed["id"]
    assert list(rider.receiver.store) == [failed["id"]]
    [delivered] = rider.deliveries(hook["id"])
    assert (delivered["status"], delivered["attempt"]) == ("delivered", 2)
    assert rider.webhook(hook["id"])["consecutive_failures"] == 0


def test_deliveries_of_one_ride_wait_for_the_earlier_one(rider: Rider) -> None:
    hook = rider.subscribe(["ride.created", "ride.updated"])
    rider.receiver.statuses = [500]
    ride_id = rider.upload_ride()
    rider.run_background()
    renamed = rider.client.patch(
        f"/api/v1/rides/{ride_id}", json={"name": "Dawn loop"}, headers=rider.headers
    )
    assert renamed.status_code == 200, renamed.text
    rider.run_background()
    assert len(rider.receiver.requests) == 1  # the update waits behind the failed creation
    rider.deliver_at(hook["id"], utcnow() + timedelta(minutes=1))
    types = [json.loads(r.body)["type"] for r in rider.receiver.requests]
    assert types == ["ride.created", "ride.created", "ride.updated"]
    updated = json.loads(rider.receiver.requests[-1].body)["data"]
    assert updated == {"ride_id": ride_id, "changed": ["name"], "values": {"name": "Dawn loop"}}


def test_a_retry_with_an_update_waiting_behind_it_keeps_a_job_for_its_time(
    rider: Rider,
) -> None:
    """The update's old due time must not wake a job that finds nothing and queues none."""
    hook = rider.subscribe(["ride.created", "ride.updated"])
    rider.receiver.statuses = [500]
    ride_id = rider.upload_ride()
    rider.client.patch(f"/api/v1/rides/{ride_id}", json={"name": "Dusk"}, headers=rider.headers)
    rider.run_background()  # the creation fails while the update already waits behind it
    created = next(d for d in rider.deliveries(hook["id"]) if d["type"] == "ride.created")
    with rider.client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        waiting = session.scalars(
            select(Job.run_after).where(Job.kind == DELIVER_JOB, Job.status == "queued")
        ).all()
    assert waiting == [datetime.fromisoformat(created["next_attempt_at"])]


def test_410_gone_disables_the_webhook(rider: Rider) -> None:
    hook = rider.subscribe()
    rider.receiver.statuses = [410]
    rider.upload_ride()
    rider.run_background()
    [delivery] = rider.deliveries(hook["id"])
    assert delivery["status"] == "gone"
    disabled = rider.webhook(hook["id"])
    assert disabled["disabled_at"] is not None
    assert "410" in disabled["disabled_reason"]
    rider.upload_ride(day=1)
    rider.run_background()
    assert len(rider.deliveries(hook["id"])) == 1  # a disabled webhook gets nothing new


def test_a_webhook_failing_for_three_days_is_disabled_with_the_reason(rider: Rider) -> None:
    hook = rider.subscribe()
    rider.receiver.statuses = [503] * 20
    rider.upload_ride()
    rider.run_background()
    start = utcnow()
    for day in (1, 2):
        rider.deliver_at(hook["id"], start + timedelta(days=day))
        assert rider.webhook(hook["id"])["disabled_at"] is None
    rider.deliver_at(hook["id"], start + timedelta(days=3, minutes=1))
    disabled = rider.webhook(hook["id"])
    assert "3 days" in disabled["disabled_reason"]
    assert disabled["consecutive_failures"] == 4


@pytest.fixture
def strict_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The app as installed: no host on the allow-list."""
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as test_client:
        yield test_client
    application.state.engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "ftp://example.org/hook",
    ],
)
def test_subscribing_an_internal_address_is_refused(strict_client: TestClient, url: str) -> None:
    """Without the operator's allow-list, no loopback, private or metadata target is accepted."""
    _, headers = signed_in(strict_client)
    body = {"url": url, "event_types": ["ride.created"]}
    answer = strict_client.post("/api/v1/webhooks", json=body, headers=headers)
    assert answer.status_code == 422, answer.text


def test_the_address_is_checked_again_when_sending(rider: Rider) -> None:
    """A host allowed when subscribing but not when sending (the allow-list changed, or the
    name now resolves to loopback: DNS rebinding) is not called."""
    hook = rider.subscribe()
    rider.upload_ride()
    state = rider.client.app.state  # type: ignore[attr-defined]
    state.events.run_until_idle()
    deliver_due(state.session_factory, subscription_id=uuid.UUID(hook["id"]), allowed=frozenset())
    assert rider.receiver.requests == []
    [delivery] = rider.deliveries(hook["id"])
    assert delivery["status"] == "pending"
    assert "loopback" in delivery["last_error"]


def test_during_rotation_both_secrets_verify(rider: Rider) -> None:
    hook = rider.subscribe()
    path = f"/api/v1/webhooks/{hook['id']}/rotate-secret"
    rotated = rider.client.post(path, headers=rider.headers)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != hook["secret"] and new_secret.startswith("whsec_")
    rider.receiver.secrets.append(new_secret)
    rider.upload_ride()
    rider.run_background()
    [request] = rider.receiver.requests
    assert request.verified_by == [hook["secret"], new_secret]
    assert len(request.headers["webhook-signature"].split(" ")) == 2


def test_a_delivery_can_be_replayed_with_its_id(rider: Rider) -> None:
    hook = rider.subscribe()
    rider.upload_ride()
    rider.run_background()
    [delivery] = rider.deliveries(hook["id"])
    path = f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/replay"
    replayed = rider.client.post(path, headers=rider.headers)
    assert replayed.status_code == 200, replayed.text
    rider.run_background()
    first, second = rider.receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert len(rider.receiver.store) == 1


def test_others_cannot_see_or_change_a_webhook(rider: Rider) -> None:
    hook = rider.subscribe()
    _, other = signed_in(rider.client)
    base = f"/api/v1/webhooks/{hook['id']}"
    assert rider.client.get(base, headers=other).status_code == 404
    assert rider.client.patch(base, json={"enabled": False}, headers=other).status_code == 404
    assert rider.client.delete(base, headers=other).status_code == 404
    assert rider.client.get("/api/v1/webhooks", headers=other).json() == {"webhooks": []}
    assert rider.client.delete(base, headers=rider.headers).status_code == 204
    assert rider.client.get(base, headers=rider.headers).status_code == 404
