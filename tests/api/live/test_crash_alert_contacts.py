"""Emergency contacts who ride here: after the e-mail, a crash alert reaches their app and
their phone by push, when their account's address is verified (a password reset proved
it), the contact did not opt out or block the rider, and the rider did not cancel."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bikenode.app import create_app
from bikenode.config import Settings
from tests.api.live.test_crash_alerts import (
    API,
    LAT0,
    M_PER_DEG,
    Rider,
    alert_mails,
    crash_track,
    end_the_cancel_window,
)
from tests.factories import login, signed_in
from tests.push_service import PushService, push_service
from tests.smtp_server import Inbox, free_port, smtp_server

NEW_PASSWORD = "a-new-and-long-passphrase-7731"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app(settings: Settings, engine: Engine, smtp_port: int) -> Iterator[FastAPI]:
    """Mail to the test's SMTP server, push to the loopback push service."""
    update_ = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": False,
        "push_allowed_hosts": "127.0.0.1",
    }
    application = create_app(settings.model_copy(update=update_))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    with smtp_server(smtp_port) as running:
        yield running


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as running:
        yield running


class Contact:
    """A BikeNode account, its address verified by a password reset unless told otherwise."""

    def __init__(self, client: TestClient, inbox: Inbox, *, verified: bool = True) -> None:
        self.client = client
        self.account, self.headers = signed_in(client)
        self.email: str = self.account["email"]
        if verified:
            self._reset_password(inbox)
        me = client.get("/api/v1/me", headers=self.headers).json()
        self.id: str = me["id"]

    def verify_by_link(self, inbox: Inbox) -> None:
        """The other way to prove the address: the verification link from the settings."""
        asked = self.client.post("/api/v1/me/email-verification", headers=self.headers)
        assert asked.status_code == 202, asked.text
        [mail] = [m for m in inbox.messages if m["Subject"].startswith("Confirm your")]
        assert mail["To"] == self.email
        token = re.search(r"verify-email\?token=([\w.-]+)", mail.get_content())
        assert token
        page = self.client.get("/api/v1/auth/verify-email", params={"token": token[1]})
        assert page.status_code == 200 and "<form" in page.text
        done = self.client.post("/api/v1/auth/verify-email", params={"token": token[1]})
        assert done.status_code == 200, done.text
        again = self.client.post("/api/v1/me/email-verification", headers=self.headers)
        assert again.status_code == 409

    def _reset_password(self, inbox: Inbox) -> None:
        asked = self.client.post("/api/v1/auth/password-reset", json={"email": self.email})
        assert asked.status_code == 202, asked.text
        [mail] = [m for m in inbox.messages if m["To"] == self.email]
        token = re.search(r"#token=([\w-]+)", mail.get_content())
        assert token
        body = {"token": token[1], "new_password": NEW_PASSWORD}
        done = self.client.post("/api/v1/auth/password-reset/confirm", json=body)
        assert done.status_code == 204, done.text
        tokens = login(self.client, self.email, NEW_PASSWORD)
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    def crash_alerts(self) -> list[dict[str, Any]]:
        page = self.client.get("/api/v1/notifications", headers=self.headers).json()
        return [n for n in page["items"] if n["type"] == "crash_alert"]

    def subscribe(self, service: PushService) -> str:
        browser = service.browser()
        body = service.subscription(browser)
        made = self.client.post(
            "/api/v1/notifications/push/subscriptions", json=body, headers=self.headers
        )
        assert made.status_code == 201, made.text
        return browser.token


def add_contacts(rider: Rider, *contacts: Contact) -> None:
    for contact in contacts:
        added = rider.client.post(
            f"{API}/contacts", json={"email": contact.email}, headers=rider.headers
        )
        assert added.status_code == 201, added.text
    rider.run_queues()  # each contact is told they were added


def crash_and_alert(rider: Rider, session: Session) -> None:
    """A crash, no cancel: the window passes and the contacts are alerted."""
    rider.send(crash_track())
    rider.run_queues()
    end_the_cancel_window(session)
    rider.run_queues()  # the alert job mails the contacts and publishes CrashAlertSent
    rider.run_queues()  # notifications hears it, then pushes


def test_a_verified_contact_is_told_in_the_app_and_by_push_an_unverified_one_not(
    client: TestClient, session: Session, inbox: Inbox, service: PushService
) -> None:
    rider = Rider(client)
    verified, unverified = Contact(client, inbox), Contact(client, inbox, verified=False)
    phone, other_phone = verified.subscribe(service), unverified.subscribe(service)
    add_contacts(rider, verified, unverified)
    crash_and_alert(rider, session)

    [told] = verified.crash_alerts()
    assert told["title"] == f"Possible crash: {rider.account['display_name']} may need help"
    lat = LAT0 + (30 * 25 / 3.6 + 2) / M_PER_DEG
    found = re.search(r"openstreetmap\.org/\?mlat=([0-9.]+)&mlon=([0-9.]+)", told["link"])
    assert found and math.isclose(float(found[1]), lat, abs_tol=2e-5)
    assert "UTC" in told["text"] and f"{lat:.6f}"[:7] in told["text"]
    assert [m["id"] for m in service.received[phone]] == [told["id"]]
    # An address anyone could sign up with says nothing: no app, no push, the e-mail only.
    assert unverified.crash_alerts() == [] and service.received[other_phone] == []
    # The e-mail channel of the notification is off: each contact got the alert mail once.
    assert sorted(m["To"] for m in alert_mails(inbox)) == sorted([verified.email, unverified.email])
    rider.run_queues()
    assert len(verified.crash_alerts()) == 1 and len(service.received[phone]) == 1
    assert [n["type"] for n in rider.notifications()] == ["crash_suspected"]


def test_an_opted_out_contact_hears_nothing(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider, contact = Rider(client), Contact(client, inbox)
    add_contacts(rider, contact)
    [added] = [m for m in inbox.messages if "emergency contact" in m["Subject"]]
    token = re.search(r"token=([\w-]+)", added.get_content())
    assert token
    done = client.post("/api/v1/live/crash-contacts/opt-out", params={"token": token[1]})
    assert done.status_code == 200
    crash_and_alert(rider, session)
    assert alert_mails(inbox) == [] and contact.crash_alerts() == []


def test_a_cancelled_alert_tells_no_contact_in_the_app(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider, contact = Rider(client), Contact(client, inbox)
    add_contacts(rider, contact)
    rider.send(crash_track())
    rider.run_queues()
    [warning] = rider.notifications()
    alert_id = warning["link"].rsplit("=", 1)[1]
    cancelled = client.post(f"{API}/alerts/{alert_id}/cancel", headers=rider.headers)
    assert cancelled.status_code == 200
    end_the_cancel_window(session)
    rider.run_queues()
    assert alert_mails(inbox) == [] and contact.crash_alerts() == []


def test_a_contact_who_blocks_the_rider_gets_the_mail_only_a_rider_s_block_stops_nothing(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider = Rider(client)
    blocking, blocked = Contact(client, inbox), Contact(client, inbox)
    rider_id = client.get("/api/v1/me", headers=rider.headers).json()["id"]
    assert client.put(f"/api/v1/me/blocks/{rider_id}", headers=blocking.headers).status_code == 204
    assert client.put(f"/api/v1/me/blocks/{blocked.id}", headers=rider.headers).status_code == 204
    add_contacts(rider, blocking, blocked)
    crash_and_alert(rider, session)
    assert len(alert_mails(inbox)) == 2
    assert blocking.crash_alerts() == []
    assert len(blocked.crash_alerts()) == 1  # the rider kept them as a contact: safety first


def test_a_contact_who_verified_by_the_mailed_link_is_told_a_forged_link_verifies_nothing(
    client: TestClient, session: Session, inbox: Inbox
) -> None:
    rider = Rider(client)
    linked, forger = Contact(client, inbox, verified=False), Contact(client, inbox, verified=False)
    page = client.get("/api/v1/auth/verify-email", params={"token": "forged"})
    assert page.status_code == 200  # only a button: the GET changes nothing
    forged = client.post("/api/v1/auth/verify-email", params={"token": "forged"})
    assert forged.status_code == 400 and "verification link" in forged.text
    # An access token is not a verification link either.
    access = forger.headers["Authorization"].removeprefix("Bearer ")
    assert client.post("/api/v1/auth/verify-email", params={"token": access}).status_code == 400
    linked.verify_by_link(inbox)
    add_contacts(rider, linked, forger)
    crash_and_alert(rider, session)
    assert len(linked.crash_alerts()) == 1 and forger.crash_alerts() == []
