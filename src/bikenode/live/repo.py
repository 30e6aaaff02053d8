"""Queries on the live tables; never commits."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bikenode.live.models import LiveBatch, LiveGroupMember, LiveShare


def insert_batch(session: Session, batch: dict[str, object]) -> bool:
    """Insert a batch unless (session, batch number) is stored already; True if inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(LiveBatch)
        .values(**batch)
        .on_conflict_do_nothing(index_elements=["session_id", "batch_no"])
    )
    result = session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


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


def batches(session: Session, session_id: uuid.UUID) -> list[LiveBatch]:
    """A session's stored batches in order."""
    return list(
        session.scalars(
            select(LiveBatch).where(LiveBatch.session_id == session_id).order_by(LiveBatch.batch_no)
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
