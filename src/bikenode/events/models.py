"""The outbox: every published event, each subscriber's progress, and events held back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, FetchedValue, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow

# What a held-back event is waiting for.
RETRYING = "retrying"  # it failed; tried again at next_attempt_at
BLOCKED = "blocked"  # an earlier event of its aggregate has not succeeded yet
DEAD = "dead"  # failed max_attempts times; waits for `bikenode events retry`


class OutboxEvent(Base):
    """One fact a domain announced, written in the transaction that made it true."""

    __tablename__ = "outbox_events"
    # AUTOINCREMENT on SQLite: an id is never reused after erasure deletes the newest events,
    # so no subscriber's position can already lie past a new event.
    __table_args__ = (
        Index("ix_outbox_events_position", "tx_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # PostgreSQL: the writing transaction's id (pg_current_xact_id); 0 on SQLite, whose single
    # writer already commits in id order. Delivery follows (tx_id, id); see dispatch.py.
    tx_id: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue())
    type: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    aggregate_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # whose data it is about
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubscriberProgress(Base):
    """How far a subscriber has read the log: the position of the last event it took."""

    __tablename__ = "event_subscribers"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    after_tx_id: Mapped[int] = mapped_column(BigInteger, default=0)
    after_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HeldEvent(Base):
    """An event a subscriber has read but not yet handled: failed, blocked or dead."""

    __tablename__ = "event_held"
    __table_args__ = (
        Index("ix_event_held_due", "subscriber", "status", "next_attempt_at"),
        Index("ix_event_held_event_id", "event_id"),
    )

    subscriber: Mapped[str] = mapped_column(String(80), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True
    )
    tx_id: Mapped[int] = mapped_column(BigInteger)  # the event's position: (tx_id, event_id)
    aggregate_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
