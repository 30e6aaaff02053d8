"""The route room WebSocket: the standard y-websocket protocol (sync and awareness).

A y-websocket client (``new WebsocketProvider(serverUrl, roomname, doc, {params})``) connects
to ``serverUrl + "/" + roomname + "?" + params``; with serverUrl ``ws(s)://HOST/api/v1/route-rooms``,
the route's id as roomname and ``{ticket: ROOM_TICKET}`` or ``{token: ACCESS_TOKEN}`` as
params it reaches this endpoint.
Close codes and limits are in docs/sync-protocol.md ("Collaborative routes").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from bikenode.accounts import authenticate
from bikenode.errors import DomainError, NotAuthenticated
from bikenode.planner import protocol, service
from bikenode.planner.rooms import (
    CLOSE_NORMAL,
    CLOSE_NOT_FOUND,
    CLOSE_POLICY,
    CLOSE_SERVER_ERROR,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNSUPPORTED,
    Peer,
    PeerClosed,
    PlannerNode,
    Room,
    rate_wait_s,
)
from bikenode.web.sockets import CLOSE_TOO_MANY_SOCKETS, TooManySockets

log = logging.getLogger("bikenode.planner")
router = APIRouter()
ROOMS_PATH = "/api/v1/route-rooms"


def planner_node(websocket: WebSocket) -> PlannerNode:
    return websocket.app.state.planner  # type: ignore[no-any-return]


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason[:120])  # a close reason is at most 123 bytes


async def _authorize(
    websocket: WebSocket, node: PlannerNode, room_name: str
) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The caller's user id and sign-in session (None with a ticket) if they may edit the
    route; PeerClosed otherwise.

    A single-use `?ticket=` (POST /api/v1/routes/{id}/room-tickets) or an access token in
    `?token=` (y-websocket clients can only send query parameters). Either way the log line
    of the request is scrubbed of it (bikenode.logs).
    """
    ticket = websocket.query_params.get("ticket", "")
    token = websocket.query_params.get("token", "")
    if not (ticket or token) or len(ticket) > 256 or len(token) > 4096:
        raise PeerClosed(CLOSE_UNAUTHENTICATED, "expected a room ticket in ?ticket= or a token")
    try:
        route_id = uuid.UUID(room_name)
    except ValueError:
        raise PeerClosed(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE) from None
    session_id = None
    try:
        if ticket:
            user_id = await node.db(service.redeem_room_ticket, route_id=route_id, ticket=ticket)
        else:
            principal = await node.db(authenticate, config=node.accounts, access_token=token)
            user_id, session_id = principal.user_id, principal.session_id
        await node.db(service.route_access, route_id=route_id, user_id=user_id)
    except NotAuthenticated as error:
        raise PeerClosed(CLOSE_UNAUTHENTICATED, error.detail) from None
    except DomainError:
        raise PeerClosed(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE) from None
    return user_id, session_id


@router.websocket(ROOMS_PATH + "/{room_name}")
async def route_room(websocket: WebSocket, room_name: str) -> None:
    """A route's room: y-websocket sync and awareness messages in binary frames."""
    node = planner_node(websocket)
    await websocket.accept()
    try:
        user_id, session_id = await _authorize(websocket, node, room_name)
        peer = node.new_peer(user_id)
        handle = node.sockets.open(user_id, session_id, _closer(peer))
    except PeerClosed as refused:
        log.info("planner connection refused", extra={"reason": refused.reason})
        await _close(websocket, refused.code, refused.reason)
        return
    except TooManySockets as error:
        await _close(websocket, CLOSE_TOO_MANY_SOCKETS, str(error))
        return
    try:
        await _join_and_serve(websocket, node, uuid.UUID(room_name), peer)
    finally:
        node.sockets.release(handle)


def _closer(peer: Peer) -> Callable[[int, str], None]:
    """Close a room connection whose session ended with 4401: y-websocket takes 44xx as final
    and the client needs a new ticket or token anyway."""

    def close(_code: int, reason: str) -> None:
        peer.close(CLOSE_UNAUTHENTICATED, reason)

    return close


async def _join_and_serve(
    websocket: WebSocket, node: PlannerNode, route_id: uuid.UUID, peer: Peer
) -> None:
    try:
        room = await node.join(route_id, peer)
    except DomainError as error:  # the route went away while we loaded it
        await _close(websocket, CLOSE_NOT_FOUND, error.detail)
        return
    try:
        await _serve(websocket, node, room, peer)
    finally:
        await node.leave(room, peer)


async def _serve(websocket: WebSocket, node: PlannerNode, room: Room, peer: Peer) -> None:
    room.greet(peer)
    sender = asyncio.create_task(_send_loop(websocket, peer))
    reader = asyncio.create_task(_read_loop(websocket, node, room, peer))
    done, pending = await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    closed = peer.closed or PeerClosed(CLOSE_NORMAL, "")
    for task in done:
        error = task.exception()
        if isinstance(error, PeerClosed):
            closed = error
        elif error is not None and not isinstance(error, WebSocketDisconnect | RuntimeError):
            log.error("planner connection failed", exc_info=error)
            closed = PeerClosed(CLOSE_SERVER_ERROR, "internal error")
    if closed.code != CLOSE_NORMAL:
        log.info("planner connection closed", extra={"code": closed.code, "reason": closed.reason})
    await _close(websocket, closed.code, closed.reason)


async def _send_loop(websocket: WebSocket, peer: Peer) -> None:
    while True:
        frame = await peer.outbox.get()
        if isinstance(frame, PeerClosed):
            raise frame
        await websocket.send_bytes(frame)


async def _read_loop(websocket: WebSocket, node: PlannerNode, room: Room, peer: Peer) -> None:
    max_bytes = node.settings.planner_max_frame_bytes
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        frame = message.get("bytes")
        if frame is None:
            raise PeerClosed(CLOSE_UNSUPPORTED, "expected binary frames (y-websocket messages)")
        if len(frame) > max_bytes:
            raise PeerClosed(CLOSE_TOO_BIG, f"expected frames of at most {max_bytes} bytes")
        wait_s = rate_wait_s(peer)
        if wait_s > 0:
            await asyncio.sleep(wait_s)  # over the rate: reads slow down (TCP back-pressure)
        try:
            parsed = protocol.parse_message(frame)
        except protocol.BadMessage as error:
            raise PeerClosed(CLOSE_POLICY, str(error)) from None
        room.handle(peer, parsed)
