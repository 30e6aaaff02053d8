"""Health values and alert explanations at rest: sealed with the data key ring (AES-256-GCM).

Each blob is bound to its row (the GCM associated data names the table, field and row id), so
a value copied onto another row does not open there. Rotation re-seals them in short batches
with a compare-and-set update, as accounts' body metrics do.
"""

from __future__ import annotations

import json
import logging
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bikenode.encryption import DecryptionFailed, current_key_ring
from bikenode.health.models import HealthAlert, HealthMetric

log = logging.getLogger(__name__)

VALUE_CONTEXT = b"health_metrics.value:"
EXPLANATION_CONTEXT = b"health_alerts.explanation:"
_VALUE = struct.Struct(">Bd")  # version 1, the value as a double: every ciphertext one size
_VERSION = 1


@dataclass(frozen=True)
class ResealBatch:
    """One step of re-sealing: rows changed, and the row id to go on after (None: done)."""

    changed: int
    next_after: uuid.UUID | None


def seal_value(row: HealthMetric, value: float) -> None:
    """Store the value on the row, sealed under the current key."""
    ring = current_key_ring()
    row.value_sealed = ring.encrypt(
        _VALUE.pack(_VERSION, value), context=VALUE_CONTEXT + row.id.bytes
    )
    row.key_id = ring.current_key_id


def open_value(row_id: uuid.UUID, sealed: bytes) -> float | None:
    """The value of a sealed metric; None (and a warning naming no value) if unreadable."""
    try:
        plaintext = current_key_ring().decrypt(sealed, context=VALUE_CONTEXT + row_id.bytes)
        if len(plaintext) != _VALUE.size or plaintext[0] != _VERSION:
            raise DecryptionFailed(f"expected {_VALUE.size} bytes, got {len(plaintext)}")
    except DecryptionFailed as error:
        log.warning(
            "a health value cannot be decrypted", extra={"row_id": str(row_id), "error": str(error)}
        )
        return None
    return float(_VALUE.unpack(plaintext)[1])


def seal_explanation(row: HealthAlert, explanation: dict[str, Any]) -> None:
    """Store an alert's explanation on its row as sealed JSON."""
    ring = current_key_ring()
    plaintext = json.dumps(explanation, sort_keys=True).encode()
    row.explanation_sealed = ring.encrypt(plaintext, context=EXPLANATION_CONTEXT + row.id.bytes)
    row.key_id = ring.current_key_id


def open_explanation(row: HealthAlert) -> dict[str, Any] | None:
    """An alert's explanation; None (and a warning) if unreadable."""
    try:
        plaintext = current_key_ring().decrypt(
            row.explanation_sealed, context=EXPLANATION_CONTEXT + row.id.bytes
        )
    except DecryptionFailed as error:
        log.warning(
            "a health alert cannot be decrypted", extra={"row_id": str(row.id), "error": str(error)}
        )
        return None
    explanation: dict[str, Any] = json.loads(plaintext)
    return explanation


def reseal_metrics_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = 100
) -> ResealBatch:
    """Re-seal the next `limit` metric values not under the current key; flushes only."""
    return _reseal(session, HealthMetric, "value_sealed", VALUE_CONTEXT, after, limit)


def reseal_alerts_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = 100
) -> ResealBatch:
    """Re-seal the next `limit` alert explanations not under the current key; flushes only."""
    return _reseal(session, HealthAlert, "explanation_sealed", EXPLANATION_CONTEXT, after, limit)


def _reseal(
    session: Session,
    model: type[HealthMetric] | type[HealthAlert],
    field: str,
    prefix: bytes,
    after: uuid.UUID | None,
    limit: int,
) -> ResealBatch:
    ring = current_key_ring()
    column = getattr(model, field)
    query = (
        select(model.id, column)
        .where(model.key_id != ring.current_key_id)
        .order_by(model.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(model.id > after)
    rows = session.execute(query).all()
    changed = 0
    for row_id, sealed in rows:
        context = prefix + row_id.bytes
        resealed = ring.encrypt(ring.decrypt(sealed, context=context), context=context)
        # Compare-and-set: a value the rider saved meanwhile is already under the current key.
        result = session.execute(
            update(model)
            .where(model.id == row_id, column == sealed)
            .values(
                {field: resealed, "key_id": ring.current_key_id, "updated_at": model.updated_at}
            )
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount  # type: ignore[attr-defined]
    session.flush()
    return ResealBatch(changed, rows[-1].id if len(rows) == limit else None)


def key_counts(session: Session) -> dict[str, int]:
    """How many health values and alert explanations each key id seals."""
    counts: dict[str, int] = {}
    for model in (HealthMetric, HealthAlert):
        rows = session.execute(select(model.key_id, func.count()).group_by(model.key_id))
        for key_id, count in rows:
            counts[str(key_id)] = counts.get(str(key_id), 0) + int(count)
    return counts
