"""Deliver outbox events to subscribers: at least once, in order per aggregate, effectively once.

Each subscriber has a position in the log. A round locks the subscribers' rows (PostgreSQL:
FOR UPDATE SKIP LOCKED, so a subscriber another node holds is left to it; SQLite: the one
writer), runs each handler for the events after its position, and moves the positions, all
in ONE transaction: the handlers' writes and the progress commit together or not at all, so
a worker killed mid-batch leaves nothing applied and nothing skipped.

The log is read in (tx_id, id) order. On SQLite writers are serialised, so ids are in commit
order. On PostgreSQL ids are drawn before commit and transactions commit in any order, so a
round only reads events of transactions older than every transaction still running
(pg_snapshot_xmin): no event can later appear behind a position already passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, func, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.db.engine import begin_read, begin_write
from bikenode.events.logic import DEFAULT_MAX_ATTEMPTS, OrderGate, after_failure
from bikenode.events.models import BLOCKED, DEAD, RETRYING, HeldEvent, OutboxEvent
from bikenode.events.models import SubscriberProgress as Progress
from bikenode.events.outbox import Envelope, from_payload

log = logging.getLogger("bikenode.events")
Handler = Callable[[Session, Envelope], None]
_COMMITTED_BEFORE_ALL_RUNNING = text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
_EVENT_COLUMNS = (
    OutboxEvent.id,
    OutboxEvent.tx_id,
    OutboxEvent.type,
    OutboxEvent.version,
    OutboxEvent.aggregate_id,
    OutboxEvent.payload,
    OutboxEvent.occurred_at,
)


@dataclass(frozen=True)
class Subscriber:
    """A handler of some event types, with its own position in the log.

    The handler writes with the session it is given and never commits. start: where a new
    subscriber begins: "beginning" back-fills from the whole log, "end" sees only new events.
    """

    name: str
    event_types: frozenset[str]
    handle: Handler
    start: Literal["beginning", "end"] = "beginning"
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@dataclass
class RoundResult:
    """What one round did for one subscriber."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    read: int = 0
    # PostgreSQL: newer events exist that a transaction still running may yet precede.
    unripe: bool = False

    @property
    def busy(self) -> bool:
        return bool(self.read or self.delivered or self.failed)


class _HandlerFailed(Exception):
    """A handler raised in a round that runs without savepoints: run it again, carefully."""


def ensure_subscribers(session: Session, subscribers: list[Subscriber]) -> None:
    """Give each subscriber that has none a position: the log's start or its current end."""
    begin_write(session)
    known = set(session.scalars(select(Progress.name)))
    end = _end_of_log(session)
    for subscriber in subscribers:
        if subscriber.name in known:
            continue
        after = end if subscriber.start == "end" else (0, 0)
        _insert_if_missing(session, subscriber.name, after)
    session.commit()


def deliver_round(
    session: Session, subscriber: Subscriber, *, batch_size: int = 500, now: datetime | None = None
) -> RoundResult:
    """One subscriber's round (see deliver_rounds)."""
    return deliver_rounds(session, [subscriber], batch_size=batch_size, now=now)[subscriber.name]


def deliver_rounds(
    session: Session,
    subscribers: Sequence[Subscriber],
    *,
    batch_size: int = 500,
    now: datetime | None = None,
) -> dict[str, RoundResult]:
    """Handle each subscriber's due retries and next batch of events, and commit once.

    Subscribers another dispatcher holds right now are left to it (their result is empty).
    """
    now = now or utcnow()
    try:
        return _round(session, subscribers, batch_size, now, careful=False)
    except _HandlerFailed:
        session.rollback()  # nothing of the batch stays; again, each event in a savepoint
    return _round(session, subscribers, batch_size, now, careful=True)


def _round(
    session: Session,
    subscribers: Sequence[Subscriber],
    batch_size: int,
    now: datetime,
    *,
    careful: bool,
) -> dict[str, RoundResult]:
    results = {subscriber.name: RoundResult() for subscriber in subscribers}
    begin_write(session)
    positions = _lock_progress(session, [subscriber.name for subscriber in subscribers])
    mine = [subscriber for subscriber in subscribers if subscriber.name in positions]
    if not mine:  # other dispatchers have them now, or they are not registered yet
        session.rollback()
        return results
    held = _held_by_subscriber(session, [subscriber.name for subscriber in mine])
    for subscriber in mine:
        waiting = held[subscriber.name]
        due = [h for h in waiting if h.status == RETRYING and h.next_attempt_at <= now]
        done = _retry_due(session, subscriber, due[:batch_size], now, results[subscriber.name])
        held[subscriber.name] = [h for h in waiting if h.event_id not in done]
    rows = _events_after(session, min(positions.values()), batch_size)
    if len(rows) < batch_size and _has_unripe(session, rows, min(positions.values())):
        for subscriber in mine:
            results[subscriber.name].unripe = True
    envelopes: dict[int, Envelope] = {}
    for subscriber in mine:
        after = positions[subscriber.name]
        new = [row for row in rows if (row.tx_id, row.id) > after]
        if not new:
            continue
        gate = OrderGate(h.aggregate_id for h in held[subscriber.name])
        result = results[subscriber.name]
        _deliver_new(session, subscriber, new, envelopes, gate, now, result, careful=careful)
        session.execute(
            update(Progress)
            .where(Progress.name == subscriber.name)
            .values(after_tx_id=new[-1].tx_id, after_id=new[-1].id, updated_at=now)
        )
    session.commit()
    return results


def _deliver_new(
    session: Session,
    subscriber: Subscriber,
    rows: list[Row[Any]],
    envelopes: dict[int, Envelope],
    gate: OrderGate,
    now: datetime,
    result: RoundResult,
    *,
    careful: bool,
) -> None:
    result.read = len(rows)
    for row in rows:
        if row.type not in subscriber.event_types:
            continue
        if not gate.may_deliver(row.aggregate_id):
            session.add(_held(subscriber, row, BLOCKED, now))
            continue
        if not careful:
            try:
                envelope = envelopes.get(row.id) or envelopes.setdefault(row.id, _envelope(row))
                subscriber.handle(session, envelope)
            except Exception as error:
                raise _HandlerFailed from error
            result.delivered += 1
            continue
        failure = _attempt(session, subscriber, row)
        if failure is None:
            result.delivered += 1
            continue
        gate.hold(row.aggregate_id)
        parked = _held(subscriber, row, RETRYING, now)
        _record_failure(parked, subscriber, failure, now, result)
        session.add(parked)


def _held_by_subscriber(session: Session, names: list[str]) -> dict[str, list[HeldEvent]]:
    """Every held event of these subscribers, oldest first (few: only failures put them there)."""
    held: dict[str, list[HeldEvent]] = {name: [] for name in names}
    rows = session.scalars(
        select(HeldEvent)
        .where(HeldEvent.subscriber.in_(names))
        .order_by(HeldEvent.tx_id, HeldEvent.event_id)
    )
    for row in rows:
        held[row.subscriber].append(row)
    return held


def _retry_due(
    session: Session,
    subscriber: Subscriber,
    due: list[HeldEvent],
    now: datetime,
    result: RoundResult,
) -> set[int]:
    """Try the due held events again; the ids of those now handled."""
    done = set()
    for held in due:
        row = session.execute(
            select(*_EVENT_COLUMNS).where(OutboxEvent.id == held.event_id)
        ).one_or_none()
        failure = "the event is gone from the log" if row is None else None
        if row is not None:
            failure = _attempt(session, subscriber, row)
        if failure is not None:
            _record_failure(held, subscriber, failure, now, result)
            continue
        result.delivered += 1
        session.delete(held)
        session.flush()
        _unblock_next(session, subscriber.name, held.aggregate_id, now)
        done.add(held.event_id)
    return done


def _attempt(session: Session, subscriber: Subscriber, row: Row[Any]) -> str | None:
    """Run the handler in a savepoint: its writes stay only if it succeeds. The error, or None."""
    try:
        with session.begin_nested():
            subscriber.handle(session, _envelope(row))
    except Exception as error:
        log.warning(
            "event handler failed",
            exc_info=True,
            extra={"subscriber": subscriber.name, "event_id": row.id},
        )
        return f"{type(error).__name__}: {error}"[:2000]
    return None


def _record_failure(
    held: HeldEvent, subscriber: Subscriber, error: str, now: datetime, result: RoundResult
) -> None:
    outcome = after_failure(held.attempts or 0, max_attempts=subscriber.max_attempts, now=now)
    held.attempts, held.next_attempt_at, held.last_error = (
        outcome.attempts,
        outcome.next_attempt_at,
        error,
    )
    held.status = DEAD if outcome.dead else RETRYING
    result.failed += 1
    result.dead += int(outcome.dead)


def _unblock_next(session: Session, subscriber: str, aggregate_id: str, now: datetime) -> None:
    following = session.scalars(
        select(HeldEvent)
        .where(HeldEvent.subscriber == subscriber, HeldEvent.aggregate_id == aggregate_id)
        .order_by(HeldEvent.tx_id, HeldEvent.event_id)
        .limit(1)
    ).first()
    if following is not None and following.status == BLOCKED:
        following.status, following.next_attempt_at = RETRYING, now


def _held(subscriber: Subscriber, row: Row[Any], status: str, now: datetime) -> HeldEvent:
    return HeldEvent(
        subscriber=subscriber.name,
        event_id=row.id,
        tx_id=row.tx_id,
        aggregate_id=row.aggregate_id,
        status=status,
        attempts=0,
        next_attempt_at=now,
    )


def _envelope(row: Row[Any]) -> Envelope:
    return Envelope(row.id, row.occurred_at, from_payload(row.type, row.version, row.payload))


def anything_due(session: Session, subscribers: Sequence[Subscriber], *, now: datetime) -> bool:
    """Whether a round would find work: events past some subscriber's position, or retries
    now due. Asked in a read-only transaction, so an idle poll takes no write lock."""
    names = [subscriber.name for subscriber in subscribers]
    begin_read(session)
    positions = session.execute(
        select(Progress.after_tx_id, Progress.after_id).where(Progress.name.in_(names))
    ).all()
    if len(positions) < len(names):
        return True  # a subscriber not registered yet: the round registers it
    position = min((tx_id, id_) for tx_id, id_ in positions)
    newer = select(OutboxEvent.id).where(
        tuple_(OutboxEvent.tx_id, OutboxEvent.id) > tuple_(*position)
    )
    retry = select(HeldEvent.event_id).where(
        HeldEvent.subscriber.in_(names),
        HeldEvent.status == RETRYING,
        HeldEvent.next_attempt_at <= now,
    )
    due = any(session.execute(query.limit(1)).first() is not None for query in (newer, retry))
    session.commit()
    return due


def _lock_progress(session: Session, names: list[str]) -> dict[str, tuple[int, int]]:
    """Lock the subscribers no other dispatcher holds; their positions in the log."""
    statement = (
        select(Progress.name, Progress.after_tx_id, Progress.after_id)
        .where(Progress.name.in_(names))
        .with_for_update(skip_locked=True)
    )
    return {name: (tx_id, id_) for name, tx_id, id_ in session.execute(statement)}


def _events_after(session: Session, position: tuple[int, int], limit: int) -> list[Row[Any]]:
    statement = select(*_EVENT_COLUMNS).where(
        tuple_(OutboxEvent.tx_id, OutboxEvent.id) > tuple_(*position)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.where(OutboxEvent.tx_id < _COMMITTED_BEFORE_ALL_RUNNING)
    statement = statement.order_by(OutboxEvent.tx_id, OutboxEvent.id).limit(limit)
    return list(session.execute(statement).all())


def _has_unripe(session: Session, rows: list[Row[Any]], position: tuple[int, int]) -> bool:
    """PostgreSQL: whether events after what was read wait for an older transaction to end."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    after = (rows[-1].tx_id, rows[-1].id) if rows else position
    newer = select(OutboxEvent.id).where(tuple_(OutboxEvent.tx_id, OutboxEvent.id) > after)
    return session.execute(newer.limit(1)).first() is not None


def _end_of_log(session: Session) -> tuple[int, int]:
    last = session.execute(
        select(OutboxEvent.tx_id, OutboxEvent.id)
        .order_by(OutboxEvent.tx_id.desc(), OutboxEvent.id.desc())
        .limit(1)
    ).first()
    return (last.tx_id, last.id) if last else (0, 0)


def _insert_if_missing(session: Session, name: str, after: tuple[int, int]) -> None:
    values = {"name": name, "after_tx_id": after[0], "after_id": after[1], "updated_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Progress).values(**values).on_conflict_do_nothing())


def count_held(session: Session) -> dict[tuple[str, str], int]:
    """Held events per (subscriber, status)."""
    rows = session.execute(
        select(HeldEvent.subscriber, HeldEvent.status, func.count()).group_by(
            HeldEvent.subscriber, HeldEvent.status
        )
    )
    return {(name, status): count for name, status, count in rows}
