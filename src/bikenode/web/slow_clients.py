"""uvicorn's HTTP protocol with a deadline and a size cap on request heads (slow-loris).

uvicorn (httptools) arms no timer while a request head is arriving: a client that opens a
connection and sends nothing, or a header byte every few seconds, holds that connection for
ever. `bikenode serve` uses this subclass instead: from the connection's start (and from a
kept-alive connection's next request) the head must be complete within
BIKENODE_REQUEST_HEADER_TIMEOUT_S and at most MAX_HEAD_BYTES long, or the connection gets a
408 (431 when too large) and is closed. Slow bodies are bounded in web.limits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024


class TimedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes connections whose request head is late or too large."""

    header_timeout_s: float | None = None  # read once per process from the settings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = True
        if TimedHttpProtocol.header_timeout_s is None:
            from bikenode.config import load_settings

            TimedHttpProtocol.header_timeout_s = load_settings().request_header_timeout_s

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            # Only the head counts: a chunk may carry the head's end and the body after it.
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end + 4
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse(431, "Request Header Fields Too Large")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_head:  # the next request on a kept-alive connection
            self._start_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def _start_head(self) -> None:
        self._in_head, self._head_bytes = True, 0
        self._stop_head_timer()
        timeout_s = TimedHttpProtocol.header_timeout_s or 10.0
        self._head_timer = self.loop.call_later(timeout_s, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._in_head:
            self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, reason: str) -> None:
        self._stop_head_timer()
        if self.transport.is_closing():
            return
        body = f"expected a complete request head within the limits; {reason.lower()}".encode()
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n".encode()
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        self.transport.close()
