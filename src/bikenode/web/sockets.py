"""What every WebSocket shares: the Origin check, and the signed-in users' open sockets.

Browsers send `Origin` on every WebSocket handshake and never stop a page of another site
from opening one, so the server checks it: a socket opens when its Origin is this server's
own (the request's Host, or BIKENODE_PUBLIC_URL) or one of BIKENODE_CORS_ALLOW_ORIGINS.
Clients that are not browsers may send no Origin; they are let through (they carry no
ambient credentials a page could borrow).

`UserSockets` knows which user and sign-in session each open socket belongs to on this
node: it caps them per user and closes them when their session ends (sign-out, password
change or reset).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

CLOSE_SIGNED_OUT = 4001  # the session that opened the socket has ended: sign in again
CLOSE_TOO_MANY_SOCKETS = 4029  # this user has too many sockets open on this node
SIGNED_OUT = "the session has ended; sign in again"

Closer = Callable[[int, str], object]  # close(code, reason); may return an awaitable
# With several nodes (a broker), a sign-out on one closes the session's sockets on all.
SIGN_OUTS_CHANNEL = "sockets:sign-outs"
log = logging.getLogger("bikenode.web.sockets")


class SignOutBroker(Protocol):
    """The part of the live domain's broker used to tell other nodes of sign-outs."""

    async def start(self, listener: Callable[[Any], None]) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, channel: str, data: bytes, *, key: int | None = None) -> object: ...

    def watch(self, channel: str) -> None: ...


def _origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(public_url: str, cors_allow_origins: str) -> frozenset[str]:
    """This server's public origin and the configured CORS origins, normalised."""
    origins = {_origin_of(public_url), *(_origin_of(o) for o in cors_allow_origins.split(","))}
    return frozenset(o for o in origins if o)


def origin_allowed(origin: str | None, *, host: str | None, allowed: frozenset[str]) -> bool:
    """True if a WebSocket handshake with this Origin (None: not sent) may open."""
    if origin is None:
        return True
    normalised = _origin_of(origin)
    if not normalised:  # "null" (sandboxed frames, file: pages) or garbage
        return False
    if normalised in allowed:
        return True
    scheme, _, netloc = normalised.partition("://")
    return scheme in ("http", "https") and host is not None and netloc == host.strip().lower()


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of a request header in an ASGI scope, decoded, or None."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


class WebSocketOriginMiddleware:
    """Refuse WebSocket handshakes from other sites' pages (HTTP 403, before any frame)."""

    def __init__(self, app: ASGIApp, *, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            headers = scope.get("headers", [])
            origin, host = header(headers, b"origin"), header(headers, b"host")
            if not origin_allowed(origin, host=host, allowed=self.allowed):
                await receive()  # websocket.connect; closing before accepting answers 403
                await send({"type": "websocket.close", "code": 1008, "reason": ""})
                return
        await self.app(scope, receive, send)


class TooManySockets(Exception):
    """The user already has the most sockets one user may keep open on this node."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"expected at most {limit} open sockets per user; close one first")


@dataclass(frozen=True)
class SocketHandle:
    """One registered socket, to release when it closes."""

    user_id: uuid.UUID
    number: int


@dataclass(frozen=True)
class _Socket:
    session_id: uuid.UUID | None  # None: opened with a credential that names no session
    close: Closer


class UserSockets:
    """Signed-in users' open sockets on this node, capped per user and closed on sign-out.

    open() and release() run on the event loop; the close_* methods may be called from any
    thread (request handlers run in a thread pool) and close on the loop.
    """

    def __init__(self, max_per_user: int, *, broker: SignOutBroker | None = None) -> None:
        self.max_per_user = max_per_user
        self._open: dict[uuid.UUID, dict[int, _Socket]] = {}
        self._numbers = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Future[object]] = set()  # held until done
        self._broker = broker
        self._node = uuid.uuid4().hex
        self._announcing: set[asyncio.Task[None]] = set()  # held until done

    async def start(self) -> None:
        """Hear other nodes' sign-outs (with a broker)."""
        self._loop = asyncio.get_running_loop()
        if self._broker is not None:
            await self._broker.start(self._on_relayed)
            self._broker.watch(SIGN_OUTS_CHANNEL)

    async def stop(self) -> None:
        """Stop hearing other nodes (after what is being announced has gone out)."""
        if self._announcing:
            await asyncio.wait(set(self._announcing), timeout=2.0)
        if self._broker is not None:
            await self._broker.close()

    def open(self, user_id: uuid.UUID, session_id: uuid.UUID | None, close: Closer) -> SocketHandle:
        """Register a socket; TooManySockets if the user has the most already."""
        self._loop = asyncio.get_running_loop()
        sockets = self._open.setdefault(user_id, {})
        if len(sockets) >= self.max_per_user:
            raise TooManySockets(self.max_per_user)
        handle = SocketHandle(user_id, next(self._numbers))
        sockets[handle.number] = _Socket(session_id, close)
        return handle

    def release(self, handle: SocketHandle) -> None:
        """Forget a socket that has closed."""
        sockets = self._open.get(handle.user_id)
        if sockets is not None:
            sockets.pop(handle.number, None)
            if not sockets:
                del self._open[handle.user_id]

    def count(self, user_id: uuid.UUID) -> int:
        """How many sockets the user has open on this node."""
        return len(self._open.get(user_id, {}))

    def close_session(self, user_id: uuid.UUID, session_id: uuid.UUID | None) -> None:
        """Close the sockets a signed-out session opened (and those that name no session),
        on every node."""
        self._on_loop(self._announce_and_close, "session", user_id, session_id)

    def close_user(self, user_id: uuid.UUID, *, keep_session: uuid.UUID | None = None) -> None:
        """Close all the user's sockets but those of keep_session (a password change), on
        every node."""
        self._on_loop(self._announce_and_close, "user", user_id, keep_session)

    def _on_loop(self, call: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not serving: no socket was ever opened here
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            call(*args)
        else:
            loop.call_soon_threadsafe(call, *args)

    def _announce_and_close(
        self, kind: str, user_id: uuid.UUID, session_id: uuid.UUID | None
    ) -> None:
        self._close_ended(kind, user_id, session_id)
        if self._broker is not None:
            data = json.dumps(
                {
                    "node": self._node,
                    "kind": kind,
                    "user": str(user_id),
                    "session": _text(session_id),
                }
            ).encode()
            task = asyncio.create_task(self._announce(self._broker, data))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)

    async def _announce(self, broker: SignOutBroker, data: bytes) -> None:
        try:
            await broker.publish(SIGN_OUTS_CHANNEL, data)
        except Exception:
            log.warning("sign-out not announced to other nodes: the broker is unavailable")

    def _close_ended(self, kind: str, user_id: uuid.UUID, session_id: uuid.UUID | None) -> None:
        if kind == "session":
            self._close_now(
                user_id, lambda s: s.session_id is None or s.session_id == session_id, SIGNED_OUT
            )
        else:
            self._close_now(
                user_id, lambda s: s.session_id is None or s.session_id != session_id, SIGNED_OUT
            )

    def _on_relayed(self, envelope: Any) -> None:
        """Another node's sign-out: close the same sockets here."""
        if envelope.channel != SIGN_OUTS_CHANNEL or not envelope.data:
            return
        try:
            message = json.loads(envelope.data)
            if message["node"] == self._node or message["kind"] not in ("session", "user"):
                return
            user_id = uuid.UUID(message["user"])
            session_id = uuid.UUID(message["session"]) if message["session"] else None
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable sign-out from another node")
            return
        self._close_ended(message["kind"], user_id, session_id)

    def _close_now(self, user_id: uuid.UUID, which: Callable[[_Socket], bool], reason: str) -> None:
        sockets = self._open.get(user_id, {})
        for number, socket in list(sockets.items()):
            if which(socket):
                sockets.pop(number, None)
                closing = socket.close(CLOSE_SIGNED_OUT, reason)
                if inspect.isawaitable(closing):
                    future = asyncio.ensure_future(closing)
                    self._closing.add(future)
                    future.add_done_callback(self._closing.discard)
        if not sockets:
            self._open.pop(user_id, None)


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
