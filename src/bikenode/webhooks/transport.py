"""The network side of a delivery: check where a URL leads, then POST to that checked address.

The host is resolved once; every address it resolves to must be public (logic/addresses.py)
unless the operator allowed the host (BIKENODE_WEBHOOKS_ALLOWED_HOSTS). The connection goes
to the address that was checked (pinned, bikenode/pinned.py, shared with web push), with the
host name kept for the Host header and TLS (SNI and certificate check), so a DNS answer that
changes between check and connect (rebinding) cannot redirect the request. Redirects are never followed: a 3xx is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bikenode.errors import InvalidInput
from bikenode.pinned import Answer, Pinned, RefusedAddress, Unresolved, pin, post_pinned

TIMEOUT_S = 5.0  # to connect, and for each read of the answer
MAX_RESPONSE_BYTES = 64 * 1024  # read at most this much of an answer; the rest is dropped


class UnsafeUrl(InvalidInput):
    """A webhook URL that is not http(s), or whose host leads to an address we do not call."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`), and what to say the host is."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_url(url: str, *, allowed: frozenset[str]) -> Target:
    """The URL's checked target; UnsafeUrl if it is not http(s) or leads somewhere refused."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeUrl(f"expected an http or https URL with a host, got {url[:200]!r}")
    if parts.username or parts.password:
        raise UnsafeUrl("expected a URL without user name or password")
    host = parts.hostname.lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        pinned = pin(parts.scheme, host, port, allowed=allowed)
    except RefusedAddress as error:
        raise UnsafeUrl(f"expected a public address for {host!r}, but {error}") from None
    except (Unresolved, ValueError) as error:
        raise UnsafeUrl(f"expected a host that resolves, got {host!r} ({error})") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, pinned.address)


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the checked target; the answer's status and first bytes.

    Raises OSError (or http.client.HTTPException) when no answer came.
    """
    pinned = Pinned(target.scheme, target.host, target.port, target.address)
    return post_pinned(
        pinned,
        target.path,
        body=body,
        headers=headers,
        timeout_s=TIMEOUT_S,
        max_answer_bytes=MAX_RESPONSE_BYTES,
    )
