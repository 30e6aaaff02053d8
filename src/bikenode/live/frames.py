"""What every live socket handler shares: the close codes, and sending, receiving and closing
without tripping over a client that has already gone (docs/live-protocol.md lists the codes)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from bikenode.errors import Conflict, DomainError, NotAuthenticated, NotFound, PermissionDenied

CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND = 4001, 4003, 4004
CLOSE_ENDED, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_TRY_LATER = 4009, 1008, 1009, 1013


def close_code(error: DomainError) -> int:
    if isinstance(error, NotAuthenticated):
        return CLOSE_UNAUTHENTICATED
    if isinstance(error, PermissionDenied):
        return CLOSE_FORBIDDEN
    if isinstance(error, NotFound):
        return CLOSE_NOT_FOUND
    if isinstance(error, Conflict):
        return CLOSE_ENDED
    return CLOSE_POLICY


async def close_socket(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason[:120])  # a close reason is at most 123 bytes


async def send_message(websocket: WebSocket, kind: str, **fields: Any) -> None:
    await websocket.send_text(json.dumps({"type": kind, **fields}, separators=(",", ":")))


def encode_message(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


async def receive_frame(websocket: WebSocket) -> str | bytes | None:
    """The next frame's text or bytes; None once the client has gone."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text if text is not None else message.get("bytes") or b""
