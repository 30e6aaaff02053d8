"""Queries on the sync tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
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


def store_results(
    session: Session, owner_id: uuid.UUID, client_id: str, results: dict[int, dict[str, Any]]
) -> None:
    """Keep each applied mutation's answer (a retry gets it again): one multi-row INSERT."""
    if results:
        rows = [
            {"owner_id": owner_id, "client_id": client_id, "counter": c, "result": r}
            for c, r in results.items()
        ]
        session.execute(insert(SyncMutation), rows)


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


@dataclass
class RecordRow:
    """A sync record as plain values: a push reads and writes many at once, without the
    ORM's per-object bookkeeping (which cost more than the merging itself)."""

    owner_id: uuid.UUID
    record_type: str
    record_id: str
    seq: int
    deleted: bool
    fields: dict[str, Any]
    stored_seq: int | None  # the seq in the table, None for a record not stored yet


def record_rows(
    session: Session, owner_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], RecordRow]:
    """The owner's sync records for these (record type, record id) pairs, as plain rows."""
    by_type: dict[str, set[str]] = {}
    for record_type, record_id in keys:
        by_type.setdefault(record_type, set()).add(record_id)
    found: dict[tuple[str, str], RecordRow] = {}
    columns = (SyncRecord.record_id, SyncRecord.seq, SyncRecord.deleted, SyncRecord.fields)
    for record_type, ids in by_type.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):  # under every bound-parameter limit
            rows = session.execute(
                select(*columns).where(
                    SyncRecord.owner_id == owner_id,
                    SyncRecord.record_type == record_type,
                    SyncRecord.record_id.in_(ordered[start : start + 500]),
                )
            )
            for record_id, seq, deleted, fields in rows:
                row = RecordRow(owner_id, record_type, record_id, seq, deleted, fields, seq)
                found[(record_type, record_id)] = row
    return found


def save_record_rows(session: Session, rows: Iterable[RecordRow]) -> None:
    """Insert the new rows and update the changed ones (a changed record has a new seq)."""
    table = cast(Table, SyncRecord.__table__)
    inserts, updates = [], []
    for row in rows:
        values = {"seq": row.seq, "deleted": row.deleted, "fields": row.fields}
        if row.stored_seq is None:
            key = {"owner_id": row.owner_id, "record_type": row.record_type}
            inserts.append({**key, "record_id": row.record_id, **values})
        elif row.seq != row.stored_seq:
            key = {"k_owner": row.owner_id, "k_type": row.record_type, "k_id": row.record_id}
            updates.append({**key, **{f"new_{name}": value for name, value in values.items()}})
    if inserts:
        session.execute(insert(table), inserts)
    if updates:
        statement = (
            update(table)
            .where(
                table.c.owner_id == bindparam("k_owner"),
                table.c.record_type == bindparam("k_type"),
                table.c.record_id == bindparam("k_id"),
            )
            .values(
                seq=bindparam("new_seq"),
                deleted=bindparam("new_deleted"),
                fields=bindparam("new_fields"),
            )
        )
        session.execute(statement, updates)


def record_by_key(
    session: Session, owner_id: uuid.UUID, record_type: str, record_id: str
) -> SyncRecord | None:
    """One of the owner's sync records, by its primary key."""
    return session.get(SyncRecord, (owner_id, record_type, record_id))


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
