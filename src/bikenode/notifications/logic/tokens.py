"""Unsubscribe tokens: who and which type, signed, so the link works without signing in.

A token is `<user uuid hex>.<type>.<signature>`, the signature HMAC-SHA256 over the first two
parts with a key derived from the server's secret for this purpose alone. It never expires
(an e-mail may be read months later) and it can only switch one type's e-mail off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass

MAX_TOKEN_CHARS = 200


class BadToken(ValueError):
    """A token that is malformed or not signed by this server."""


@dataclass(frozen=True)
class Unsubscribe:
    user_id: uuid.UUID
    kind: str


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"bikenode.notifications.unsubscribe\x00" + secret.encode()).digest()


def _signature(secret: str, message: str) -> str:
    digest = hmac.new(_key(secret), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: str, *, user_id: uuid.UUID, kind: str) -> str:
    """The signed token that switches off `kind` by e-mail for the user."""
    message = f"{user_id.hex}.{kind}"
    return f"{message}.{_signature(secret, message)}"


def read_token(secret: str, token: str) -> Unsubscribe:
    """The user and type a token names; BadToken unless this server signed it."""
    if len(token) > MAX_TOKEN_CHARS:
        raise BadToken(f"expected a token of at most {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 3:
        raise BadToken("expected a token of three parts separated by dots")
    user_hex, kind, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{user_hex}.{kind}")):
        raise BadToken("the token's signature does not match")
    try:
        return Unsubscribe(uuid.UUID(hex=user_hex), kind)
    except ValueError:
        raise BadToken("expected a user id in the token") from None
