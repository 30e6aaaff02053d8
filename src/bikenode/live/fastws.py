"""The live fast path: viewer sockets served straight from the socket, not through ASGI.

`bikenode serve` gives uvicorn this class for WebSocket upgrades. The two viewer sockets
(`/api/v1/live/sessions/{id}/watch`, `/api/v1/live/groups/{id}/watch`) are handled here: after
the hello, a viewer is one small object holding its socket, epoch and cursor, and an in-order
message is one `transport.write` of a frame encoded once for every viewer of the channel: no
task, queue or per-message object per connection. Every other WebSocket path (the rider socket,
route rooms) goes to uvicorn's own implementation and the ASGI app, unchanged. The protocol is
the same either way (docs/live-protocol.md); the ASGI endpoints serve it under test clients.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any, cast

from bikenode.errors import DomainError
from bikenode.live import frames, logic, wire, ws
from bikenode.live.broker import Envelope
from bikenode.live.hub import Snapshot
from bikenode.web.sockets import (
    CLOSE_TOO_MANY_SOCKETS,
    SocketHandle,
    TooManySockets,
    origin_allowed,
)

log = logging.getLogger("bikenode.live")

WATCH_PATH = re.compile(r"/api/v1/live/(sessions|groups)/([0-9a-fA-F-]{36})/watch")
MAX_REQUEST_HEAD = 16 * 1024
WRITE_HIGH_WATER = 256 * 1024  # above this the viewer is behind: refilled from history later
SILENT_LIMIT_S = 60.0  # no pong or frame for this long: the peer is gone

_HANDSHAKE, _HELLO, _ADMITTING, _LIVE, _CLOSED = range(5)


async def _no_snapshot() -> dict[str, Any]:
    return {}


def _default_protocol() -> Any:
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    return AutoWebSocketsProtocol


class ProtocolStateError(RuntimeError):
    """A protocol step ran before the step it needs (a bug here, never the peer's input)."""


class LiveWebSocketProtocol(asyncio.Protocol):
    """uvicorn's WebSocket protocol: live viewers here, everything else to uvicorn's own."""

    __slots__ = (
        "_buffer",
        "_drained",
        "_handle",
        "_inner",
        "_kind",
        "_lagging",
        "_last_heard",
        "_node",
        "_paused",
        "_server_state",
        "_state",
        "_target",
        "_task",
        "_timer",
        "_uvicorn",
        "channel",
        "cursor",
        "epoch",
        "share_id",
        "snapshot",
        "swept_cursor",
        "syncing",
        "transport",
    )

    def __init__(
        self, config: Any, server_state: Any, app_state: Any, on_connection_lost: Any = None
    ) -> None:
        self._uvicorn = (config, server_state, app_state)
        self._server_state = server_state
        self._inner: asyncio.Protocol | None = None
        self._buffer: bytearray = bytearray()
        self._state = _HANDSHAKE
        self._node: ws.LiveNode | None = None
        self._kind = ""
        self._target: uuid.UUID | None = None
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._paused = False
        self._lagging = False
        self._drained: asyncio.Future[None] | None = None
        self._handle: SocketHandle | None = None  # a signed-in viewer's, in node.sockets
        self._last_heard = 0.0
        self.transport: asyncio.Transport | None = None
        self.channel = ""
        self.share_id: str | None = None
        self.epoch: str | None = None
        self.cursor = 0
        self.syncing = False
        self.swept_cursor = -1
        self.snapshot: Snapshot = _no_snapshot  # set when the viewer is admitted

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)
            return
        if self._state == _CLOSED:
            return
        self._buffer += data
        self._last_heard = asyncio.get_running_loop().time()
        if self._state == _HANDSHAKE:
            self._handshake()
            if self._inner is not None or self._state != _HELLO:
                return
        self._frames()

    def eof_received(self) -> bool | None:
        if self._inner is not None:
            return self._inner.eof_received()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._inner.connection_lost(exc)
            return
        self._gone()

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()
            return
        self._paused = True

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
            return
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        if self._lagging and self._node is not None:
            self._lagging = False
            self._node.hub.resync(self)

    def shutdown(self) -> None:
        """The server is stopping: tell the viewer to reconnect elsewhere (1012)."""
        self._close_now(1012, "this node is shutting down; reconnect")

    def _connected(self) -> asyncio.Transport:
        """The socket's transport; asyncio hands it over before any data arrives."""
        if self.transport is None:
            raise ProtocolStateError("expected a connected transport, got none")
        return self.transport

    def _admitted_node(self) -> ws.LiveNode:
        """The live node that took this socket at the handshake."""
        if self._node is None:
            raise ProtocolStateError("expected a live viewer past the handshake, got none")
        return self._node

    # -- the handshake and the hello ----------------------------------------------------

    def _handshake(self) -> None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_REQUEST_HEAD:
                self._refuse_http(431, "request head too large")
            return
        head = bytes(self._buffer[:end]).decode("latin-1")
        rest = self._buffer[end + 4 :]
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        path = parts[1].split("?", 1)[0] if len(parts) == 3 else ""
        match = WATCH_PATH.fullmatch(path)
        node = ws.current_node()
        if match is None or node is None:
            self._hand_over()
            return
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key", "")
        if (
            parts[0] != "GET"
            or "websocket" not in headers.get("upgrade", "").lower()
            or headers.get("sec-websocket-version") != "13"
            or len(key) != 24
        ):
            self._refuse_http(400, "expected a WebSocket upgrade (version 13)")
            return
        if not origin_allowed(
            headers.get("origin"), host=headers.get("host"), allowed=node.origins
        ):
            self._refuse_http(403, "this origin may not open live sockets")
            return
        self._node, self._kind = node, match.group(1)
        self._target = uuid.UUID(match.group(2))
        transport = self._connected()
        transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {wire.accept_key(key)}\r\n\r\n".encode()
        )
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self._server_state.connections.add(self)  # so that a shutdown reaches us (1012)
        self._buffer = bytearray(rest)
        self._state = _HELLO
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(ws.HELLO_TIMEOUT_S, self._hello_timeout)

    def _hand_over(self) -> None:
        """Not a live viewer socket: let uvicorn's own WebSocket protocol serve it."""
        config, server_state, app_state = self._uvicorn
        inner = _default_protocol()(config=config, server_state=server_state, app_state=app_state)
        self._inner = inner
        inner.connection_made(self.transport)
        buffered, self._buffer = bytes(self._buffer), bytearray()
        inner.data_received(buffered)

    def _refuse_http(self, status: int, reason: str) -> None:
        transport = self._connected()
        body = reason.encode()
        transport.write(
            f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\n".encode()
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        self._state = _CLOSED
        transport.close()

    def _hello_timeout(self) -> None:
        if self._state == _HELLO:
            self._close_now(frames.CLOSE_UNAUTHENTICATED, "expected a hello frame within 10 s")

    def _frames(self) -> None:
        node, transport = self._admitted_node(), self._connected()
        try:
            frames = wire.read_frames(self._buffer, max_size=node.settings.live_max_frame_bytes)
        except wire.ProtocolViolation as error:
            log.info("live viewer frame refused", extra={"reason": error.reason})
            self._close_now(error.code, error.reason)
            return
        for frame in frames:
            if frame.opcode == wire.OP_PING:
                transport.write(wire.frame(wire.OP_PONG, frame.payload[:125]))
            elif frame.opcode == wire.OP_CLOSE:
                self._close_now(wire.parse_close(frame.payload), "")
                return
            elif self._state == _HELLO:
                self._hello(frame)
            # After the hello a viewer only listens: anything else it sends is ignored.

    def _hello(self, frame: wire.Frame) -> None:
        node = self._admitted_node()
        try:
            if frame.opcode != wire.OP_TEXT:
                raise logic.BadFrame("binary", "expected a text frame, got a binary one")
            hello = logic.parse_frame(
                frame.payload.decode("utf-8", errors="strict"),
                max_bytes=node.settings.live_max_frame_bytes,
            )
            if hello["type"] != "hello":
                raise logic.BadFrame("malformed", f"expected a hello frame, got {hello['type']!r}")
        except (logic.BadFrame, UnicodeDecodeError) as error:
            detail = error.detail if isinstance(error, logic.BadFrame) else "expected UTF-8 text"
            log.info("live hello refused", extra={"detail": detail})
            self._close_now(frames.CLOSE_POLICY, detail)
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._state = _ADMITTING
        self._task = asyncio.get_running_loop().create_task(self._admit(hello))

    async def _admit(self, hello: dict[str, Any]) -> None:
        node, watched = self._admitted_node(), self._target
        if watched is None:
            raise ProtocolStateError("expected the watched session or group, got none")
        try:
            resume = ws.resume_point(hello)
            target = await ws.authorize_watch(node, self._kind, watched, hello)
        except DomainError as error:
            log.info("live viewer refused", extra={"target": str(watched)})
            self._close_now(frames.close_code(error), error.detail)
            return
        except Exception:
            log.exception("live viewer admission failed")
            self._close_now(1011, "internal error; reconnect")
            return
        if self._state == _CLOSED:
            return
        try:
            self._handle = ws.register_socket(node, target.viewer, self._close_now)
        except TooManySockets as error:
            self._close_now(CLOSE_TOO_MANY_SOCKETS, str(error))
            return
        self.channel, self.snapshot, self.share_id = (
            target.channel,
            target.snapshot,
            target.share_id,
        )
        self._state = _LIVE
        node.hub.attach(self, client_epoch=resume[0], client_last_seq=resume[1])

    # -- the hub's side: DirectSubscriber ------------------------------------------------

    def offer(self, envelope: Envelope, text: str, frame: bytes) -> None:
        """Write an in-order message at once; anything else is refilled from the history."""
        if self.syncing or self._state != _LIVE:
            return
        if envelope.epoch == self.epoch:
            if envelope.seq <= self.cursor:
                return
            if envelope.seq == self.cursor + 1:
                if self._paused:  # the socket is full: skip, and catch up once it drains
                    self._lagging = True
                    return
                self._connected().write(frame)
                self.cursor = envelope.seq
                return
        self._admitted_node().hub.resync(self)

    async def send(self, text: str) -> None:
        """Write one message; wait while the socket is full (catch-up and notices)."""
        if self._state == _CLOSED or self.transport is None or self.transport.is_closing():
            raise ConnectionError("the viewer has gone")
        self.transport.write(wire.text_frame(text))
        if self._paused:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained

    async def close(self, code: int, reason: str) -> None:
        """Close with a close code (a revoked share link, a failed catch-up)."""
        self._close_now(code, reason)

    def keepalive(self, now: float) -> None:
        """Ping; a peer silent for a minute (no pong, no frame) is gone."""
        if self._state != _LIVE or self.transport is None:
            return
        if now - self._last_heard > SILENT_LIMIT_S:
            self.transport.abort()
        else:
            self.transport.write(wire.PING)

    # -- closing ------------------------------------------------------------------------

    def _close_now(self, code: int, reason: str) -> None:
        if self._state == _CLOSED or self.transport is None:
            return
        self._state = _CLOSED
        if not self.transport.is_closing():
            self.transport.write(wire.close_frame(code, reason))
            self.transport.close()  # after the buffered frames are written
        self._gone()

    def _gone(self) -> None:
        self._state = _CLOSED
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._drained is not None and not self._drained.done():
            self._drained.set_exception(ConnectionError("the viewer has gone"))
            self._drained.exception()  # retrieved: no "never retrieved" warning if none waits
        if self._node is not None and self.channel:
            self._node.hub.detach(self)
            self.channel = ""
        if self._node is not None and self._handle is not None:
            self._node.sockets.release(self._handle)
            self._handle = None
        self._server_state.connections.discard(self)
