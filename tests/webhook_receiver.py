"""A real webhook receiver on loopback: verifies each request with the Standard Webhooks
library and stores it by webhook-id (a repeated id is stored once, as a receiver should)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request: its headers, body, and which of the receiver's secrets verified it."""

    headers: dict[str, str]
    body: bytes
    verified_by: list[str]


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)  # set once the webhook is created
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    requests: list[Received] = field(default_factory=list)  # every request, in order
    store: dict[str, Any] = field(default_factory=dict)  # webhook-id -> verified payload
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        verified_by = []
        payload = None
        for secret in self.secrets:
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified_by.append(secret)
        with self.lock:
            self.requests.append(Received(headers, body, verified_by))
            status = self.statuses.pop(0) if self.statuses else 200
            if verified_by and 200 <= status < 300:
                self.store.setdefault(headers["webhook-id"], payload)
        return status if verified_by else 401


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server with this handler on a free loopback port, stopped afterwards;
    yields its base address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1, stopped at the end."""
    receiver = Receiver(url="")  # its address is known once the server listens

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.handle(headers, body)
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as base:
        receiver.url = f"{base}/hooks"
        yield receiver
