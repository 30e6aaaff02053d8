"""Queries on the sync tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.db.base import Base
from bikenode.sync.models import SyncClient, SyncConflict, SyncMutation, SyncOwner, SyncRecord

RowT = TypeVar("RowT", bound=Base)


def locked_row(session: Session, model: type[RowT], key: tuple[Any, ...], **values: Any) -> RowT:
    """The row with this primary key, created if missing, locked until the transaction ends.

    PostgreSQL: SELECT ... FOR UPDATE (a concurrent creator loses the insert and waits);
    SQLite: every write transaction holds the database's one write lock already.
    """
    row = session.get(model, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(model(**values))
    except IntegrityError:
        pass
    row = session.get(model, key, with_for_update=True, populate_existing=True)
    if row is None:  # pragma: no cover - the insert or the concurrent one exists now
        raise RuntimeError(f"could not create {model.__name__} {key}")
    return row


def lock_owner(session: Session, owner_id: uuid.UUID) -> SyncOwner:
    return locked_row(session, SyncOwner, (owner_id,), owner_id=owner_id, last_seq=0)


def lock_client(session: Session, owner_id: uuid.UUID, client_id: str) -> SyncClient:
    return locked_row(
        session,
        SyncClient,
        (owner_id, client_id),
        owner_id=owner_id,
        client_id=client_id,
        last_counter=0,
    )


def stored_results(
    session: Session, owner_id: uuid.UUID, client_id: str, counters: list[int]
) -> dict[int, dict[str, Any]]:
    if not counters:
        return {}
    rows = session.execute(
        select(SyncMutation.counter, SyncMutation.result).where(
            SyncMutation.owner_id == owner_id,
            SyncMutation.client_id == client_id,
            SyncMutation.counter.in_(counters),
        )
    )
    return {counter: result for counter, result in rows}


def records_by_key(
    session: Session, owner_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], SyncRecord]:
    """The owner's sync records for these (record type, record id) pairs."""
    by_type: dict[str, set[str]] = {}
    for record_type, record_id in keys:
        by_type.setdefault(record_type, set()).add(record_id)
    found: dict[tuple[str, str], SyncRecord] = {}
    for record_type, ids in by_type.items():
        rows = session.scalars(
            select(SyncRecord).where(
                SyncRecord.owner_id == owner_id,
                SyncRecord.record_type == record_type,
                SyncRecord.record_id.in_(sorted(ids)),
            )
        )
        found.update({(r.record_type, r.record_id): r for r in rows})
    return found


def record_ids(session: Session, owner_id: uuid.UUID, record_type: str) -> set[str]:
    return set(
        session.scalars(
            select(SyncRecord.record_id).where(
                SyncRecord.owner_id == owner_id, SyncRecord.record_type == record_type
            )
        )
    )


def records_after(
    session: Session, owner_id: uuid.UUID, after_seq: int, limit: int
) -> list[SyncRecord]:
    return list(
        session.scalars(
            select(SyncRecord)
            .where(SyncRecord.owner_id == owner_id, SyncRecord.seq > after_seq)
            .order_by(SyncRecord.seq)
            .limit(limit)
        )
    )


def open_conflict_count(session: Session, owner_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(SyncConflict)
            .where(SyncConflict.owner_id == owner_id, SyncConflict.status == "open")
        )
        or 0
    )


def conflicts(session: Session, owner_id: uuid.UUID, status: str | None) -> list[SyncConflict]:
    query = select(SyncConflict).where(SyncConflict.owner_id == owner_id)
    if status:
        query = query.where(SyncConflict.status == status)
    return list(session.scalars(query.order_by(SyncConflict.created_at, SyncConflict.id)))


def delete_owner_data(session: Session, owner_id: uuid.UUID) -> int:
    """Delete every sync row of the owner; returns how many records there were."""
    count = 0
    for model in (SyncRecord, SyncConflict, SyncMutation, SyncClient, SyncOwner):
        result = session.execute(delete(model).where(model.owner_id == owner_id))
        if model is SyncRecord:
            count = int(getattr(result, "rowcount", 0) or 0)
    return count
