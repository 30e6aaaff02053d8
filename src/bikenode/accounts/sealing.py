"""TOTP secrets at rest: sealed with the data key ring (AES-256-GCM), a key id on each.

A database dump without the keys does not give anyone a user's second factor. Each value is
bound to its user (the GCM associated data), so a sealed secret copied onto another account
does not open there. Rotation re-seals under the current key in short batches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.accounts.models import MfaFactor
from bikenode.encryption import KeyRing, current_key_ring

# Also written in the migration 0004_mfa_sealed (which must not import app code): keep equal.
TOTP_CONTEXT_PREFIX = b"accounts_mfa_factors.secret:"


def totp_context(user_id: uuid.UUID) -> bytes:
    """The associated data binding a sealed TOTP secret to its user."""
    return TOTP_CONTEXT_PREFIX + user_id.bytes


def seal_secret(factor: MfaFactor, secret: str, ring: KeyRing | None = None) -> None:
    """Store a base32 secret on the factor, sealed under the ring's current key."""
    ring = ring or current_key_ring()
    factor.secret_sealed = ring.encrypt(
        secret.encode("ascii"), context=totp_context(factor.user_id)
    )
    factor.key_id = ring.current_key_id


def open_secret(factor: MfaFactor) -> str:
    """The factor's base32 secret; raises DecryptionFailed if its key is gone or it was moved."""
    ring = current_key_ring()
    return ring.decrypt(factor.secret_sealed, context=totp_context(factor.user_id)).decode("ascii")


@dataclass(frozen=True)
class ResealBatch:
    """One step of re-sealing: rows changed, and the user id to go on after (None: done)."""

    changed: int
    next_after: uuid.UUID | None


def reseal_totp_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = 100
) -> ResealBatch:
    """Re-seal the next `limit` TOTP secrets not under the current key; flushes only."""
    ring = current_key_ring()
    query = (
        select(MfaFactor)
        .where(MfaFactor.key_id != ring.current_key_id)
        .order_by(MfaFactor.user_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(MfaFactor.user_id > after)
    rows = session.scalars(query).all()
    for row in rows:
        seal_secret(row, open_secret(row), ring)
    session.flush()
    return ResealBatch(len(rows), rows[-1].user_id if len(rows) == limit else None)


def totp_key_counts(session: Session) -> dict[str, int]:
    """How many TOTP secrets each key id seals."""
    rows = session.execute(select(MfaFactor.key_id, func.count()).group_by(MfaFactor.key_id))
    return {key_id: int(count) for key_id, count in rows}
