"""A real `bikenode serve`: who a client is for its rate limits, and slow clients cut off.

X-Forwarded-For is believed only from BIKENODE_TRUSTED_PROXIES (none by default): without the
setting a client picks no rate-limit identity by sending it; with the proxy's address set,
the header names the client. Request heads and bodies that trickle in are bounded in time.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.load_tools import Node, served_node

pytestmark = pytest.mark.slow

LIMITED = {"rate_limit_enabled": "true", "rate_limit_anonymous": "3/minute"}


@pytest.fixture(scope="module")
def impatient_node(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Node]:
    data_dir = tmp_path_factory.mktemp("impatient") / "data"
    timeouts = {"request_header_timeout_s": "1.5", "request_body_timeout_s": "1.5"}
    with served_node(data_dir, database_url, **timeouts) as node:
        yield node


def _get(node: Node, path: str, forwarded_for: str) -> http.client.HTTPResponse:
    host, port = node.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path, headers={"X-Forwarded-For": forwarded_for})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _statuses(node: Node, path: str, forwarded_for: list[str]) -> list[int]:
    return [_get(node, path, address).status for address in forwarded_for]


def test_a_spoofed_forwarded_for_does_not_change_the_rate_limit_identity(
    tmp_path: Path, database_url: str
) -> None:
    with served_node(tmp_path / "data", database_url, **LIMITED) as node:
        # Three requests claiming three different clients all count against 127.0.0.1 ...
        first = _statuses(node, "/api/v1/rides", ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        assert first == [401, 401, 401]
        # ... so a fourth, claiming yet another address, is refused.
        assert _get(node, "/api/v1/rides", "10.0.0.4").status == 429


def test_behind_a_trusted_proxy_forwarded_for_names_the_client(
    tmp_path: Path, database_url: str
) -> None:
    settings = {**LIMITED, "trusted_proxies": "127.0.0.1"}
    with served_node(tmp_path / "data", database_url, **settings) as node:
        assert _statuses(node, "/api/v1/rides", ["10.0.0.1"] * 3) == [401, 401, 401]
        assert _get(node, "/api/v1/rides", "10.0.0.1").status == 429  # that client's fourth
        assert _get(node, "/api/v1/rides", "10.0.0.2").status == 401  # another client's first


def _connect(node: Node) -> socket.socket:
    host, port = node.base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_until_closed(sock: socket.socket, *, trickle: bytes, deadline_s: float) -> bytes:
    """Send `trickle` a byte every 0.3 s until the server closes; what it answered."""
    answer = b""
    started = time.monotonic()
    sock.settimeout(0.3)
    for byte in (trickle[i : i + 1] for i in range(len(trickle))):
        if time.monotonic() - started > deadline_s:
            break
        try:
            sock.sendall(byte)
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            return answer
        if not chunk:
            return answer
        answer += chunk
    raise AssertionError(f"the server kept the connection for {deadline_s} s: {answer!r}")


def _whole_answer(sock: socket.socket) -> bytes:
    """One whole answer: its head, then as many body bytes as its Content-Length says."""
    answer = b""
    while b"\r\n\r\n" not in answer and (chunk := sock.recv(4096)):
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length and (chunk := sock.recv(4096)):
        body += chunk
    return head + b"\r\n\r\n" + body


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(impatient_node: Node) -> None:
    with _connect(impatient_node) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bikenode\r\n")
        started = time.monotonic()
        answer = _read_until_closed(sock, trickle=b"X-Slow: " + b"a" * 200, deadline_s=8)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 4


def test_a_silent_connection_is_closed(impatient_node: Node) -> None:
    with _connect(impatient_node) as sock:
        started = time.monotonic()
        sock.settimeout(8)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 4


def test_a_request_body_that_stops_arriving_gets_408(impatient_node: Node) -> None:
    with _connect(impatient_node) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: bikenode\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email": '
        )
        started = time.monotonic()
        sock.settimeout(8)
        answer = _whole_answer(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"nothing came for 1.5 s" in answer
    assert time.monotonic() - started < 4
