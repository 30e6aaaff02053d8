"""Crash alerts through the app: positions in by the OsmAnd ingest, the rider warned, the
contacts mailed by the real SMTP server after the cancel window, or not when cancelled; a
traffic-light stop and a standing phone's jitter raise nothing."""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.db.queue import Job
from bikenode.live.logic import encode_batch
from bikenode.live.models import LiveCrashAlert
from tests.factories import signed_in
from tests.smtp_server import Inbox, free_port, smtp_server

API = "/api/v1/live/crash"
M_PER_DEG = 111_195.0
LAT0, LON0 = 52.52, 13.405
START_S = int(time.time()) - 400
CONTACT = "kin-7f3a@example.org"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app(settings: Settings, engine: Engine, smtp_port: int) -> Iterator[FastAPI]:
    """Mail goes to the test's SMTP server on loopback, without TLS."""
    update_ = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False}
    application = create_app(settings.model_copy(update=update_))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    with smtp_server(smtp_port) as running:
        yield running


class Rider:
    def __init__(self, client: TestClient, *, opt_in: bool = True) -> None:
        self.client = client
        self.account, self.headers = signed_in(client)
        if opt_in:
            body = {"enabled": True, "still_s": 30, "cancel_s": 30}
            answer = client.put(f"{API}/settings", json=body, headers=self.headers)
            assert answer.status_code == 200, answer.text
        made = client.post("/api/v1/live/devices", json={"name": "phone"}, headers=self.headers)
        self.token = made.json()["token"]

    def send(self, track: list[tuple[int, float]]) -> None:
        """(second, metres north) positions, as OsmAnd sends them."""
        for second, north in track:
            lat = LAT0 + north / M_PER_DEG
            query = (
                f"id={self.token}&lat={lat:.7f}&lon={LON0}&timestamp={(START_S + second) * 1000}"
            )
            answer = self.client.get(f"/ingest/osmand?{query}")
            assert answer.status_code == 200, answer.text

    def run_queues(self) -> None:
        state = self.client.app.state  # type: ignore[attr-defined]
        state.events.run_until_idle()
        state.worker.run_until_idle()

    def notifications(self) -> list[dict[str, Any]]:
        page = self.client.get("/api/v1/notifications", headers=self.headers).json()
        items: list[dict[str, Any]] = page["items"]
        return items


def crash_track(still_s: int = 40) -> list[tuple[int, float]]:
    """30 s at 25 km/h, a 2 m slide, then a phone lying still (its fixes wander a little)."""
    track = [(s, s * 25 / 3.6) for s in range(1, 31)]
    rest, rng, wander = track[-1][1] + 2, random.Random(3), 0.0
    for s in range(31, 31 + still_s):
        wander = 0.8 * wander + rng.gauss(0, 0.4)
        track.append((s, rest + wander))
    return track


def end_the_cancel_window(session: Session) -> None:
    """As if the rider's cancel window had passed: the durable job is due now."""
    past = utcnow()
    session.execute(update(Job).where(Job.kind == "live.crash_alert").values(run_after=past))
    session.execute(update(LiveCrashAlert).values(cancel_by=past))
    session.commit()


def alert_mails(inbox: Inbox) -> list[Any]:
    return [m for m in inbox.messages if m["Subject"].startswith("Possible crash")]


def test_a_crash_warns_the_rider_then_mails_the_contact_after_the_window(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider = Rider(client)
    added = client.post(f"{API}/contacts", json={"email": CONTACT}, headers=rider.headers)
    assert added.status_code == 201, added.text
    rider.run_queues()
    [told] = inbox.messages
    assert told["To"] == CONTACT and "emergency contact" in told["Subject"]
    assert "/api/v1/live/crash-contacts/opt-out?token=" in told.get_content()

    rider.send(crash_track(still_s=25))  # not yet still for 30 s
    rider.run_queues()
    assert rider.notifications() == []
    rider.send([(s, crash_track()[-1][1]) for s in range(56, 66)])
    rider.run_queues()
    [warning] = rider.notifications()
    assert warning["title"] == "Are you all right?"
    alert_id = warning["link"].rsplit("=", 1)[1]
    state = client.get(f"{API}/alerts/{alert_id}", headers=rider.headers).json()
    assert state["status"] == "warned"
    assert alert_mails(inbox) == []  # nobody told inside the cancel window

    end_the_cancel_window(session)
    rider.run_queues()
    [mail] = alert_mails(inbox)
    assert mail["To"] == CONTACT
    body = mail.get_content()
    lat = LAT0 + (30 * 25 / 3.6 + 2) / M_PER_DEG
    found = re.search(r"mlat=([0-9.]+)&mlon=([0-9.]+)", body)
    assert found and math.isclose(float(found[1]), lat, abs_tol=2e-5)
    assert client.get(f"{API}/alerts/{alert_id}", headers=rider.headers).json()["status"] == "sent"
    late = client.post(f"{API}/alerts/{alert_id}/cancel", headers=rider.headers)
    assert late.status_code == 409
    rider.run_queues()
    assert len(alert_mails(inbox)) == 1  # once


def test_a_cancelled_alert_mails_nobody(client: TestClient, session: Session, inbox: Inbox) -> None:
    rider = Rider(client)
    client.post(f"{API}/contacts", json={"email": CONTACT}, headers=rider.headers)
    rider.send(crash_track())
    rider.run_queues()
    [warning] = rider.notifications()
    alert_id = warning["link"].rsplit("=", 1)[1]
    _, stranger = signed_in(client)
    [open_alert] = client.get(f"{API}/alerts", headers=rider.headers).json()
    assert open_alert["id"] == alert_id and open_alert["status"] == "warned"
    assert client.get(f"{API}/alerts", headers=stranger).json() == []
    assert client.post(f"{API}/alerts/{alert_id}/cancel", headers=stranger).status_code == 404
    cancelled = client.post(f"{API}/alerts/{alert_id}/cancel", headers=rider.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.get(f"{API}/alerts", headers=rider.headers).json() == []  # no longer open
    end_the_cancel_window(session)
    rider.run_queues()
    assert alert_mails(inbox) == []


def test_riding_on_inside_the_window_clears_the_alert(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider = Rider(client)
    client.post(f"{API}/contacts", json={"email": CONTACT}, headers=rider.headers)
    track = crash_track()
    rider.send(track)
    rider.send([(track[-1][0] + s, track[-1][1] + 6 * s) for s in range(1, 10)])
    end_the_cancel_window(session)
    rider.run_queues()
    assert alert_mails(inbox) == []
    assert session.scalars(select(LiveCrashAlert.status)).all() == ["cleared"]


def test_a_traffic_light_stop_and_a_jittering_phone_raise_nothing(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider = Rider(client)
    track = [(s, s * 25 / 3.6) for s in range(1, 31)]
    north = track[-1][1]
    for s in range(31, 38):  # braking over 7 s
        north += 25 / 3.6 * (1 - (s - 30) / 7)
        track.append((s, north))
    rng = random.Random(5)
    track += [(s, north + rng.gauss(0, 3)) for s in range(38, 118)]  # 80 s at the light
    rider.send(track)
    rider.run_queues()
    assert rider.notifications() == []
    assert session.scalars(select(LiveCrashAlert)).all() == []


def test_detection_is_off_until_the_rider_turns_it_on(client: TestClient, session: Session) -> None:
    rider = Rider(client, opt_in=False)
    settings = client.get(f"{API}/settings", headers=rider.headers).json()
    assert settings == {"enabled": False, "still_s": 75.0, "cancel_s": 60.0}
    rider.send(crash_track())
    rider.run_queues()
    assert session.scalars(select(LiveCrashAlert)).all() == []


def test_an_opted_out_contact_is_not_mailed(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider = Rider(client)
    client.post(f"{API}/contacts", json={"email": CONTACT}, headers=rider.headers)
    rider.run_queues()
    token = re.search(r"token=([\w-]+)", inbox.messages[0].get_content())
    assert token
    page = client.get("/api/v1/live/crash-contacts/opt-out", params={"token": token[1]})
    assert page.status_code == 200 and "<form" in page.text
    [contact] = client.get(f"{API}/contacts", headers=rider.headers).json()
    assert contact["opted_out_at"] is None  # the GET changed nothing
    done = client.post("/api/v1/live/crash-contacts/opt-out", params={"token": token[1]})
    assert done.status_code == 200
    assert client.post("/api/v1/live/crash-contacts/opt-out?token=forged").status_code == 404
    rider.send(crash_track())
    end_the_cancel_window(session)
    rider.run_queues()
    assert alert_mails(inbox) == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"enabled": True, "still_s": 5}, "still_s"),
        ({"enabled": True, "cancel_s": 3600}, "cancel_s"),
        ({"enabled": "yes"}, "enabled"),
    ],
)
def test_bad_settings_are_refused(client: TestClient, body: dict[str, Any], detail: str) -> None:
    _, headers = signed_in(client)
    answer = client.put(f"{API}/settings", json=body, headers=headers)
    assert answer.status_code == 422 and detail in answer.text


def test_contacts_are_limited_and_not_repeated(client: TestClient) -> None:
    _, headers = signed_in(client)
    for n in range(5):
        made = client.post(f"{API}/contacts", json={"email": f"c{n}@example.org"}, headers=headers)
        assert made.status_code == 201, made.text
    repeated = client.post(f"{API}/contacts", json={"email": "C0@example.org"}, headers=headers)
    assert repeated.status_code in (409, 422)
    sixth = client.post(f"{API}/contacts", json={"email": "c5@example.org"}, headers=headers)
    assert sixth.status_code == 422 and "at most 5" in sixth.text
    bad = client.post(f"{API}/contacts", json={"email": "not an address"}, headers=headers)
    assert bad.status_code == 422
    [first, *_] = client.get(f"{API}/contacts", headers=headers).json()
    _, stranger = signed_in(client)
    gone = client.delete(f"{API}/contacts/{first['id']}", headers=stranger)
    assert gone.status_code == 404
    assert client.delete(f"{API}/contacts/{first['id']}", headers=headers).status_code == 204


def test_a_crash_sent_over_the_ride_socket_warns_the_rider(client: TestClient) -> None:
    rider = Rider(client)
    live = client.post("/api/v1/live/sessions", json={}, headers=rider.headers).json()
    track = crash_track()
    with client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ride") as socket:
        socket.send_json({"type": "hello", "token": rider.headers["Authorization"][7:]})
        assert socket.receive_json()["type"] == "welcome"
        for batch_no, first in enumerate(range(0, len(track), 10), start=1):
            part = track[first : first + 10]
            columns: dict[str, list[int | None]] = {
                "t": [(START_S + s) * 1000 for s, _ in part],
                "lat": [round((LAT0 + north / M_PER_DEG) * 1e7) for _, north in part],
                "lon": [round(LON0 * 1e7) for _ in part],
            }
            socket.send_json(encode_batch(batch_no, columns))
            assert socket.receive_json()["type"] == "ack"
            if first + 10 >= len(track):  # the batch whose end is 30 s after the stop
                frame = socket.receive_json()
                assert frame["type"] == "crash_suspected", frame
    assert frame["cancel"] == f"{API}/alerts/{frame['alert']}/cancel"
    rider.run_queues()
    [warning] = rider.notifications()
    assert warning["title"] == "Are you all right?"
    assert warning["link"].endswith(frame["alert"])
    cancelled = client.post(frame["cancel"], headers=rider.headers)
    assert cancelled.json()["status"] == "cancelled"
