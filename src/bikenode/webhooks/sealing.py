"""Webhook signing secrets at rest: sealed with the data key ring (AES-256-GCM).

Each blob is bound to its subscription (the GCM associated data), so secrets copied onto
another subscription do not open there. A database dump without the keys signs nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

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
