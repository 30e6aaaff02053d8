"""Webhook signing secrets at rest: sealed with the data key ring (AES-256-GCM).

Each blob is bound to its subscription (the GCM associated data), so secrets copied onto
another subscription do not open there. A database dump without the keys signs nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bikenode.encryption import current_key_ring
from bikenode.webhooks.models import WebhookSubscription

CONTEXT_PREFIX = b"webhooks_subscriptions.secrets:"


@dataclass(frozen=True)
class SigningSecret:
    """One secret; `expires_at` is set on a rotated-out secret (it signs until then)."""

    secret: str
    expires_at: datetime | None


def seal_secrets(row: WebhookSubscription, secrets: list[SigningSecret]) -> None:
    """Store the secrets (newest first) on the subscription, sealed under the current key."""
    ring = current_key_ring()
    plaintext = json.dumps(
        [
            {"secret": s.secret, "expires_at": s.expires_at and s.expires_at.isoformat()}
            for s in secrets
        ]
    ).encode()
    row.secrets_sealed = ring.encrypt(plaintext, context=CONTEXT_PREFIX + row.id.bytes)
    row.key_id = ring.current_key_id


def open_secrets(row: WebhookSubscription) -> list[SigningSecret]:
    """The subscription's secrets, newest first; raises DecryptionFailed if unreadable."""
    plaintext = current_key_ring().decrypt(
        row.secrets_sealed, context=CONTEXT_PREFIX + row.id.bytes
    )
    return [
        SigningSecret(
            item["secret"],
            datetime.fromisoformat(item["expires_at"]) if item["expires_at"] else None,
        )
        for item in json.loads(plaintext)
    ]


def active_secrets(secrets: list[SigningSecret], *, now: datetime) -> list[str]:
    """The secrets that still sign at `now`."""
    return [s.secret for s in secrets if s.expires_at is None or s.expires_at > now]


@dataclass(frozen=True)
class ResealBatch:
    """One step of re-sealing: rows changed, and the subscription id to go on after (None:
    done)."""

    changed: int
    next_after: uuid.UUID | None


def reseal_secrets_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = 100
) -> ResealBatch:
    """Re-seal the next `limit` subscriptions' secrets not under the current key; flushes
    only. The secrets themselves stay the same, so receivers notice nothing."""
    ring = current_key_ring()
    query = (
        select(WebhookSubscription.id, WebhookSubscription.secrets_sealed)
        .where(WebhookSubscription.key_id != ring.current_key_id)
        .order_by(WebhookSubscription.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(WebhookSubscription.id > after)
    rows = session.execute(query).all()
    for row_id, sealed in rows:
        context = CONTEXT_PREFIX + row_id.bytes
        session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == row_id)
            .values(
                secrets_sealed=ring.encrypt(ring.decrypt(sealed, context=context), context=context),
                key_id=ring.current_key_id,
                # Keeps the owner's "last changed": a storage chore is not their edit.
                updated_at=WebhookSubscription.updated_at,
            )
        )
    return ResealBatch(len(rows), rows[-1][0] if len(rows) == limit else None)


def secret_key_counts(session: Session) -> dict[str, int]:
    """How many subscriptions' secrets each key id seals."""
    rows = session.execute(
        select(WebhookSubscription.key_id, func.count()).group_by(WebhookSubscription.key_id)
    )
    return {key_id: int(count) for key_id, count in rows}
