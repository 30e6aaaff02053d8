"""Web push subscriptions as browsers give them (PushSubscription.toJSON()): the checks on
an endpoint and its keys, and what a push service's answer means for the subscription."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

MAX_SUBSCRIPTIONS_PER_USER = 10  # phones, laptops, a browser or two each; not a fleet
MAX_ENDPOINT_LENGTH = 1000
LOOPBACK_HOSTS = frozenset({"localhost"})
KEPT, RETRY, GONE, REFUSED = "kept", "retry", "gone", "refused"


class BadSubscription(ValueError):
    """An endpoint or key a push message could not be sent to."""


def check_endpoint(url: str) -> str:
    """The endpoint if it is an https URL (http only to a loopback host, for a push
    service run on this machine); BadSubscription otherwise."""
    if len(url) > MAX_ENDPOINT_LENGTH:
        raise BadSubscription(
            f"expected an endpoint of at most {MAX_ENDPOINT_LENGTH} characters, got {len(url)}"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as error:
        raise BadSubscription(f"expected an endpoint URL: {error}") from None
    if not host or parts.username or parts.password:
        raise BadSubscription(f"expected an https URL with a host and no user, got {url[:80]!r}")
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(host)):
        return url
    raise BadSubscription(f"expected an https endpoint, got {parts.scheme or 'no'} scheme")


def _loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def decode_key(value: str, *, name: str, length: int) -> bytes:
    """A base64url key (padding optional) of exactly `length` bytes; BadSubscription else."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise BadSubscription(f"expected {name} in base64url, got {value[:40]!r}") from None
    if len(raw) != length:
        raise BadSubscription(f"expected {name} of {length} bytes, got {len(raw)}")
    return raw


def check_keys(p256dh: str, auth: str) -> None:
    """Raise BadSubscription unless p256dh is an uncompressed P-256 point (65 bytes, 0x04
    first) and auth a 16-byte secret, as RFC 8291 requires."""
    point = decode_key(p256dh, name="p256dh", length=65)
    if point[0] != 4:
        raise BadSubscription("expected p256dh as an uncompressed point (first byte 0x04)")
    decode_key(auth, name="auth", length=16)


def outcome(status: int | None) -> str:
    """What a push service's answer means (RFC 8030): taken; try again later (no answer,
    429, 5xx); the subscription is gone for good (404, 410); or refused (another 4xx:
    a message this server made wrongly, which sending again will not mend)."""
    if status is None or status == 429 or status >= 500:
        return RETRY
    if status in (404, 410):
        return GONE
    if 200 <= status < 300:
        return KEPT
    return REFUSED
