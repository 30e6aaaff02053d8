"""E-mail notifications against a real SMTP server (aiosmtpd on loopback): a server that is
down first delays the mail and loses nothing; the recipient is checked again at sending."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bikenode.app import make_worker
from bikenode.bikes import ComponentDue
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.db.engine import make_session_factory
from bikenode.db.queue import Job
from bikenode.mail import MailSettings
from bikenode.notifications import gdpr
from bikenode.notifications.delivery import MailContext, send_email
from bikenode.notifications.logic.tokens import read_token
from bikenode.notifications.models import NotificationDelivery
from bikenode.notifications.registry import ROUTES, Intent, Route
from bikenode.notifications.service import SEND_EMAIL_JOB, notify, set_preferences
from tests.service_factories import make_user
from tests.smtp_server import FlakyInbox, free_port, smtp_server

SECRET = "test-secret"


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def port() -> int:
    return free_port()


def _context(port: int, tmp_path: Path) -> MailContext:
    mail = MailSettings(
        host="127.0.0.1",
        port=port,
        user="",
        password="",
        sender="BikeNode <bikenode@example.org>",
        starttls=False,
        outbox=tmp_path / "outbox",
    )
    return MailContext(mail, "https://bikes.example.org", SECRET)


def _notified(
    sessions: sessionmaker[Session], user_id: uuid.UUID, *, event_id: int = 1
) -> uuid.UUID:
    """A component-due notification for the user, its e-mail queued; the delivery's id."""
    now = utcnow()
    with sessions() as session:
        intent = Intent(user_id, "component_due", {"component_id": "c", "threshold": "due"})
        row = notify(
            session,
            intent=intent,
            event_id=event_id,
            event_type="bikes.component_due",
            occurred_at=now,
            now=now,
        )
        assert row is not None
        session.commit()
        return session.scalars(
            select(NotificationDelivery.id).where(NotificationDelivery.notification_id == row.id)
        ).one()


def _delivery(sessions: sessionmaker[Session], delivery_id: uuid.UUID) -> NotificationDelivery:
    with sessions() as session:
        row = session.get(NotificationDelivery, delivery_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.fixture
def rider(session: Session) -> Iterator[uuid.UUID]:
    yield make_user(session, email="rider@example.org", timezone="Europe/Berlin")


def test_a_server_down_at_first_delays_the_mail_and_it_arrives_once(
    sessions: sessionmaker[Session], rider: uuid.UUID, port: int, tmp_path: Path
) -> None:
    context = _context(port, tmp_path)
    delivery_id = _notified(sessions, rider)

    assert send_email(sessions, delivery_id=delivery_id, context=context) == "pending"
    failed = _delivery(sessions, delivery_id)
    assert failed.attempts == 1 and failed.last_error and "Connection" in failed.last_error
    assert failed.next_try_at is not None
    wait = (failed.next_try_at - utcnow()).total_seconds()
    assert 20 < wait < 40  # the first retry: 30 s with jitter
    with sessions() as session:  # a job waits for that time: the queue will come back to it
        retries = session.scalars(
            select(Job).where(Job.kind == SEND_EMAIL_JOB, Job.run_after == failed.next_try_at)
        ).all()
    assert [j.payload for j in retries] == [{"delivery_id": str(delivery_id)}]

    # Too early: nothing is sent, nothing changes.
    assert send_email(sessions, delivery_id=delivery_id, context=context) == "pending"
    assert _delivery(sessions, delivery_id).attempts == 1

    later = failed.next_try_at + timedelta(seconds=1)
    with smtp_server(port) as inbox:
        assert send_email(
            sessions, delivery_id=delivery_id, context=context, now=lambda: later
        ) == ("sent")
        # Run again (a duplicate job, a replayed one): the mail is not sent twice.
        again = later + timedelta(hours=1)
        assert send_email(
            sessions, delivery_id=delivery_id, context=context, now=lambda: again
        ) == ("sent")
    sent = _delivery(sessions, delivery_id)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert len(inbox.messages) == 1 and inbox.recipients == [["rider@example.org"]]


def test_the_mail_has_text_html_and_one_click_unsubscribe_headers(
    sessions: sessionmaker[Session], rider: uuid.UUID, port: int, tmp_path: Path
) -> None:
    delivery_id = _notified(sessions, rider)
    with smtp_server(port) as inbox:
        send_email(sessions, delivery_id=delivery_id, context=_context(port, tmp_path))
    [message] = inbox.messages
    assert message["Subject"] == "A component is due for service"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = message["List-Unsubscribe"].strip("<>")
    assert one_click.startswith("https://bikes.example.org/api/v1/notifications/unsubscribe?token=")
    token = read_token(SECRET, one_click.split("token=")[1])
    assert (token.user_id, token.kind) == (rider, "component_due")
    assert message["Message-ID"] == f"<notification-{delivery_id.hex}@bikenode.invalid>"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "https://bikes.example.org/unsubscribe?token=" in text.get_content()
    assert "https://bikes.example.org/bikes" in html.get_content()


def test_quiet_hours_hold_the_mail_until_morning_in_the_riders_zone(
    sessions: sessionmaker[Session], rider: uuid.UUID
) -> None:
    with sessions() as session:  # quiet from this minute until a minute before it, tomorrow
        now_local = utcnow().astimezone(ZoneInfo("Europe/Berlin"))
        minute = now_local.hour * 60 + now_local.minute
        start, end = minute, (minute - 1) % 1440
        set_preferences(
            session, user_id=rider, choices=[], quiet_hours=(start, end), clear_quiet_hours=False
        )
    delivery_id = _notified(sessions, rider)
    held = _delivery(sessions, delivery_id)
    assert held.next_try_at is not None
    assert timedelta(hours=23) < held.next_try_at - utcnow() < timedelta(hours=25)
    with sessions() as session:
        [job] = session.scalars(select(Job).where(Job.kind == SEND_EMAIL_JOB)).all()
    assert job.run_after == held.next_try_at


def test_a_recipient_erased_before_sending_gets_nothing(
    sessions: sessionmaker[Session], rider: uuid.UUID, port: int, tmp_path: Path
) -> None:
    from bikenode import accounts

    delivery_id = _notified(sessions, rider)
    with sessions() as session:
        # The account goes; the delivery row is left as if erasure raced the worker.
        accounts.erase_user(session, rider)
        session.commit()
    with smtp_server(port) as inbox:
        state = send_email(sessions, delivery_id=delivery_id, context=_context(port, tmp_path))
    assert state == "skipped" and inbox.messages == []
    assert "erased" in (_delivery(sessions, delivery_id).last_error or "")


def test_a_type_switched_off_after_queueing_is_not_sent(
    sessions: sessionmaker[Session], rider: uuid.UUID, port: int, tmp_path: Path
) -> None:
    from bikenode.notifications.service import Choice

    delivery_id = _notified(sessions, rider)
    with sessions() as session:
        set_preferences(
            session,
            user_id=rider,
            choices=[Choice("component_due", "email", False)],
            quiet_hours=None,
            clear_quiet_hours=False,
        )
    with smtp_server(port) as inbox:
        state = send_email(sessions, delivery_id=delivery_id, context=_context(port, tmp_path))
    assert state == "skipped" and inbox.messages == []


def test_no_notification_for_an_unknown_or_erased_user_or_a_stale_event(
    sessions: sessionmaker[Session], rider: uuid.UUID
) -> None:
    now = utcnow()
    intent = Intent(uuid.uuid4(), "component_due", {"threshold": "due"})
    mine = Intent(rider, "component_due", {"threshold": "due"})

    def told(session: Session, intent: Intent, occurred_at: datetime) -> bool:
        made = notify(
            session,
            intent=intent,
            event_id=7,
            event_type="bikes.component_due",
            occurred_at=occurred_at,
            now=now,
        )
        session.flush()
        return made is not None

    with sessions() as session:
        assert not told(session, intent, now)  # nobody by that id
        assert not told(session, mine, now - timedelta(days=30))  # no longer news
        assert told(session, mine, now)
        assert not told(session, mine, now)  # the same event again


def test_erasure_removes_every_notification_row_and_export_lists_them(
    sessions: sessionmaker[Session], rider: uuid.UUID
) -> None:
    _notified(sessions, rider)
    with sessions() as session:
        files = dict(gdpr.iter_user_export(session, rider))
    assert b"A component is due for service" in files["notifications/notifications.json"]
    with sessions() as session:
        counts = gdpr.erase_user_data(session, rider)
        session.commit()
    assert counts["notifications"] == 1 and counts["notification_deliveries"] == 1


def test_far_future_clock_gives_up_and_says_so(
    sessions: sessionmaker[Session], rider: uuid.UUID, port: int, tmp_path: Path
) -> None:
    delivery_id = _notified(sessions, rider)
    far = datetime(2100, 1, 1, tzinfo=UTC)
    state = send_email(
        sessions, delivery_id=delivery_id, context=_context(port, tmp_path), now=lambda: far
    )
    assert state == "failed"
    assert _delivery(sessions, delivery_id).state == "failed"


def _time_passes(engine: Engine) -> None:
    """Every pending retry falls due now, as if its wait had gone by (no sleeping)."""
    due = utcnow() - timedelta(seconds=1)
    with engine.begin() as connection:
        connection.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.state == "pending")
            .values(next_try_at=due)
        )
        connection.execute(
            update(Job)
            .where(Job.kind == SEND_EMAIL_JOB, Job.status == "queued")
            .values(run_after=due)
        )


def test_chaos_server_down_then_refusing_some_loses_and_duplicates_nothing(
    engine: Engine, sessions: sessionmaker[Session], settings: Settings, port: int
) -> None:
    riders = []
    with sessions() as session:
        riders = [make_user(session) for _ in range(30)]
    deliveries = [_notified(sessions, rider) for rider in riders]
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    worker = make_worker(settings.model_copy(update=mail), sessions)

    assert worker.run_until_idle() == 30  # the server is down: every attempt fails
    with sessions() as session:
        rows = session.scalars(select(NotificationDelivery)).all()
        assert {(r.state, r.attempts) for r in rows} == {("pending", 1)}
        for delivery_id in deliveries:  # a replayed job for each: must not send twice
            _queue_again(session, delivery_id)
        session.commit()

    inbox = FlakyInbox(every=3)
    with smtp_server(port, inbox):
        for _ in range(10):
            _time_passes(engine)
            worker.run_until_idle()
            with sessions() as session:
                if all(r.state == "sent" for r in session.scalars(select(NotificationDelivery))):
                    break
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == 30 and len(set(ids)) == 30  # each delivered, each once
    assert inbox.refused > 0  # the 451s happened and were retried
    with sessions() as session:
        rows = session.scalars(select(NotificationDelivery)).all()
        assert {r.state for r in rows} == {"sent"}
        assert sum(r.attempts for r in rows) == 30 + 30 + inbox.refused


def _queue_again(session: Session, delivery_id: uuid.UUID) -> None:
    from bikenode.db.queue import enqueue

    enqueue(session, SEND_EMAIL_JOB, {"delivery_id": str(delivery_id)})


def test_an_object_the_recipient_may_no_longer_see_is_not_mailed(
    sessions: sessionmaker[Session],
    rider: uuid.UUID,
    port: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later domain's route (a comment on a ride, say) answers at sending time whether the
    recipient may still see the object: here it says no, as for a ride made private since."""
    hidden = Route(ComponentDue, lambda event, at: [], may_see=lambda session, intent: False)
    monkeypatch.setitem(ROUTES, "tests.hidden_since", hidden)
    now = utcnow()
    with sessions() as session:
        row = notify(
            session,
            intent=Intent(rider, "component_due", {"threshold": "due"}),
            event_id=99,
            event_type="tests.hidden_since",
            occurred_at=now,
            now=now,
        )
        assert row is not None
        session.commit()
        delivery_id = session.scalars(select(NotificationDelivery.id)).one()
    with smtp_server(port) as inbox:
        state = send_email(sessions, delivery_id=delivery_id, context=_context(port, tmp_path))
    assert state == "skipped" and inbox.messages == []
    assert "may no longer see" in (_delivery(sessions, delivery_id).last_error or "")


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_their_end(
    sessions: sessionmaker[Session], rider: uuid.UUID, port: int, tmp_path: Path
) -> None:
    delivery_id = _notified(sessions, rider)  # queued now, before quiet hours are set
    with sessions() as session:  # quiet from this minute until a minute before it, tomorrow
        now_local = utcnow().astimezone(ZoneInfo("Europe/Berlin"))
        minute = now_local.hour * 60 + now_local.minute
        set_preferences(
            session,
            user_id=rider,
            choices=[],
            quiet_hours=(minute, (minute - 1) % 1440),
            clear_quiet_hours=False,
        )
    # The server is down: the retry (about 30 s on) lands in quiet hours and waits for them.
    assert send_email(sessions, delivery_id=delivery_id, context=_context(port, tmp_path)) == (
        "pending"
    )
    held = _delivery(sessions, delivery_id)
    assert held.next_try_at is not None
    assert held.next_try_at - utcnow() > timedelta(hours=23)
