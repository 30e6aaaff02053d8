"""Operating the outbox: status per subscriber, retrying dead letters, replaying, erasure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.errors import NotFound
from bikenode.events.dispatch import count_held
from bikenode.events.models import DEAD, RETRYING, HeldEvent, OutboxEvent
from bikenode.events.models import SubscriberProgress as Progress


@dataclass(frozen=True)
class SubscriberStatus:
    """How far one subscriber is: events still to read, events held back, the oldest waiting."""

    name: str
    after_id: int
    pending: int
    retrying: int
    blocked: int
    dead: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True)
class DeadLetter:
    """An event a subscriber gave up on, and why."""

    subscriber: str
    event_id: int
    type: str
    aggregate_id: str
    attempts: int
    last_error: str | None


def events_status(session: Session) -> list[SubscriberStatus]:
    """Every subscriber's progress through the log, by name."""
    held = count_held(session)
    statuses = []
    for progress in session.scalars(select(Progress).order_by(Progress.name)):
        after = tuple_(OutboxEvent.tx_id, OutboxEvent.id) > tuple_(
            progress.after_tx_id, progress.after_id
        )
        pending, oldest = session.execute(
            select(func.count(), func.min(OutboxEvent.occurred_at)).where(after)
        ).one()
        statuses.append(
            SubscriberStatus(
                progress.name,
                progress.after_id,
                pending,
                held.get((progress.name, RETRYING), 0),
                held.get((progress.name, "blocked"), 0),
                held.get((progress.name, DEAD), 0),
                oldest,
            )
        )
    return statuses


def dead_letters(session: Session, *, limit: int = 100) -> list[DeadLetter]:
    """The oldest dead letters of every subscriber."""
    rows = session.execute(
        select(HeldEvent, OutboxEvent.type)
        .join(OutboxEvent, OutboxEvent.id == HeldEvent.event_id)
        .where(HeldEvent.status == DEAD)
        .order_by(HeldEvent.event_id)
        .limit(limit)
    )
    return [
        DeadLetter(h.subscriber, h.event_id, type_, h.aggregate_id, h.attempts, h.last_error)
        for h, type_ in rows
    ]


def retry_dead(session: Session, *, event_id: int, subscriber: str | None = None) -> int:
    """Make the event's dead letters due again with fresh attempts; NotFound if it has none."""
    statement = update(HeldEvent).where(HeldEvent.event_id == event_id, HeldEvent.status == DEAD)
    if subscriber is not None:
        statement = statement.where(HeldEvent.subscriber == subscriber)
    result = session.execute(
        statement.values(status=RETRYING, attempts=0, next_attempt_at=utcnow(), last_error=None)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.rollback()
        raise NotFound(f"expected a dead letter with event id {event_id}, found none")
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def replay(session: Session, *, subscriber: str, from_id: int = 0) -> None:
    """Start the subscriber again at event from_id (0: the whole log), forgetting what it holds.

    The handler then sees those events again: a new subscriber back-fills this way, and an
    existing one must be idempotent by event id to be replayed.
    """
    if session.get(Progress, subscriber) is None:
        raise NotFound(f"expected a known subscriber, got {subscriber!r}")
    tx_id = 0
    if from_id > 0:
        found = session.scalar(
            select(OutboxEvent.tx_id)
            .where(OutboxEvent.id >= from_id)
            .order_by(OutboxEvent.id)
            .limit(1)
        )
        tx_id = found or 0
    session.execute(delete(HeldEvent).where(HeldEvent.subscriber == subscriber))
    session.execute(
        update(Progress)
        .where(Progress.name == subscriber)
        .values(after_tx_id=tx_id, after_id=max(0, from_id - 1), updated_at=utcnow())
    )
    session.commit()


def erase_user_events(session: Session, user_id: uuid.UUID) -> int:
    """Delete the events carrying the user's data (in the caller's transaction); their count.

    Those the user acted in (`user_id`), and others' events whose payload names them (a
    follow of them, kudos on their ride, a moderator's action): a generic scan for any
    payload value equal to the id, so a new event type needs no field list kept up to date.
    A replay after an erasure must not bring the erased rides back into another domain.
    """
    result = session.execute(delete(OutboxEvent).where(OutboxEvent.user_id == user_id))
    erased = int(result.rowcount)  # type: ignore[attr-defined]
    needle = str(user_id)
    # The text match narrows the scan in SQL; the exact match of a value decides.
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.payload).where(
            cast(OutboxEvent.payload, Text).contains(needle, autoescape=True)
        )
    )
    named = [event_id for event_id, payload in rows if names_value(payload, needle)]
    for start in range(0, len(named), ERASE_BATCH):
        batch = named[start : start + ERASE_BATCH]
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(batch)))
    return erased + len(named)


ERASE_BATCH = 500  # ids per DELETE: under every driver's bound-parameter limit


def names_value(payload: Any, needle: str) -> bool:
    """True when the JSON value holds `needle` as a whole value, at any depth."""
    if isinstance(payload, dict):
        return any(names_value(value, needle) for value in payload.values())
    if isinstance(payload, list):
        return any(names_value(value, needle) for value in payload)
    return bool(payload == needle)
