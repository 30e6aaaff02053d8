"""How live batches are stored: heart rate sealed apart from the other columns.

Heart rate is health data (GDPR art. 9): each batch's ``hr`` column is sealed on its own with
the data key ring (AES-256-GCM, one seal per batch), bound to its session and batch number,
so a blob copied to another batch does not open there. The other columns stay plain JSON so
that viewers' trails are read without a key. Rotation re-seals batches under the current key
in short passes, with a compare-and-set so that a batch erased meanwhile stays gone.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bikenode.encryption import KeyRing, current_key_ring
from bikenode.live.models import LiveBatch

HEALTH_COLUMNS = ("hr",)
# Also written in the migration 0007_live_sealed (which must not import app code): keep equal.
HEALTH_CONTEXT_PREFIX = b"live_batches.health:"

Columns = dict[str, list[int | None]]


@dataclass(frozen=True)
class PackedBatch:
    """The stored form of one batch's columns."""

    points: bytes
    health_sealed: bytes | None
    health_key_id: str | None


@dataclass(frozen=True)
class ResealBatch:
    """One step of re-sealing: batches changed, and the row id to go on after (None: done)."""

    changed: int
    next_after: int | None


def health_context(session_id: uuid.UUID, batch_no: int) -> bytes:
    """The associated data binding a sealed heart-rate column to its session and batch."""
    return HEALTH_CONTEXT_PREFIX + session_id.bytes + batch_no.to_bytes(4, "big")


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def pack_columns(
    session_id: uuid.UUID, batch_no: int, columns: Columns, ring: KeyRing
) -> PackedBatch:
    """Plain JSON of the non-health columns, and the health columns sealed (None if absent)."""
    plain = {key: values for key, values in columns.items() if key not in HEALTH_COLUMNS}
    health = {key: values for key, values in columns.items() if key in HEALTH_COLUMNS}
    if not health:
        return PackedBatch(_json(plain), None, None)
    sealed = ring.encrypt(_json(health), context=health_context(session_id, batch_no))
    return PackedBatch(_json(plain), sealed, ring.current_key_id)


def unpack_columns(
    session_id: uuid.UUID,
    batch_no: int,
    points: bytes,
    health_sealed: bytes | None,
    ring: KeyRing,
) -> Columns:
    """Every column of a stored batch, heart rate unsealed; raises DecryptionFailed."""
    columns: Columns = json.loads(points)
    if health_sealed is not None:
        plaintext = ring.decrypt(health_sealed, context=health_context(session_id, batch_no))
        columns.update(json.loads(plaintext))
    return columns


def batch_columns(batch: LiveBatch) -> Columns:
    """Every column of a stored batch (heart rate included), with the process's key ring."""
    return unpack_columns(
        batch.session_id, batch.batch_no, batch.points, batch.health_sealed, current_key_ring()
    )


def plain_columns(batch: LiveBatch) -> Columns:
    """The plain columns of a stored batch (time, position, elevation, power, cadence): no key
    needed, no heart rate."""
    columns: Columns = json.loads(batch.points)
    return columns


def reseal_health_batch(session: Session, *, after: int | None, limit: int = 100) -> ResealBatch:
    """Re-seal the next `limit` batches' heart rate not under the current key; flushes only."""
    ring = current_key_ring()
    table = LiveBatch.__table__.c
    query = (
        select(table.id, table.session_id, table.batch_no, table.health_sealed)
        .where(table.health_key_id != ring.current_key_id)
        .order_by(table.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(table.id > after)
    rows = session.execute(query).all()
    changed = 0
    for row_id, session_id, batch_no, sealed in rows:
        context = health_context(session_id, batch_no)
        resealed = ring.encrypt(ring.decrypt(sealed, context=context), context=context)
        # Compare-and-set: a batch erased or re-sealed by another pass meanwhile is left alone.
        result = session.execute(
            update(LiveBatch)
            .where(LiveBatch.id == row_id, LiveBatch.health_sealed == sealed)
            .values(health_sealed=resealed, health_key_id=ring.current_key_id)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount  # type: ignore[attr-defined]
    session.flush()
    return ResealBatch(changed, rows[-1].id if len(rows) == limit else None)


def health_key_counts(session: Session) -> dict[str, int]:
    """How many live batches' heart rate each key id seals."""
    rows = session.execute(
        select(LiveBatch.health_key_id, func.count())
        .where(LiveBatch.health_key_id.is_not(None))
        .group_by(LiveBatch.health_key_id)
    )
    return {str(key_id): int(count) for key_id, count in rows}
