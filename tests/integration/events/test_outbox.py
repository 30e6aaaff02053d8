"""The outbox on SQLite and PostgreSQL: once per subscriber, in order per aggregate, retried,
dead-lettered, replayed, and safe with several dispatchers at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.base import utcnow
from bikenode.db.engine import begin_write, make_session_factory
from bikenode.errors import NotFound
from bikenode.events import (
    Dispatcher,
    dead_letters,
    deliver_round,
    ensure_subscribers,
    events_status,
    publish,
    replay,
    retry_dead,
)
from bikenode.events.dispatch import anything_due
from bikenode.events.models import OutboxEvent
from bikenode.events.outbox import remove_commit_listener
from tests.conftest import backend
from tests.events_tools import Pinged, Recorder, audited_deliveries, publish_pings


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def test_a_committed_event_reaches_every_subscriber_once_and_a_rolled_back_one_none(
    sessions: sessionmaker[Session],
) -> None:
    recorders = [Recorder(f"test.s{i}") for i in range(3)]
    dispatcher = Dispatcher(sessions, [r.subscriber() for r in recorders])
    publish_pings(sessions, [("a", 1), ("b", 1)])
    with sessions() as session:
        publish(session, Pinged(key="never", n=1))
        session.rollback()
    publish_pings(sessions, [("a", 2)])

    assert dispatcher.run_until_idle() == 9
    assert dispatcher.run_until_idle() == 0
    for recorder in recorders:
        assert recorder.seen == [("a", 1), ("b", 1), ("a", 2)]


def test_a_failing_event_holds_back_later_events_of_its_aggregate_only(
    sessions: sessionmaker[Session],
) -> None:
    # Three refusals: the round's first pass and its careful second pass, then one retry.
    recorder = Recorder("test.ordered", failures={("a", 1): 3})
    subscriber = recorder.subscriber(max_attempts=5)
    with sessions() as session:
        ensure_subscribers(session, [subscriber])
    publish_pings(sessions, [("a", 1), ("b", 1), ("a", 2), ("b", 2)])
    now = utcnow()

    with sessions() as session:
        first = deliver_round(session, subscriber, now=now)
        assert (first.delivered, first.failed) == (2, 1)
        assert recorder.seen == [("b", 1), ("b", 2)]
        [status] = events_status(session)
        assert (status.pending, status.retrying, status.blocked) == (0, 1, 1)
        # Not due yet: nothing happens before the backoff has passed.
        assert deliver_round(session, subscriber, now=now).delivered == 0
        second = deliver_round(session, subscriber, now=now + timedelta(seconds=1))
        assert (second.delivered, second.failed) == (0, 1)
        third = deliver_round(session, subscriber, now=now + timedelta(seconds=3))
        assert third.delivered == 1  # a/1 at last; a/2 becomes due now
        fourth = deliver_round(session, subscriber, now=now + timedelta(seconds=3))
        assert fourth.delivered == 1
        [status] = events_status(session)
        assert (status.retrying, status.blocked, status.dead) == (0, 0, 0)
    assert recorder.seen == [("b", 1), ("b", 2), ("a", 1), ("a", 2)]


def test_a_retry_that_succeeds_lets_a_new_event_of_its_aggregate_through_at_once(
    sessions: sessionmaker[Session],
) -> None:
    recorder = Recorder("test.catch_up", failures={("a", 1): 2})  # both passes of round one
    subscriber = recorder.subscriber()
    with sessions() as session:
        ensure_subscribers(session, [subscriber])
    publish_pings(sessions, [("a", 1)])
    now = utcnow()
    with sessions() as session:
        assert deliver_round(session, subscriber, now=now).failed == 1
    publish_pings(sessions, [("a", 2)])
    with sessions() as session:
        # a/1 succeeds, then a/2 arrives in the same round: nothing is left holding it back.
        assert deliver_round(session, subscriber, now=now + timedelta(seconds=1)).delivered == 2
        [status] = events_status(session)
        assert (status.pending, status.retrying, status.blocked) == (0, 0, 0)
    assert recorder.seen == [("a", 1), ("a", 2)]


def test_an_event_failing_every_attempt_is_a_dead_letter_until_retried(
    sessions: sessionmaker[Session],
) -> None:
    recorder = Recorder("test.dead", failures={("a", 1): 3})  # both attempts, then fine
    subscriber = recorder.subscriber(max_attempts=2)
    with sessions() as session:
        ensure_subscribers(session, [subscriber])
    publish_pings(sessions, [("a", 1), ("a", 2)])
    now = utcnow()
    with sessions() as session:
        deliver_round(session, subscriber, now=now)
        dead_round = deliver_round(session, subscriber, now=now + timedelta(hours=1))
        assert (dead_round.failed, dead_round.dead) == (1, 1)
        # Dead: no later round tries it again, and a/2 stays behind it.
        assert deliver_round(session, subscriber, now=now + timedelta(days=1)).delivered == 0
        [letter] = dead_letters(session)
        assert (letter.subscriber, letter.type, letter.attempts) == ("test.dead", "tests.pinged", 2)
        assert "refused on purpose" in (letter.last_error or "")
        assert retry_dead(session, event_id=letter.event_id) == 1
        with pytest.raises(NotFound):
            retry_dead(session, event_id=letter.event_id)  # no longer dead
    assert Dispatcher(sessions, [subscriber]).run_until_idle() == 2
    assert recorder.seen == [("a", 1), ("a", 2)]


def test_a_handler_failing_mid_batch_leaves_every_other_event_written_once(
    sessions: sessionmaker[Session],
) -> None:
    recorder = Recorder("test.writes", write_audit=True, failures={("c", 1): 2})
    subscriber = recorder.subscriber()
    dispatcher = Dispatcher(sessions, [subscriber])
    publish_pings(sessions, [("a", 1), ("b", 1), ("c", 1), ("d", 1)])
    dispatcher.run_once()  # c/1 fails: a, b and d are handled in the same round
    with sessions() as session:
        written = audited_deliveries(session)
        ids = list(session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)))
    assert written == {
        ("test.writes", ids[0]): 1,
        ("test.writes", ids[1]): 1,
        ("test.writes", ids[3]): 1,
    }
    later = utcnow() + timedelta(seconds=2)
    with sessions() as session:
        assert deliver_round(session, subscriber, now=later).delivered == 1
        assert audited_deliveries(session) == {("test.writes", i): 1 for i in ids}


def test_a_new_subscriber_back_fills_the_log_and_replay_delivers_it_again(
    sessions: sessionmaker[Session],
) -> None:
    publish_pings(sessions, [("a", 1), ("b", 1), ("a", 2)])
    history = Recorder("test.history")
    latecomer = Recorder("test.latecomer")
    dispatcher = Dispatcher(sessions, [history.subscriber(), latecomer.subscriber(start="end")])
    assert dispatcher.run_until_idle() == 3
    assert history.seen == [("a", 1), ("b", 1), ("a", 2)]
    assert latecomer.seen == []

    publish_pings(sessions, [("b", 2)])
    with sessions() as session:
        second_id = session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)).all()[1]
        replay(session, subscriber="test.history", from_id=second_id)
        with pytest.raises(NotFound):
            replay(session, subscriber="test.nobody")
    assert dispatcher.run_until_idle() == 4
    assert history.seen[3:] == [("b", 1), ("a", 2), ("b", 2)]
    assert latecomer.seen == [("b", 2)]


def test_two_dispatchers_at_once_deliver_each_event_once(
    sessions: sessionmaker[Session],
) -> None:
    names = ("test.p0", "test.p1", "test.p2")
    publish_pings(sessions, [(f"k{i % 7}", i) for i in range(120)])
    dispatchers = [
        Dispatcher(
            sessions, [Recorder(n, write_audit=True).subscriber() for n in names], batch_size=10
        )
        for _ in range(2)
    ]
    threads = [threading.Thread(target=d.run_until_idle) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with sessions() as session:
        written = audited_deliveries(session)
        events = session.scalar(select(func.count()).select_from(OutboxEvent))
    assert len(written) == 3 * 120 == 3 * (events or 0)
    assert set(written.values()) == {1}


def test_an_event_of_a_transaction_still_open_is_never_passed_over(
    sessions: sessionmaker[Session],
) -> None:
    if backend() == "sqlite":
        pytest.skip("SQLite has one writer at a time: ids are already in commit order")
    recorder = Recorder("test.gaps")
    dispatcher = Dispatcher(sessions, [recorder.subscriber()])
    dispatcher.run_once()
    with sessions() as slow:
        publish(slow, Pinged(key="slow", n=1))
        slow.flush()  # its id is drawn now, before the next transaction's
        publish_pings(sessions, [("fast", 1)])
        dispatcher.run_until_idle()
        assert recorder.seen == []  # the fast one waits: the slow one may still commit
        assert all(result.unripe for result in dispatcher.run_once())  # so: look again soon
        slow.commit()
    dispatcher.run_until_idle()
    assert sorted(recorder.seen) == [("fast", 1), ("slow", 1)]


def test_a_running_dispatcher_is_woken_by_the_commit_not_the_poll(
    sessions: sessionmaker[Session],
) -> None:
    recorder = Recorder("test.woken")
    dispatcher = Dispatcher(sessions, [recorder.subscriber()], poll_s=60.0)
    dispatcher.run_until_idle()
    dispatcher.start()
    try:
        if backend() == "postgresql":
            remove_commit_listener(dispatcher.wake)  # NOTIFY only, as for another node
            time.sleep(0.5)  # the listener connects
        time.sleep(0.1)  # the loop's first round is over; it now waits up to a minute
        publish_pings(sessions, [("a", 1)])
        deadline = time.monotonic() + 5
        while not recorder.seen and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        dispatcher.stop()
    assert recorder.seen == [("a", 1)]


def test_a_commit_costs_a_running_dispatcher_one_round_not_a_second_empty_one(
    sessions: sessionmaker[Session],
) -> None:
    recorder = Recorder("test.one_round")
    dispatcher = Dispatcher(sessions, [recorder.subscriber()], poll_s=60.0)
    dispatcher.run_until_idle()
    rounds: list[int] = []
    run_once = dispatcher.run_once

    def counted() -> list[Any]:
        rounds.append(1)
        return run_once()

    dispatcher.run_once = counted  # type: ignore[method-assign]
    dispatcher.start()
    try:
        if backend() == "postgresql":
            remove_commit_listener(dispatcher.wake)  # one wake-up per commit: NOTIFY's
            time.sleep(0.5)  # the listener connects
        time.sleep(0.1)  # the loop's first round is over; it now waits up to a minute
        rounds.clear()
        publish_pings(sessions, [("a", 1)])
        deadline = time.monotonic() + 5
        while not recorder.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # time enough for a needless second round
    finally:
        dispatcher.stop()
    assert recorder.seen == [("a", 1)]
    assert len(rounds) == 1


def test_an_idle_poll_sees_new_events_without_waiting_for_a_writer_holding_the_lock(
    sessions: sessionmaker[Session],
) -> None:
    subscriber = Recorder("test.idle").subscriber()
    dispatcher = Dispatcher(sessions, [subscriber])
    dispatcher.run_until_idle()
    with sessions() as session:
        assert not anything_due(session, [subscriber], now=utcnow())
    publish_pings(sessions, [("a", 1)])
    writer = sessions()
    writer.execute(select(func.count()).select_from(OutboxEvent))
    begin_write(writer)  # holds SQLite's write lock, as a request that writes would
    try:
        started = time.perf_counter()
        with sessions() as session:
            assert anything_due(session, [subscriber], now=utcnow())
        assert time.perf_counter() - started < 1.0
    finally:
        writer.rollback()
        writer.close()
    dispatcher.run_until_idle()
    with sessions() as session:
        assert not anything_due(session, [subscriber], now=utcnow())
