"""Weight and resting heart rate at rest: sealed with the data key ring (AES-256-GCM).

Both live in one blob on the user's row, bound to that row and field (the GCM associated
data), so a blob copied onto another account does not open there. Only the user sees them
(GET and PATCH /me, their GDPR export). Rotation re-seals them under the current key in short
batches, with a compare-and-set update so that a value the user saves meanwhile is not lost.
"""

from __future__ import annotations

import logging
import struct
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bikenode.accounts.models import User
from bikenode.accounts.sealing import ResealBatch
from bikenode.encryption import DecryptionFailed, KeyRing, current_key_ring

log = logging.getLogger(__name__)

BODY_METRIC_FIELDS = ("weight_kg", "resting_hr_bpm")
BODY_METRICS_CONTEXT_PREFIX = b"accounts_users.body_metrics:"
# Version 1, weight in tenths of a kilogram, resting heart rate in bpm; 0 means not set (the
# valid ranges exclude it). Every value has the same length: so has every ciphertext.
_PLAINTEXT = struct.Struct(">BHB")
_VERSION = 1


@dataclass(frozen=True)
class BodyMetrics:
    """A rider's weight and resting heart rate; None where not set."""

    weight_kg: float | None = None
    resting_hr_bpm: int | None = None


def encode_body_metrics(metrics: BodyMetrics) -> bytes:
    """The fixed-size plaintext of the metrics (weight kept to one decimal)."""
    weight_dkg = 0 if metrics.weight_kg is None else round(metrics.weight_kg * 10)
    return _PLAINTEXT.pack(_VERSION, weight_dkg, metrics.resting_hr_bpm or 0)


def decode_body_metrics(plaintext: bytes) -> BodyMetrics:
    """The metrics of a plaintext from encode_body_metrics; DecryptionFailed if malformed."""
    if len(plaintext) != _PLAINTEXT.size or plaintext[0] != _VERSION:
        raise DecryptionFailed(
            f"expected {_PLAINTEXT.size} bytes of body metrics, version {_VERSION}, "
            f"got {len(plaintext)} bytes"
        )
    _version, weight_dkg, resting_hr_bpm = _PLAINTEXT.unpack(plaintext)
    return BodyMetrics(weight_dkg / 10 if weight_dkg else None, resting_hr_bpm or None)


def body_metrics_context(user_id: uuid.UUID) -> bytes:
    """The associated data binding sealed body metrics to their user row and field."""
    return BODY_METRICS_CONTEXT_PREFIX + user_id.bytes


def seal_body_metrics(user: User, metrics: BodyMetrics, ring: KeyRing | None = None) -> None:
    """Store the metrics on the user, sealed under the current key (NULL when both unset)."""
    if metrics == BodyMetrics():
        user.body_metrics_sealed = user.body_metrics_key_id = None
        return
    ring = ring or current_key_ring()
    user.body_metrics_sealed = ring.encrypt(
        encode_body_metrics(metrics), context=body_metrics_context(user.id)
    )
    user.body_metrics_key_id = ring.current_key_id


def open_body_metrics(user: User) -> BodyMetrics:
    """The user's metrics; raises DecryptionFailed if their key is gone or the blob was moved."""
    if user.body_metrics_sealed is None:
        return BodyMetrics()
    plaintext = current_key_ring().decrypt(
        user.body_metrics_sealed, context=body_metrics_context(user.id)
    )
    return decode_body_metrics(plaintext)


def read_body_metrics(user: User) -> BodyMetrics:
    """The user's metrics for their own views; unset (and a warning logged) if unreadable.

    A lost key must not lock anyone out of their settings: the value is gone for good, and
    saving a new one seals it under the current key.
    """
    try:
        return open_body_metrics(user)
    except DecryptionFailed as error:
        # The user id and key id only: never the value, not even a part of the blob.
        log.warning(
            "a user's weight and resting heart rate cannot be decrypted; shown as not set",
            extra={
                "user_id": str(user.id),
                "key_id": user.body_metrics_key_id,
                "error": str(error),
            },
        )
        return BodyMetrics()


def update_body_metrics(user: User, changes: dict[str, Any]) -> None:
    """Set the given metrics (None clears one), keep the others; seals, never commits."""
    unknown = set(changes) - set(BODY_METRIC_FIELDS)
    if unknown:
        raise ValueError(f"expected only {', '.join(BODY_METRIC_FIELDS)}, got {sorted(unknown)}")
    seal_body_metrics(user, replace(read_body_metrics(user), **changes))


def reseal_body_metrics_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = 100
) -> ResealBatch:
    """Re-seal the next `limit` users' body metrics not under the current key; flushes only."""
    ring = current_key_ring()
    query = (
        select(User.id, User.body_metrics_sealed)
        .where(User.body_metrics_key_id != ring.current_key_id)
        .order_by(User.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(User.id > after)
    rows = session.execute(query).all()
    changed = 0
    for user_id, sealed in rows:
        if sealed is None:
            continue
        context = body_metrics_context(user_id)
        resealed = ring.encrypt(ring.decrypt(sealed, context=context), context=context)
        # Compare-and-set: if the user saved new values since the read, theirs stay (they are
        # sealed under the current key already). Rotation leaves `updated_at` as it was.
        result = session.execute(
            update(User)
            .where(User.id == user_id, User.body_metrics_sealed == sealed)
            .values(
                body_metrics_sealed=resealed,
                body_metrics_key_id=ring.current_key_id,
                updated_at=User.updated_at,
            )
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount  # type: ignore[attr-defined]
    session.flush()
    return ResealBatch(changed, rows[-1].id if len(rows) == limit else None)


def body_metrics_key_counts(session: Session) -> dict[str, int]:
    """How many users' body metrics each key id seals."""
    rows = session.execute(
        select(User.body_metrics_key_id, func.count())
        .where(User.body_metrics_key_id.is_not(None))
        .group_by(User.body_metrics_key_id)
    )
    return {str(key_id): int(count) for key_id, count in rows}
