"""Audit use cases: append an entry in the caller's transaction, read and verify the log."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bikenode.audit import logic
from bikenode.audit.models import AuditEvent
from bikenode.db.base import utcnow

# One lock id for "the audit chain's tail"; PostgreSQL holds it until the caller commits.
_CHAIN_LOCK_ID = zlib.crc32(b"bikenode.audit.chain")
_VERIFY_BATCH = 1000


@dataclass(frozen=True)
class AuditEventView:
    """An audit entry as shown to an admin or written to an export."""

    seq: int
    occurred_at: datetime
    event_type: str
    actor_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    client_ip: str | None
    details: dict[str, Any]


def record_event(
    session: Session,
    *,
    event_type: str,
    actor_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    client_ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an event to the chain in the caller's transaction; never commits.

    `details` must hold JSON values only (str, int, bool, None, lists and dicts of them) and
    never a secret: the log is kept for good. Concurrent writers are serialised (PostgreSQL:
    a transaction-scoped advisory lock; SQLite: its single writer), so the chain never forks.
    """
    _lock_chain_tail(session)
    tail = session.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (tail[0] + 1, tail[1]) if tail else (1, logic.GENESIS_HASH)
    content = logic.EntryContent(
        occurred_at=utcnow(),
        event_type=event_type,
        actor_id=str(actor_id) if actor_id else None,
        subject_id=str(subject_id) if subject_id else None,
        client_ip=client_ip,
        details=dict(details or {}),
        prev_hash=prev_hash,
    )
    session.add(
        AuditEvent(
            seq=seq,
            occurred_at=content.occurred_at,
            event_type=event_type,
            actor_id=actor_id,
            subject_id=subject_id,
            client_ip=client_ip,
            details=content.details,
            prev_hash=prev_hash,
            entry_hash=logic.entry_hash(content),
        )
    )
    session.flush()


def verify_log(
    session: Session, *, expected_head: str | None = None
) -> tuple[int, str, list[logic.Finding]]:
    """How many entries there are, the newest entry's hash, and every problem found."""
    entries = list(_stored_entries(session))
    head = entries[-1].entry_hash if entries else logic.GENESIS_HASH
    return len(entries), head, logic.verify_chain(entries, expected_head=expected_head)


def list_events(
    session: Session, *, subject_id: uuid.UUID | None = None, limit: int = 100
) -> list[AuditEventView]:
    """The newest events (about one user, if given), newest first."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if subject_id is not None:
        query = query.where(
            (AuditEvent.subject_id == subject_id) | (AuditEvent.actor_id == subject_id)
        )
    return [
        AuditEventView(
            e.seq, e.occurred_at, e.event_type, e.actor_id, e.subject_id, e.client_ip, e.details
        )
        for e in session.scalars(query)
    ]


def count_events(session: Session) -> int:
    """How many entries the log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _stored_entries(session: Session) -> Iterator[logic.StoredEntry]:
    # Plain rows (no ORM identity map), in batches by seq: a long log is checked in bounded memory.
    columns = (
        AuditEvent.seq,
        AuditEvent.occurred_at,
        AuditEvent.event_type,
        AuditEvent.actor_id,
        AuditEvent.subject_id,
        AuditEvent.client_ip,
        AuditEvent.details,
        AuditEvent.prev_hash,
        AuditEvent.entry_hash,
    )
    last_seq: int | None = None  # seq is not trusted: a tampered one may be zero or negative
    while True:
        query = select(*columns).order_by(AuditEvent.seq)
        if last_seq is not None:
            query = query.where(AuditEvent.seq > last_seq)
        batch = session.execute(query.limit(_VERIFY_BATCH)).all()
        if not batch:
            return
        for row in batch:
            content = logic.EntryContent(
                occurred_at=row.occurred_at,
                event_type=row.event_type,
                actor_id=str(row.actor_id) if row.actor_id else None,
                subject_id=str(row.subject_id) if row.subject_id else None,
                client_ip=row.client_ip,
                details=row.details,
                prev_hash=row.prev_hash,
            )
            yield logic.StoredEntry(row.seq, content, row.entry_hash)
        last_seq = batch[-1].seq


def _lock_chain_tail(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHAIN_LOCK_ID})
