"""The audit domain's one table: security events, each chained to the one before."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base


class AuditEvent(Base):
    """One entry; `entry_hash` covers its content and `prev_hash` (the previous entry's hash)."""

    __tablename__ = "audit_events"

    # Insertion order; the chain order is `seq`, which verify compares with the hashes.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime]
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
