"""Where a web push endpoint leads: every address its host resolves to must be public
(bikenode/addresses.py), unless the operator allowed the host (BIKENODE_PUSH_ALLOWED_HOSTS),
as for webhook URLs. Checked when a browser subscribes and again before each push; the push
then connects to the address checked there and nowhere else (bikenode/pinned.py), so a name
that resolves to a private address later, even between check and connect (DNS rebinding),
is not called.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bikenode.pinned import Pinned, RefusedAddress, Unresolved, pin


class UnresolvedHost(OSError):
    """The endpoint's host did not resolve now; a push tries again later."""


class RefusedEndpoint(ValueError):
    """The endpoint's host leads to an address the server does not call."""


def checked_endpoint(endpoint: str, *, allowed: frozenset[str]) -> Pinned:
    """Where to connect for the endpoint: its host's first address, after every address it
    resolves to now was checked (an allowed host's are not). Raises UnresolvedHost, or
    RefusedEndpoint with the reason."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (80 if parts.scheme == "http" else 443)
        return pin(parts.scheme, host, port, allowed=allowed)
    except RefusedAddress as error:
        raise RefusedEndpoint(
            f"expected a push endpoint at a public address, but {error}"
        ) from None
    except (Unresolved, ValueError) as error:
        raise UnresolvedHost(f"expected a push host that resolves, got {host!r}") from error


def endpoint_refusal(endpoint: str, *, allowed: frozenset[str], resolve: bool = True) -> str | None:
    """Why the endpoint's host may not be called, or None. A name that does not resolve
    passes when subscribing (resolve=False; it is checked again before each push) and
    raises UnresolvedHost otherwise."""
    try:
        checked_endpoint(endpoint, allowed=allowed)
    except UnresolvedHost:
        if resolve:
            raise
        return None
    except RefusedEndpoint as error:
        return str(error)
    return None
