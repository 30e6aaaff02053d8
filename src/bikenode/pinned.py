"""An HTTP(S) POST to an address checked beforehand (pinned), for the calls the server makes
on a user's say-so (a webhook URL, a web push endpoint).

`pin` resolves the host once and checks every address (bikenode/addresses.py); the
connection then goes to that checked address and is never resolved again, so a DNS answer
that changes between check and connect (rebinding) cannot send the request elsewhere. The
host name is kept for the Host header and for TLS (SNI and the certificate check). No proxy
is used, no redirect is followed (a 3xx is just the answer), and only the first bytes of
an answer are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from bikenode.addresses import refused_reason


@dataclass(frozen=True)
class Pinned:
    """Where to connect (`address`, already checked) and what to call the host."""

    scheme: str
    host: str
    port: int
    address: str


class Unresolved(OSError):
    """The host did not resolve now (a delivery may try again later)."""


class RefusedAddress(Exception):
    """The host resolves to an address the server does not call; the message says which."""


def pin(scheme: str, host: str, port: int, *, allowed: frozenset[str]) -> Pinned:
    """Resolve the host once; every address it gives must be public unless the operator
    allowed the host. Where to connect: its first address. Raises Unresolved or
    RefusedAddress."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:  # UnicodeError is a ValueError
        raise Unresolved(str(error)) from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Unresolved("no address")
    for address in addresses if host not in allowed else ():
        reason = refused_reason(address)
        if reason:
            raise RefusedAddress(reason)
    return Pinned(scheme, host, port, addresses[0])


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, pinned: Pinned, timeout_s: float) -> None:
        super().__init__(_bracketed(pinned.host), pinned.port, timeout=timeout_s)
        self._address = pinned.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, pinned: Pinned, timeout_s: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(_bracketed(pinned.host), pinned.port, timeout=timeout_s, context=self._tls)
        self._address = pinned.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _bracketed(host: str) -> str:
    # http.client would read the last ":1" of a bare IPv6 literal as a port.
    return f"[{host}]" if ":" in host else host


def post_pinned(
    pinned: Pinned,
    path: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout_s: float,
    max_answer_bytes: int,
) -> Answer:
    """POST `body` to the pinned address; the answer's status and at most its first
    `max_answer_bytes`. `timeout_s` bounds the connect and each read.

    Raises OSError (or http.client.HTTPException) when no answer came.
    """
    kind = _PinnedHTTPS if pinned.scheme == "https" else _PinnedHTTP
    connection = kind(pinned, timeout_s)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.read(max_answer_bytes))
    finally:
        connection.close()
