"""A webhook switched off by its deliveries tells its owner once, in the app and by e-mail
(a real SMTP server): a 410 Gone, or three days of failures; enabled again and failing
again, it tells them again. An app's webhook tells the app's developer, not its riders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.events.models import OutboxEvent
from bikenode.webhooks.delivery import _record
from tests.api.webhooks.test_app_webhooks import Athlete, Developer, run_background
from tests.api.webhooks.test_webhooks import Rider
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.webhook_receiver import Receiver, webhook_receiver

DISABLED = "webhook_disabled"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app(settings: Settings, engine: Engine, smtp_port: int) -> Iterator[FastAPI]:
    """Loopback allowed for the receiver; mail to the test's SMTP server, without TLS."""
    update = {
        "webhooks_allowed_hosts": "127.0.0.1",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": False,
    }
    application = create_app(settings.model_copy(update=update))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    with smtp_server(smtp_port) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def told(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The webhook_disabled notifications in the person's app inbox."""
    answer = client.get("/api/v1/notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json()["items"] if n["type"] == DISABLED]


def settle(client: TestClient) -> None:
    """Deliveries sent, the disabling's event turned into a notification, its mail sent."""
    for _ in range(3):
        run_background(client)


def disabled_events(client: TestClient) -> int:
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        count = session.scalar(
            select(func.count()).where(OutboxEvent.type == "webhooks.webhook_disabled")
        )
    return int(count or 0)


def test_a_410_disables_the_webhook_and_tells_its_owner_once_in_the_app_and_by_mail(
    client: TestClient, receiver: Receiver, inbox: Inbox
) -> None:
    rider, other = Rider(client, receiver), Rider(client, receiver)
    hook = rider.subscribe()
    receiver.statuses = [410]
    rider.upload_ride()
    settle(client)
    assert rider.webhook(hook["id"])["disabled_at"] is not None
    [note] = told(client, rider.headers)
    assert note["title"] == "A webhook to 127.0.0.1 was disabled"
    assert "410 Gone" in note["text"] and "127.0.0.1" in note["text"]
    assert note["link"] == f"/settings/webhooks?webhook={hook['id']}"
    assert hook["secret"] not in str(note) and hook["url"] not in str(note)
    [mail] = inbox.messages
    assert mail["To"] == client.get("/api/v1/me", headers=rider.headers).json()["email"]
    body = mail.as_string()
    assert "127.0.0.1" in body and "410 Gone" in body and hook["secret"] not in body
    assert told(client, other.headers) == []

    rider.upload_ride(day=1)  # disabled: nothing is sent, nobody is told again
    settle(client)
    assert len(told(client, rider.headers)) == 1 and len(inbox.messages) == 1
    assert disabled_events(client) == 1


def test_failing_for_three_days_tells_the_owner_once_not_at_each_later_attempt(
    client: TestClient, receiver: Receiver, inbox: Inbox
) -> None:
    rider = Rider(client, receiver)
    hook = rider.subscribe()
    receiver.statuses = [503] * 50
    rider.upload_ride()
    rider.upload_ride(day=1)  # a second ride's delivery fails alongside the first
    settle(client)
    start = utcnow()
    for day in (1, 2):
        rider.deliver_at(hook["id"], start + timedelta(days=day))
    settle(client)
    assert told(client, rider.headers) == []  # failing, not yet for three days
    for minutes in (1, 60, 24 * 60):  # disabled at the first; the later passes send nothing
        rider.deliver_at(hook["id"], start + timedelta(days=3, minutes=minutes))
    failures = rider.webhook(hook["id"])["consecutive_failures"]  # when it was disabled
    # A worker that claimed the other ride's delivery before the disabling records its
    # failure after it: still one announcement.
    late = next(d["id"] for d in rider.deliveries(hook["id"]) if d["status"] == "pending")
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        _record(session, late, None, "ConnectionRefusedError", start + timedelta(days=4), 1.0)
        session.commit()
    settle(client)
    [note] = told(client, rider.headers)
    assert f"after {failures} attempts in a row" in note["text"]
    assert "every delivery failed since" in note["text"]
    assert disabled_events(client) == 1 and len(inbox.messages) == 1


def test_enabled_again_and_failing_again_tells_the_owner_again(
    client: TestClient, receiver: Receiver, inbox: Inbox
) -> None:
    rider = Rider(client, receiver)
    hook = rider.subscribe()
    receiver.statuses = [410]
    rider.upload_ride()
    settle(client)
    assert len(told(client, rider.headers)) == 1
    enabled = client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"enabled": True}, headers=rider.headers
    )
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    receiver.statuses = [410]
    rider.upload_ride(day=1)
    settle(client)
    assert rider.webhook(hook["id"])["disabled_at"] is not None
    assert len(told(client, rider.headers)) == 2 and len(inbox.messages) == 2


def test_an_app_webhook_tells_the_apps_developer_and_not_its_riders(
    client: TestClient, receiver: Receiver, inbox: Inbox
) -> None:
    developer, athlete = Developer(client, receiver), Athlete(client)
    hook = developer.subscribe(["ride.created"])
    athlete.grant(developer, "rides:read_all")  # uploads start private
    receiver.statuses = [410]
    athlete.upload_ride(day=0)
    settle(client)
    [note] = told(client, developer.headers)
    assert note["link"] == f"/settings/apps?app={developer.app_id}"
    assert hook["secret"] not in str(note)
    assert told(client, athlete.headers) == []
    assert len(inbox.messages) == 1
