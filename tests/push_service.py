"""A small web push service on loopback (RFC 8030) that checks what a real one would: the
VAPID JWT of RFC 8292 (aud is the endpoint's origin, exp within 24 h, sub a mailto: or
https: URI, ES256 signed by the key in `k`), and holds each browser's private key, so it
decrypts every message (aes128gcm, RFC 8291) as the browser would. A subscription can be
made gone (410) or failing (500 the next n times)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAX_BODY = 4096 + 100  # RFC 8030 push services take 4 KiB of payload


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One browser's subscription: its keys as it would hold them."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass
class PushService:
    origin: str
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # why each refused request was refused
    gone: set[str] = field(default_factory=set)
    failing: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def browser(self) -> Browser:
        """A new browser subscription on this service."""
        made = Browser(
            b64url(os.urandom(12)), ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        )
        self.browsers[made.token] = made
        self.received[made.token] = []
        return made

    def endpoint(self, browser: Browser) -> str:
        return f"{self.origin}/push/{browser.token}"

    def subscription(self, browser: Browser) -> dict[str, Any]:
        """What PushSubscription.toJSON() gives the page."""
        keys = {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}
        return {"endpoint": self.endpoint(browser), "expirationTime": None, "keys": keys}

    def answer(self, token: str, headers: Any, body: bytes) -> int:
        """The status this service answers a push with, keeping what it decrypted."""
        browser = self.browsers.get(token)
        if browser is None or token in self.gone:
            return 410
        if self.failing.get(token, 0) > 0:
            self.failing[token] -= 1
            return 500
        problem = self._vapid_problem(headers.get("Authorization", ""))
        if problem is None and headers.get("Content-Encoding") != "aes128gcm":
            problem = f"expected Content-Encoding aes128gcm, got {headers.get('Content-Encoding')}"
        if problem is None and not headers.get("TTL", "").isdigit():
            problem = "expected a TTL header"
        if problem is not None:
            self.refused.append(problem)
            return 401 if "JWT" in problem or "vapid" in problem else 400
        plain = http_ece.decrypt(
            body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
        )
        self.received[token].append(json.loads(plain))
        return 201

    def _vapid_problem(self, authorization: str) -> str | None:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return f"expected the vapid auth scheme, got {scheme!r}"
        params = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), unb64url(params["k"])
            )
            claims = jwt.decode(
                params["t"],
                public,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["aud", "exp", "sub"]},
            )
        except (KeyError, ValueError, jwt.PyJWTError) as error:
            return f"expected a valid VAPID JWT: {type(error).__name__}: {error}"
        if claims["exp"] > time.time() + 24 * 3600:
            return "expected a JWT exp within 24 hours (RFC 8292 section 2)"
        if not str(claims["sub"]).startswith(("mailto:", "https:")):
            return f"expected a JWT sub of mailto: or https:, got {claims['sub']!r}"
        return None


def _handler(service: PushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(size, MAX_BODY))
            token = self.path.removeprefix("/push/")
            with service.lock:
                status = service.answer(token, self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def push_service() -> Iterator[PushService]:
    """Serve web push on 127.0.0.1 until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(PushService("")))
    port = server.server_address[1]
    service = PushService(f"http://127.0.0.1:{port}")
    server.RequestHandlerClass = _handler(service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
