"""Where a web push endpoint leads: every address its host resolves to must be public
(bikenode/addresses.py), unless the operator allowed the host (BIKENODE_PUSH_ALLOWED_HOSTS),
as for webhook URLs. Checked when a browser subscribes and again before each push, so a
name that later resolves to a private address (DNS rebinding) is not called.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from bikenode.addresses import refused_reason


class UnresolvedHost(OSError):
    """The endpoint's host did not resolve now; a push tries again later."""


def endpoint_refusal(endpoint: str, *, allowed: frozenset[str], resolve: bool = True) -> str | None:
    """Why the endpoint's host may not be called, or None. A name that does not resolve
    passes when subscribing (resolve=False; it is checked again before each push) and
    raises UnresolvedHost before a push."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if host in allowed:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as error:
        if resolve:
            raise UnresolvedHost(f"expected a push host that resolves, got {host!r}") from error
        return None
    for address in dict.fromkeys(str(info[4][0]) for info in infos):
        reason = refused_reason(address)
        if reason:
            return f"expected a push endpoint at a public address, but {reason}"
    return None
