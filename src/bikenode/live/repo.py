"""Queries on the live tables; never commits."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bikenode.live.models import LiveBatch, LiveGroupMember, LiveSession, LiveShare


@functools.cache
def _insert_batch(dialect: str) -> Any:
    # One statement object per dialect, run with parameters: SQLAlchemy compiles it once
    # (a fresh insert().values(...) per batch cost more CPU than the write itself).
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(LiveBatch).on_conflict_do_nothing(index_elements=["session_id", "batch_no"])


def insert_batches(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert batches, skipping any (session, batch number) stored already."""
    session.execute(_insert_batch(session.get_bind().dialect.name), rows)


@functools.cache
def _session_status() -> Any:
    # Core, compiled once (as _insert_batch): this runs in every batch transaction.
    table = LiveSession.__table__
    return (
        select(table.c.id, table.c.status)
        .where(table.c.id.in_(bindparam("ids", expanding=True)))
        .with_for_update(read=True, key_share=True)
    )


def lock_sessions(session: Session, session_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The status of those of these sessions that exist, locked until the transaction ends.

    PostgreSQL: FOR KEY SHARE (an erasure and an end wait, and the status read is the one
    they committed; batch writers do not wait for each other); SQLite: every write
    transaction holds the database's one write lock already.
    """
    rows = session.execute(_session_status(), {"ids": sorted(session_ids)})
    return {row[0]: row[1] for row in rows}


def last_batch(session: Session, session_id: uuid.UUID) -> tuple[int, int] | None:
    """The highest stored batch number and the last point time (ms) of a session."""
    row = session.execute(
        select(func.max(LiveBatch.batch_no), func.max(LiveBatch.last_time_ms)).where(
            LiveBatch.session_id == session_id
        )
    ).one()
    if row[0] is None:
        return None
    return int(row[0]), int(row[1])


def batches(session: Session, session_id: uuid.UUID, *, after_batch_no: int = 0) -> list[LiveBatch]:
    """A session's stored batches in order (those after a batch number, if given)."""
    return list(
        session.scalars(
            select(LiveBatch)
            .where(LiveBatch.session_id == session_id, LiveBatch.batch_no > after_batch_no)
            .order_by(LiveBatch.batch_no)
        )
    )


def share_by_hash(session: Session, token_hash: str) -> LiveShare | None:
    """The share link with this token hash, revoked or not."""
    return session.scalars(select(LiveShare).where(LiveShare.token_hash == token_hash)).first()


def is_member(session: Session, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the user belongs to the group ride."""
    return session.get(LiveGroupMember, (group_id, user_id)) is not None


def members(session: Session, group_id: uuid.UUID) -> list[LiveGroupMember]:
    """A group ride's members in the order they joined (so each keeps its colour on maps)."""
    return list(
        session.scalars(
            select(LiveGroupMember)
            .where(LiveGroupMember.group_id == group_id)
            .order_by(LiveGroupMember.joined_at, LiveGroupMember.user_id)
        )
    )
