"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A secret is ``whsec_`` and the base64 of random bytes; the HMAC key is those bytes. The
signature of a message is ``v1,`` and the base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``;
the ``webhook-signature`` header holds one per active secret, separated by spaces, so a
receiver that knows either secret accepts the message while a secret is being rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
_SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks format (``whsec_<base64>``)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def signature(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message under one secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"expected a secret starting with {SECRET_PREFIX!r}, got another format")
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_: list[str], *, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per active secret, space-separated."""
    return " ".join(signature(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_)
