"""Web push against a real receiving side: a push service on loopback that checks the VAPID
JWT and decrypts each message with the browser's private key (tests/push_service.py)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.base import utcnow
from bikenode.db.engine import make_session_factory
from bikenode.db.queue import Job
from bikenode.errors import InvalidInput
from bikenode.notifications.models import NotificationDelivery, PushSubscription
from bikenode.notifications.push import PushContext, send_push
from bikenode.notifications.registry import Intent
from bikenode.notifications.service import (
    SEND_PUSH_JOB,
    Choice,
    notify,
    set_preferences,
    subscribe_push,
)
from bikenode.notifications.vapid import application_server_key, load_or_create
from tests.push_service import Browser, PushService, push_service
from tests.service_factories import make_user

LOOPBACK = frozenset({"127.0.0.1"})


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def rider(session: Session) -> Iterator[uuid.UUID]:
    yield make_user(session, email="rider@example.org", timezone="Europe/Berlin")


@pytest.fixture
def service() -> Iterator[PushService]:
    with push_service() as running:
        yield running


@pytest.fixture
def context(tmp_path: Path) -> PushContext:
    # The push service runs on loopback, which only an allowance lets the server call.
    return PushContext(load_or_create(tmp_path), "mailto:bikenode@example.org", LOOPBACK)


def _subscribe(sessions: sessionmaker[Session], service: PushService, rider: uuid.UUID) -> Browser:
    browser = service.browser()
    sub = service.subscription(browser)
    with sessions() as session:
        subscribe_push(
            session, user_id=rider, endpoint=sub["endpoint"], allowed=LOOPBACK, **sub["keys"]
        )
    return browser


def _notified(sessions: sessionmaker[Session], user_id: uuid.UUID) -> uuid.UUID | None:
    """A component-due notification for the user; its push delivery's id, if one."""
    now = utcnow()
    with sessions() as session:
        intent = Intent(user_id, "component_due", {"component_id": "c", "threshold": "due"})
        row = notify(
            session,
            intent=intent,
            event_id=1,
            event_type="bikes.component_due",
            occurred_at=now,
            now=now,
        )
        assert row is not None
        session.commit()
        return session.scalars(
            select(NotificationDelivery.id).where(
                NotificationDelivery.notification_id == row.id,
                NotificationDelivery.channel == "push",
            )
        ).first()


def _delivery(sessions: sessionmaker[Session], delivery_id: uuid.UUID) -> NotificationDelivery:
    with sessions() as session:
        row = session.get(NotificationDelivery, delivery_id)
        assert row is not None
        session.expunge(row)
        return row


def test_each_browser_decrypts_the_in_app_text_and_nothing_more(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService, context: PushContext
) -> None:
    phone, laptop = (_subscribe(sessions, service, rider) for _ in range(2))
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None

    assert send_push(sessions, delivery_id=delivery_id, context=context) == "sent"
    # Run again (a duplicate job): nothing more is pushed.
    assert send_push(sessions, delivery_id=delivery_id, context=context) == "sent"

    assert service.refused == []  # the VAPID JWT, encoding and TTL were accepted
    for browser in (phone, laptop):
        [message] = service.received[browser.token]
        assert set(message) == {"id", "title", "text", "link"}
        assert message["title"] == "A component is due for service"
        assert message["link"] == "/bikes"
    assert _delivery(sessions, delivery_id).attempts == 1


def test_a_push_signed_with_another_key_is_refused_by_the_service(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService, tmp_path: Path
) -> None:
    """The receiving side really checks: a JWT whose signature does not match `k` fails."""
    browser = _subscribe(sessions, service, rider)
    signer, claimed = load_or_create(tmp_path / "a"), load_or_create(tmp_path / "b")
    claims = {"sub": "mailto:x@example.org", "aud": service.origin, "exp": int(time.time()) + 60}
    token = signer.sign(claims)["Authorization"].split("t=")[1].split(",")[0]
    forged = f"vapid t={token},k={application_server_key(claimed)}"
    headers = {"Authorization": forged, "Content-Encoding": "aes128gcm", "TTL": "60"}
    assert service.answer(browser.token, headers, b"") == 401
    assert "JWT" in service.refused[-1]


def test_a_failing_push_service_delays_the_push_and_it_arrives(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService, context: PushContext
) -> None:
    browser = _subscribe(sessions, service, rider)
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None
    service.failing[browser.token] = 1

    assert send_push(sessions, delivery_id=delivery_id, context=context) == "pending"
    failed = _delivery(sessions, delivery_id)
    assert failed.attempts == 1 and "500" in (failed.last_error or "")
    assert failed.next_try_at is not None
    assert 20 < (failed.next_try_at - utcnow()).total_seconds() < 40
    with sessions() as session:
        jobs = session.scalars(select(Job).where(Job.kind == SEND_PUSH_JOB)).all()
    assert failed.next_try_at in {j.run_after for j in jobs}

    later = failed.next_try_at + timedelta(seconds=1)
    state = send_push(sessions, delivery_id=delivery_id, context=context, now=lambda: later)
    assert state == "sent" and len(service.received[browser.token]) == 1


def test_a_gone_subscription_is_removed_and_the_push_skipped(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService, context: PushContext
) -> None:
    browser = _subscribe(sessions, service, rider)
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None
    service.gone.add(browser.token)

    assert send_push(sessions, delivery_id=delivery_id, context=context) == "skipped"
    with sessions() as session:
        assert session.scalars(select(PushSubscription)).all() == []
    assert "410" in (_delivery(sessions, delivery_id).last_error or "")
    # With no subscription left, the next notification queues no push at all.
    with sessions() as session:
        now = utcnow()
        intent = Intent(rider, "component_due", {"component_id": "d", "threshold": "due"})
        notify(session, intent=intent, event_id=2, event_type="x", occurred_at=now, now=now)
        session.commit()
        channels = session.scalars(select(NotificationDelivery.channel)).all()
    assert sorted(channels) == ["email", "email", "push"]


def test_push_follows_the_riders_choice_and_quiet_hours(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService
) -> None:
    _subscribe(sessions, service, rider)
    with sessions() as session:
        now_local = utcnow().astimezone(ZoneInfo("Europe/Berlin"))
        minute = now_local.hour * 60 + now_local.minute
        set_preferences(
            session,
            user_id=rider,
            choices=[Choice("kudos", "push", False)],
            quiet_hours=(minute, (minute - 1) % 1440),
            clear_quiet_hours=False,
        )
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None
    held = _delivery(sessions, delivery_id)
    assert held.next_try_at is not None
    assert timedelta(hours=23) < held.next_try_at - utcnow() < timedelta(hours=25)

    with sessions() as session:
        now = utcnow()
        intent = Intent(rider, "kudos", {"ride_id": str(uuid.uuid4())}, uuid.uuid4())
        row = notify(session, intent=intent, event_id=3, event_type="x", occurred_at=now, now=now)
        assert row is not None  # in the app, but not pushed: switched off
        session.commit()
        pushed = session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.notification_id == row.id)
        ).all()
    assert pushed == []


def test_a_retry_pushes_only_to_the_browser_that_failed(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService, context: PushContext
) -> None:
    flaky, steady = (_subscribe(sessions, service, rider) for _ in range(2))
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None
    service.failing[flaky.token] = 1

    assert send_push(sessions, delivery_id=delivery_id, context=context) == "pending"
    failed = _delivery(sessions, delivery_id)
    assert failed.next_try_at is not None and len(failed.sent_to or []) == 1
    later = failed.next_try_at + timedelta(seconds=1)
    state = send_push(sessions, delivery_id=delivery_id, context=context, now=lambda: later)

    assert state == "sent"
    assert len(service.received[flaky.token]) == 1
    assert len(service.received[steady.token]) == 1  # not pushed again by the retry
    assert _delivery(sessions, delivery_id).attempts == 2


def test_a_host_resolving_to_a_private_address_is_not_pushed_to(
    sessions: sessionmaker[Session], rider: uuid.UUID, service: PushService, context: PushContext
) -> None:
    """A name that resolved to a public address when the browser subscribed may point
    at a private one later (DNS rebinding): checked again, it is never called."""
    browser = service.browser()
    sub = service.subscription(browser)
    rebound = sub["endpoint"].replace("127.0.0.1", "localhost")
    with sessions() as session:  # as kept when the name still resolved elsewhere
        session.add(PushSubscription(user_id=rider, endpoint=rebound, **sub["keys"]))
        session.commit()
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None

    assert send_push(sessions, delivery_id=delivery_id, context=context) == "failed"
    assert service.received[browser.token] == []
    error = _delivery(sessions, delivery_id).last_error or ""
    assert "is a loopback address" in error, error
    with pytest.raises(InvalidInput, match="loopback address"), sessions() as session:
        subscribe_push(session, user_id=rider, endpoint=rebound, **sub["keys"])


PUBLIC = "93.184.215.14"  # a public address; nothing at it is reached in these tests


def test_a_push_goes_to_the_checked_address_even_if_the_name_rebinds(
    sessions: sessionmaker[Session],
    rider: uuid.UUID,
    service: PushService,
    context: PushContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding between check and connect: the name resolves to a public address when
    checked and to loopback (where a push service listens) right after. The post still
    goes to the checked address, and the loopback service hears nothing."""
    browser = service.browser()
    sub = service.subscription(browser)
    rebinding = sub["endpoint"].replace("127.0.0.1", "push.example")
    with sessions() as session:
        session.add(PushSubscription(user_id=rider, endpoint=rebinding, **sub["keys"]))
        session.commit()
    delivery_id = _notified(sessions, rider)
    assert delivery_id is not None

    resolve, connect = socket.getaddrinfo, socket.create_connection
    answers: list[str] = []
    connected: list[str] = []

    def rebinding_dns(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "push.example":
            return resolve(host, port, *args, **kwargs)
        answers.append(PUBLIC if not answers else "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[-1], port))]

    def observed_connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        if address[0] == PUBLIC:  # no network in tests: as a push service that is down
            raise ConnectionRefusedError(f"nothing listens at {PUBLIC} in this test")
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    monkeypatch.setattr(socket, "create_connection", observed_connect)

    assert send_push(sessions, delivery_id=delivery_id, context=context) == "pending"
    assert connected == [PUBLIC]
    assert service.received[browser.token] == [] and service.refused == []
    assert "ConnectionRefusedError" in (_delivery(sessions, delivery_id).last_error or "")
