"""The pinned POST (bikenode/pinned.py) against a real server on loopback: it connects to
the address given, says the host name it was given, follows no redirect, uses no proxy and
reads only the first bytes of an answer."""

from __future__ import annotations

import contextlib
import http.server
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from bikenode.pinned import Pinned, post_pinned
from tests.webhook_receiver import serving

LONG_ANSWER = b"x" * 100_000


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, bytes]]] = []  # (path, Host header, body) of each request

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append((self.path, self.headers.get("Host", ""), body))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(201)
        self.send_header("Content-Length", str(len(LONG_ANSWER)))
        self.end_headers()
        # The client reads what it wants and hangs up: a broken pipe here is expected.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(LONG_ANSWER)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    _Handler.seen = []
    with serving(_Handler) as base:
        yield urlsplit(base).port or 0


def _post(port: int, path: str) -> Any:
    pinned = Pinned("http", "push.example", port, "127.0.0.1")
    return post_pinned(
        pinned, path, body=b"hello", headers={}, timeout_s=5.0, max_answer_bytes=4096
    )


def test_the_post_reaches_the_pinned_address_under_the_host_name(port: int) -> None:
    # push.example does not resolve here: only the pinned address can have been used.
    answer = _post(port, "/push/a?x=1")

    assert answer.status == 201
    assert len(answer.body) == 4096  # the rest of the 100 kB answer is never read
    assert _Handler.seen == [("/push/a?x=1", f"push.example:{port}", b"hello")]


def test_a_redirect_is_answered_not_followed(port: int) -> None:
    assert _post(port, "/moved").status == 302
    assert [path for path, _, _ in _Handler.seen] == ["/moved"]


def test_a_proxy_in_the_environment_is_not_used(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on port 9
    assert _post(port, "/push/b").status == 201
