"""Tables owned by the sync domain: each owner's change counter, devices, records, conflicts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class SyncOwner(Base):
    """One user's change counter. Its row is locked while a change is written, so one user's
    changes commit in the order of their numbers and a pull cursor never skips one."""

    __tablename__ = "sync_owners"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncClient(Base):
    """A device of a user, and the last mutation counter applied from it."""

    __tablename__ = "sync_clients"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_counter: Mapped[int] = mapped_column(BigInteger, default=0)
    # The newest stamp applied from it: later mutations are stamped after it.
    last_hlc: Mapped[str | None] = mapped_column(String(100))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncMutation(Base):
    """The answer given to one applied mutation, so a retried push gets the same answer."""

    __tablename__ = "sync_mutations"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncRecord(Base):
    """The merge state of one record (per field: value, stamp, CRDT parts, change number).

    A deleted record stays as a tombstone, so devices that were offline learn of it.
    """

    __tablename__ = "sync_records"
    __table_args__ = (Index("ix_sync_records_owner_seq", "owner_id", "seq"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(default=False)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SyncConflict(Base):
    """Two edits of one text field that no rule could merge, kept until the rider chooses."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_owner_status", "owner_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    base: Mapped[str | None] = mapped_column(Text)
    kept: Mapped[str] = mapped_column(Text)  # the value the field shows meanwhile (newer stamp)
    kept_hlc: Mapped[str] = mapped_column(String(100))
    other: Mapped[str] = mapped_column(Text)
    other_hlc: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
