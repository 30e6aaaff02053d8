"""Digests against a real SMTP server (aiosmtpd on loopback): kudos and comments chosen as a
daily or weekly digest are held and arrive as one e-mail at the rider's hour in their zone;
a server that is down delays the digest and loses nothing."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bikenode import social
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.db.engine import make_session_factory
from bikenode.db.queue import Job
from bikenode.mail import MailSettings
from bikenode.notifications.delivery import MailContext
from bikenode.notifications.digest import send_digest
from bikenode.notifications.logic.digest import DIGEST_KINDS, next_digest_at
from bikenode.notifications.models import NotificationDelivery
from bikenode.notifications.registry import ROUTES, Intent, Route
from bikenode.notifications.schemas import DigestChoiceIn
from bikenode.notifications.service import SEND_DIGEST_JOB, notify, set_preferences
from tests.service_factories import make_user
from tests.smtp_server import free_port, smtp_server

BERLIN = ZoneInfo("Europe/Berlin")
EVENT_TYPES = {
    "comment": social.CommentAdded.type,
    "kudos": social.KudosGiven.type,
    "mention": social.Mentioned.type,
}


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def rider(session: Session) -> Iterator[uuid.UUID]:
    yield make_user(session, email="rider@example.org", timezone="Europe/Berlin")


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def context(port: int, tmp_path: Path) -> MailContext:
    mail = MailSettings(
        host="127.0.0.1",
        port=port,
        user="",
        password="",
        sender="BikeNode <bikenode@example.org>",
        starttls=False,
        outbox=tmp_path / "outbox",
    )
    return MailContext(mail, "https://bikes.example.org", "test-secret")


@pytest.fixture(autouse=True)
def _visible_rides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rides named here exist in no table: their comments' route sees them all."""
    for kind, route in list(ROUTES.items()):
        if route.may_see is not None:
            monkeypatch.setitem(ROUTES, kind, Route(route.event, route.intents))


def _choose(sessions: sessionmaker[Session], rider: uuid.UUID, **periods: str) -> None:
    with sessions() as session:
        set_preferences(
            session,
            user_id=rider,
            choices=[],
            quiet_hours=None,
            clear_quiet_hours=False,
            digests=list(periods.items()),
            digest_schedule=(7, 0),  # 07:00 in Berlin; Mondays for weekly ones
        )


def _tell(
    sessions: sessionmaker[Session], rider: uuid.UUID, kind: str, n: int, first: int = 0
) -> None:
    now = utcnow()
    with sessions() as session:
        for i in range(n):
            params = {"ride_id": str(uuid.uuid4()), "comment_id": str(uuid.uuid4())}
            intent = Intent(rider, kind, params, uuid.uuid4())
            event = 1000 * len(kind) + first + i
            row = notify(
                session,
                intent=intent,
                event_id=event,
                event_type=EVENT_TYPES[kind],
                occurred_at=now,
                now=now,
            )
            assert row is not None
        session.commit()


def _held(sessions: sessionmaker[Session]) -> list[NotificationDelivery]:
    with sessions() as session:
        rows = session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == "digest")
        ).all()
        session.expunge_all()
        return list(rows)


def test_the_schema_offers_exactly_the_digest_types() -> None:
    field = DigestChoiceIn.model_fields["type"].annotation
    assert set(typing.get_args(field)) == set(DIGEST_KINDS)


def test_comments_wait_for_the_daily_digest_and_arrive_as_one_mail(
    sessions: sessionmaker[Session], rider: uuid.UUID, context: MailContext, port: int
) -> None:
    _choose(sessions, rider, comment="daily")
    _tell(sessions, rider, "comment", 3)
    _tell(sessions, rider, "mention", 1)  # no digest for mentions: mailed at once

    held = _held(sessions)
    assert len(held) == 3 and {d.state for d in held} == {"pending"}
    [due] = {d.next_try_at for d in held}
    assert due is not None
    local = due.astimezone(BERLIN)
    assert (local.hour, local.minute) == (7, 0) and timedelta(0) < due - utcnow() <= timedelta(
        days=1
    )
    with sessions() as session:  # one job for the digest, at its time
        jobs = session.scalars(select(Job).where(Job.kind == SEND_DIGEST_JOB)).all()
        assert [(j.payload, j.run_after) for j in jobs] == [({"user_id": str(rider)}, due)]
        emails = session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == "email")
        ).all()
        assert len(emails) == 1  # the mention's

    with smtp_server(port) as inbox:
        early = due - timedelta(minutes=1)
        assert send_digest(sessions, user_id=rider, context=context, now=lambda: early) == 0
        later = due + timedelta(seconds=5)
        assert send_digest(sessions, user_id=rider, context=context, now=lambda: later) == 3
        # A duplicate job: nothing more.
        assert send_digest(sessions, user_id=rider, context=context, now=lambda: later) == 0
    [message] = inbox.messages
    assert message["Subject"] == "3 new notifications today"
    text = message.get_body(("plain",))
    assert text is not None
    assert text.get_content().count("A new comment: A rider commented") == 3
    assert inbox.recipients == [["rider@example.org"]]
    assert {d.state for d in _held(sessions)} == {"sent"}


def test_a_server_down_delays_the_digest_and_loses_nothing(
    sessions: sessionmaker[Session], rider: uuid.UUID, context: MailContext, port: int
) -> None:
    _choose(sessions, rider, kudos="weekly", comment="daily")
    _tell(sessions, rider, "kudos", 2)
    [due] = {d.next_try_at for d in _held(sessions)}
    assert due is not None and due.astimezone(BERLIN).weekday() == 0  # Monday

    later = due + timedelta(seconds=1)
    assert send_digest(sessions, user_id=rider, context=context, now=lambda: later) == 0
    failed = _held(sessions)
    assert {d.attempts for d in failed} == {1} and {d.state for d in failed} == {"pending"}
    [retry] = {d.next_try_at for d in failed}
    assert retry is not None and 20 < (retry - later).total_seconds() < 40
    with sessions() as session:
        runs = session.scalars(select(Job.run_after).where(Job.kind == SEND_DIGEST_JOB)).all()
    assert retry in runs

    with smtp_server(port) as inbox:
        again = retry + timedelta(seconds=1)
        assert send_digest(sessions, user_id=rider, context=context, now=lambda: again) == 2
    [message] = inbox.messages
    assert message["Subject"] == "2 new notifications this week"


def test_a_digest_switched_off_mails_each_one_again(
    sessions: sessionmaker[Session], rider: uuid.UUID
) -> None:
    _choose(sessions, rider, comment="daily")
    _choose(sessions, rider, comment="off")
    _tell(sessions, rider, "comment", 2)
    assert _held(sessions) == []
    with sessions() as session:
        channels = session.scalars(select(NotificationDelivery.channel)).all()
    assert channels == ["email", "email"]


@pytest.mark.parametrize(
    ("now", "period", "expected_local"),
    [
        # The day clocks go forward in Berlin (29 March 2026): 07:00 is still 07:00 local.
        (
            datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
            "daily",
            datetime(2026, 3, 29, 7, 0, tzinfo=BERLIN),
        ),
        (
            datetime(2026, 3, 29, 4, 59, tzinfo=UTC),
            "daily",
            datetime(2026, 3, 29, 7, 0, tzinfo=BERLIN),
        ),
        (
            datetime(2026, 3, 29, 5, 0, tzinfo=UTC),
            "daily",
            datetime(2026, 3, 30, 7, 0, tzinfo=BERLIN),
        ),
        # Weekly on Monday, asked on a Monday after the hour: next Monday.
        (
            datetime(2026, 3, 30, 6, 0, tzinfo=UTC),
            "weekly",
            datetime(2026, 4, 6, 7, 0, tzinfo=BERLIN),
        ),
    ],
)
def test_the_digest_hour_is_kept_in_local_time(
    now: datetime, period: str, expected_local: datetime
) -> None:
    at = next_digest_at(now, period=period, timezone="Europe/Berlin", hour=7, weekday=0)
    assert at.astimezone(BERLIN) == expected_local
    assert at > now


def test_one_click_on_the_digest_header_stops_that_digest_without_signing_in(
    sessions: sessionmaker[Session],
    rider: uuid.UUID,
    context: MailContext,
    port: int,
    settings: Settings,
    client: TestClient,
) -> None:
    """RFC 8058 as the single e-mails have it: the mail client POSTs the header's link."""
    context = replace(context, secret=settings.effective_secret_key)
    _choose(sessions, rider, comment="daily", kudos="weekly")
    _tell(sessions, rider, "comment", 2)
    [due] = {d.next_try_at for d in _held(sessions)}
    assert due is not None
    with smtp_server(port) as inbox:
        later = due + timedelta(seconds=5)
        assert send_digest(sessions, user_id=rider, context=context, now=lambda: later) == 2
    [message] = inbox.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = message["List-Unsubscribe"].strip("<>")
    assert one_click.startswith("https://bikes.example.org/api/v1/notifications/unsubscribe?")
    text = message.get_body(("plain",))
    assert text is not None
    assert "https://bikes.example.org/unsubscribe?token=" in text.get_content()

    path = one_click.removeprefix("https://bikes.example.org")
    answer = client.post(path)  # no session, no cookie: the token alone
    assert answer.status_code == 200, answer.text
    assert answer.json()["type"] == "digest-daily"
    assert answer.json()["label"] == "Your daily digest"
    assert client.post(path).status_code == 200  # twice: still off
    shown = client.get(path).json()
    assert shown["label"] == "Your daily digest"

    _tell(sessions, rider, "comment", 1, first=10)  # neither gathered nor mailed one by one
    _tell(sessions, rider, "kudos", 1)  # the weekly digest is another digest: kept
    with sessions() as session:
        rows = session.scalars(select(NotificationDelivery.channel)).all()
    assert sorted(rows) == ["digest", "digest", "digest"]  # 2 sent comments, 1 held kudos
    forged = path[:-3] + "AAA"
    assert client.post(forged).status_code == 422
