"""Idempotency keys, after Stripe: what a repeated request with the same key gets.

The same key with the same request (method, path, body) gets the first answer again; with a
different request it is refused (422); while the first is still running, 409. Keys live 24 h.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

KEY_TTL = timedelta(hours=24)
# A first attempt that never recorded its answer (its process died) stops blocking after this.
RUNNING_LEASE = timedelta(seconds=60)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class BadIdempotencyKey(ValueError):
    """The header is missing or not 1-255 visible ASCII characters."""


def check_key(key: str | None) -> str:
    """The key, or BadIdempotencyKey naming what was expected."""
    if key is None:
        raise BadIdempotencyKey("expected an Idempotency-Key header (1-255 visible characters)")
    if not _KEY.match(key):
        raise BadIdempotencyKey(
            f"expected an Idempotency-Key of 1-255 visible ASCII characters, got {len(key)} characters"
        )
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """A digest of the request: same method, path and JSON body (key order aside) match."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    finished: bool
    created_at: datetime
    expires_at: datetime


Decision = Literal["replay", "mismatch", "running", "expired"]


def decide(stored: Stored, request_fingerprint: str, now: datetime) -> Decision:
    """What a request with a key already stored gets."""
    if now >= stored.expires_at:
        return "expired"
    if stored.fingerprint != request_fingerprint:
        return "mismatch"
    if stored.finished:
        return "replay"
    if now - stored.created_at >= RUNNING_LEASE:
        return "expired"  # the first attempt died before answering: let this one run
    return "running"
