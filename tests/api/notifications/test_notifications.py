"""Notifications over HTTP: a worn chain tells its rider in the app and by e-mail (a real
SMTP server through the app's job queue); list, unread count, read marks, preferences, and
the one-click unsubscribe that needs no sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import signed_in
from tests.smtp_server import Inbox, free_port, smtp_server

MARKER = "zz-chain-notes-91c2"
API = "/api/v1/notifications"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app(settings: Settings, engine: Engine, smtp_port: int) -> Iterator[FastAPI]:
    """Mail goes to the test's SMTP server on loopback, without TLS."""
    update = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False}
    application = create_app(settings.model_copy(update=update))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    with smtp_server(smtp_port) as running:
        yield running


class Rider:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.account, self.headers = signed_in(client)

    def worn_chains(self, count: int = 1) -> None:
        """Worn chains on a new bike: each crosses its warn and due thresholds at once."""
        body = {"name": f"{MARKER} bike", "type": "road"}
        bike = self.client.post("/api/v1/bikes", json=body, headers=self.headers).json()
        for n in range(count):
            chain = {
                "type": "chain",
                "notes": MARKER,
                "start_distance_m": 5e6,
                "installed_at": "2024-01-01T00:00:00Z",
                "position": f"spare-{n}",
            }
            path = f"/api/v1/bikes/{bike['id']}/components"
            made = self.client.post(path, json=chain, headers=self.headers)
            assert made.status_code == 201, made.text
        state = self.client.app.state  # type: ignore[attr-defined]
        state.events.run_until_idle()
        state.worker.run_until_idle()

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(API + path, params=params, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()


def test_a_worn_chain_tells_its_rider_in_the_app_and_by_mail_once(
    client: TestClient, inbox: Inbox
) -> None:
    rider, other = Rider(client), Rider(client)
    rider.worn_chains()
    page = rider.get("")
    titles = sorted(n["title"] for n in page["items"])
    assert titles == ["A component is due for service", "A component is nearly due for service"]
    assert page["unread"] == 2 and rider.get("/unread-count") == {"unread": 2}
    assert MARKER not in str(page)  # never a component's or bike's own words
    assert other.get("") == {"items": [], "next_cursor": None, "unread": 0}
    assert len(inbox.messages) == 2
    assert {m["To"] for m in inbox.messages} == {rider.account["email"]}
    assert all(MARKER not in m.as_string() for m in inbox.messages)
    # Running the queue again sends nothing more.
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    assert len(inbox.messages) == 2


def test_mark_one_then_all_read(client: TestClient, inbox: Inbox) -> None:
    rider, other = Rider(client), Rider(client)
    rider.worn_chains()
    first = rider.get("")["items"][0]
    stolen = client.post(f"{API}/{first['id']}/read", headers=other.headers)
    assert stolen.status_code == 404
    read = client.post(f"{API}/{first['id']}/read", headers=rider.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert rider.get("/unread-count") == {"unread": 1}
    assert client.post(f"{API}/read-all", headers=rider.headers).json() == {"marked": 1}
    assert rider.get("/unread-count") == {"unread": 0}


def test_pages_follow_a_cursor_newest_first(client: TestClient, inbox: Inbox) -> None:
    rider = Rider(client)
    rider.worn_chains(3)  # six notifications
    seen: list[str] = []
    page = rider.get("", limit=4)
    seen += [n["id"] for n in page["items"]]
    assert len(page["items"]) == 4 and page["next_cursor"]
    page = rider.get("", limit=4, cursor=page["next_cursor"])
    seen += [n["id"] for n in page["items"]]
    assert len(page["items"]) == 2 and page["next_cursor"] is None
    assert len(set(seen)) == 6


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "NaN"},
        {"cursor": "not-a-cursor"},
        {"cursor": "x" * 201},
    ],
)
def test_bad_page_parameters_get_a_problem_answer(
    client: TestClient, params: dict[str, Any]
) -> None:
    rider = Rider(client)
    answer = client.get(API, params=params, headers=rider.headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_email_switched_off_keeps_the_app_notification_and_sends_nothing(
    client: TestClient, inbox: Inbox
) -> None:
    rider = Rider(client)
    defaults = rider.get("/preferences")
    assert defaults["types"][:2] == [
        {
            "type": "component_due",
            "label": "A component of your bike is due for service",
            "channels": {"in_app": True, "email": True, "push": True},
        },
        {
            "type": "health_alert",
            "label": "A new alert on your daily health values",
            "channels": {"in_app": True, "email": False, "push": False},
        },
    ]  # social and market types follow (tests/api/notifications/test_social_and_market.py)
    assert defaults["quiet_hours"] is None
    body = {"choices": [{"type": "component_due", "channel": "email", "enabled": False}]}
    changed = client.put(f"{API}/preferences", json=body, headers=rider.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["types"][0]["channels"] == {"in_app": True, "email": False, "push": True}
    rider.worn_chains()
    assert len(rider.get("")["items"]) == 2 and inbox.messages == []


@pytest.mark.parametrize(
    "body",
    [
        {"quiet_hours": {"start_min": 60, "end_min": 60}},
        {"quiet_hours": {"start_min": -1, "end_min": 60}},
        {"quiet_hours": {"start_min": 60, "end_min": 10**12}},
        {"quiet_hours": {"start_min": 1.5, "end_min": 60}},
        {"choices": [{"type": "carrier_pigeon", "channel": "email", "enabled": False}]},
        {"choices": [{"type": "component_due", "channel": "pigeon", "enabled": False}]},
        {"choices": [{"type": "component_due", "channel": "email", "enabled": False}] * 101},
        {"surprise": True},
    ],
)
def test_bad_preferences_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    rider = Rider(client)
    answer = client.put(f"{API}/preferences", json=body, headers=rider.headers)
    assert answer.status_code == 422, answer.text
    assert rider.get("/preferences")["quiet_hours"] is None


def test_quiet_hours_are_kept_and_cleared(client: TestClient) -> None:
    rider = Rider(client)
    body = {"quiet_hours": {"start_min": 1320, "end_min": 420}}
    set_ = client.put(f"{API}/preferences", json=body, headers=rider.headers).json()
    assert set_["quiet_hours"] == {"start_min": 1320, "end_min": 420}
    cleared = client.put(
        f"{API}/preferences", json={"clear_quiet_hours": True}, headers=rider.headers
    )
    assert cleared.json()["quiet_hours"] is None


def test_one_click_unsubscribe_works_without_signing_in(client: TestClient, inbox: Inbox) -> None:
    rider = Rider(client)
    rider.worn_chains()
    link = inbox.messages[0]["List-Unsubscribe"].strip("<>")
    path = "/api/v1/notifications/unsubscribe"
    token = unquote(link.split("token=")[1])
    # A GET (a mail scanner opening the link) only says what it would switch off.
    shown = client.get(path, params={"token": token})
    assert shown.status_code == 200 and shown.json()["type"] == "component_due"
    assert rider.get("/preferences")["types"][0]["channels"]["email"] is True
    # RFC 8058: the mail client POSTs the form body, with no cookie or token of ours.
    done = client.post(
        path,
        params={"token": token},
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200, done.text
    channels = rider.get("/preferences")["types"][0]["channels"]
    assert channels == {"in_app": True, "email": False, "push": True}  # e-mail only
    again = client.post(path, params={"token": token})
    assert again.status_code == 200  # twice: still off, no error


@pytest.mark.parametrize("token", ["nope", "a.b.c", "x" * 201])
def test_a_forged_unsubscribe_token_is_refused(client: TestClient, token: str) -> None:
    answer = client.post("/api/v1/notifications/unsubscribe", params={"token": token})
    assert answer.status_code == 422


def test_the_list_needs_a_signed_in_rider(client: TestClient) -> None:
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/unread-count").status_code == 401


def test_a_recent_health_alert_shows_in_the_app_and_is_not_mailed_by_default(
    client: TestClient, inbox: Inbox
) -> None:
    rider = Rider(client)
    today = datetime.now(UTC).date()
    values = [50.0, 51.0] * 10 + [58.0, 59.0]  # two nights well above twenty steady ones
    nights = [
        {
            "day": (today - timedelta(days=len(values) - i)).isoformat(),
            "metric": "resting_hr_bpm",
            "value": v,
        }
        for i, v in enumerate(values)
    ]
    posted = client.post("/api/v1/health/metrics", json={"metrics": nights}, headers=rider.headers)
    assert posted.status_code == 201, posted.text
    state = client.app.state  # type: ignore[attr-defined]
    state.events.run_until_idle()
    state.worker.run_until_idle()
    [notification] = rider.get("")["items"]
    assert (notification["title"], notification["link"]) == ("A new health alert", "/health")
    assert "59" not in notification["text"] and "heart" not in notification["text"]
    assert inbox.messages == []
