"""The live WebSocket endpoints: a rider sends position batches, viewers watch a channel.

The protocol (message types, close codes, the reconnect rule) is in docs/live-protocol.md.
Handlers take ids and sequence numbers; database work runs in the thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from fastapi import APIRouter, WebSocket
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from bikenode.accounts import AccountsConfig, authenticate
from bikenode.config import Settings
from bikenode.db.engine import begin_read
from bikenode.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from bikenode.live import group_rides, logic, service
from bikenode.live.broker import Broker, MemoryBroker
from bikenode.live.frames import (
    CLOSE_NOT_FOUND,
    CLOSE_POLICY,
    CLOSE_UNAUTHENTICATED,
    close_code,
    close_socket,
    receive_frame,
    send_message,
)
from bikenode.live.hub import Hub, QueuedSubscriber, Snapshot
from bikenode.live.mqtt_bridge import MqttBridge, start_bridge
from bikenode.live.osmand import DeviceFix
from bikenode.live.rider import RiderConnection
from bikenode.token_bucket import TokenBucket
from bikenode.web.sockets import (
    CLOSE_TOO_MANY_SOCKETS,
    SocketHandle,
    TooManySockets,
    UserSockets,
    allowed_origins,
)

log = logging.getLogger("bikenode.live")
router = APIRouter()
T = TypeVar("T")

HELLO_TIMEOUT_S = 10.0


@dataclass
class LiveNode:
    """This node's live machinery: the hub, the database and the limits from settings."""

    settings: Settings
    session_factory: sessionmaker[Session]
    accounts: AccountsConfig
    hub: Hub
    sockets: UserSockets  # signed-in users' sockets on this node, shared with route rooms
    buckets: dict[uuid.UUID, TokenBucket] = field(default_factory=dict)
    device_buckets: dict[str, TokenBucket] = field(default_factory=dict)  # by token hash
    trails: service.TrailCache = field(default_factory=service.TrailCache)
    riders: dict[uuid.UUID, set[RiderConnection]] = field(default_factory=dict)  # by owner
    # One lock per group ride in use: its state is computed and published in commit order.
    group_locks: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )
    _pending: list[tuple[dict[str, object], asyncio.Future[None]]] = field(default_factory=list)
    _writing: bool = False
    _writer: asyncio.Task[None] | None = None  # held: the loop keeps only weak references
    mqtt_bridge: MqttBridge | None = None  # devices over MQTT, when settings.mqtt_url is set

    @cached_property
    def origins(self) -> frozenset[str]:
        """Origins (beside the request's own Host) whose pages may open live sockets."""
        return allowed_origins(self.settings.public_url, self.settings.cors_allow_origins)

    async def start(self) -> None:
        """Connect to the broker; the fast path (live.fastws) serves viewers of this node."""
        global _current
        await self.hub.start()
        _current = self
        if self.settings.mqtt_url:
            self.mqtt_bridge = start_bridge(self.settings, self._store_mqtt_fix)

    async def stop(self) -> None:
        """Disconnect from the broker."""
        global _current
        if _current is self:
            _current = None
        if self.mqtt_bridge is not None:
            # Off the loop: a store the bridge waits for may still need it to finish.
            await asyncio.to_thread(self.mqtt_bridge.stop)
            self.mqtt_bridge = None
        await self.hub.stop()

    async def _store_mqtt_fix(self, device_id: uuid.UUID, fix: DeviceFix) -> None:
        from bikenode.live.ingest import ingest_mqtt  # ingest imports this module

        await ingest_mqtt(self, device_id=device_id, fix=fix)

    async def store_batch(self, session_id: uuid.UUID, batch: logic.Batch) -> None:
        """Store a rider's batch (once); returns when it is committed.

        Raises NotFound if the session was erased and Conflict if it has ended: the batch
        is then not stored.

        Group commit: batches that arrive while a transaction is being written go together
        in the next one, so under load riders share transactions and thread-pool hops.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((service.batch_row(session_id, batch), done))
        if not self._writing:
            self._writing = True
            self._writer = asyncio.get_running_loop().create_task(self._write_pending())
        await done

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                taken, self._pending = self._pending, []
                try:
                    refused = await self.db(service.store_batches, rows=[row for row, _ in taken])
                except Exception as error:  # each rider gets the failure of its own batch
                    for _, done in taken:
                        if not done.done():
                            done.set_exception(error)
                    continue
                for row, done in taken:
                    if done.done():
                        continue
                    if row["session_id"] in refused.gone:
                        done.set_exception(NotFound("no such live session"))
                    elif row["session_id"] in refused.ended:
                        done.set_exception(Conflict("the live session has ended"))
                    else:
                        done.set_result(None)
        finally:
            self._writing = False

    async def db(self, function: Callable[..., T], *, reads_only: bool = False, **kwargs: Any) -> T:
        """Run a service function with a fresh session in the thread pool.

        reads_only: the function only reads (a viewer's check, a snapshot): its transaction
        never waits for the write lock, and a write in it fails.
        """

        def call() -> T:
            with self.session_factory() as session:
                if reads_only:
                    begin_read(session)
                return function(session, **kwargs)

        return await run_in_threadpool(call)

    def register_metrics(self, registry: CollectorRegistry) -> None:
        """Live viewers by how they are served (the fast path, or the ASGI endpoints)."""
        gauge = Gauge(
            "bikenode_live_subscribers",
            "Live channel subscribers on this node, by how they are served.",
            ["path"],
            registry=registry,
        )
        gauge.labels("direct").set_function(lambda: self.hub.direct_count)
        gauge.labels("asgi").set_function(lambda: self.hub.subscriber_count - self.hub.direct_count)
        resyncs = Gauge(
            "bikenode_live_resyncs",
            "Times a fast-path viewer was refilled from the history mid-connection (it fell"
            " behind, or a message raced a catch-up), since the node started.",
            registry=registry,
        )
        resyncs.set_function(lambda: self.hub.resyncs)

    async def disconnect_user(self, user_id: uuid.UUID) -> int:
        """Close an erased user's rider sockets on this node (4004); how many were open."""
        riders = list(self.riders.pop(user_id, ()))
        for rider in riders:
            self.buckets.pop(rider.session_id, None)
            self.trails.forget(rider.session_id)
            await close_socket(rider.websocket, CLOSE_NOT_FOUND, "no such live session")
        return len(riders)

    def bucket(self, session_id: uuid.UUID) -> TokenBucket:
        """The rate limit of one live session on this node."""
        bucket = self.buckets.get(session_id)
        if bucket is None:
            if len(self.buckets) > 100_000:  # forget idle sessions rather than grow forever
                self.buckets.clear()
            bucket = TokenBucket(
                self.settings.live_batches_per_s, float(self.settings.live_batch_burst)
            )
            self.buckets[session_id] = bucket
        return bucket


_current: LiveNode | None = None  # the running node of this process, for the fast path


def current_node() -> LiveNode | None:
    """The live node this process serves, once its app has started."""
    return _current


def build_live_node(
    settings: Settings,
    session_factory: sessionmaker[Session],
    accounts: AccountsConfig,
    sockets: UserSockets,
) -> LiveNode:
    """The live machinery with the Redis broker if BIKENODE_REDIS_URL is set, else in-process."""
    broker = build_broker(settings, history_size=settings.live_history_size)
    return LiveNode(settings, session_factory, accounts, Hub(broker), sockets)


def build_broker(settings: Settings, *, history_size: int) -> Broker:
    """A broker of its own (one reader, one connection pool): Redis if BIKENODE_REDIS_URL is
    set, else in-process. The app also gives one to the planner's route rooms."""
    if settings.redis_url:
        from bikenode.live.broker_redis import RedisBroker

        return RedisBroker(
            settings.redis_url, history_size=history_size, retry_s=settings.live_broker_retry_s
        )
    return MemoryBroker(history_size=history_size)


def _node(websocket: WebSocket) -> LiveNode:
    return websocket.app.state.live  # type: ignore[no-any-return]


async def _hello(websocket: WebSocket, node: LiveNode) -> dict[str, Any] | None:
    """The client's hello frame, or None after closing a connection that sent none."""
    try:
        raw = await asyncio.wait_for(receive_frame(websocket), HELLO_TIMEOUT_S)
    except TimeoutError:
        await close_socket(websocket, CLOSE_UNAUTHENTICATED, "expected a hello frame within 10 s")
        return None
    if raw is None:
        return None
    try:
        if not isinstance(raw, str):
            raise logic.BadFrame("binary", "expected a text frame, got a binary one")
        frame = logic.parse_frame(raw, max_bytes=node.settings.live_max_frame_bytes)
        if frame["type"] != "hello":
            raise logic.BadFrame("malformed", f"expected a hello frame, got {frame['type']!r}")
    except logic.BadFrame as error:
        log.info("live hello refused", extra={"code": error.code})
        await close_socket(websocket, CLOSE_POLICY, error.detail)
        return None
    return frame


@dataclass(frozen=True)
class Caller:
    """Who opened a socket: the user and the sign-in session of their access token."""

    user_id: uuid.UUID
    session_id: uuid.UUID


async def _caller(node: LiveNode, hello: dict[str, Any], *, required: bool) -> Caller | None:
    token = hello.get("token")
    if token is None and not required:
        return None
    if not isinstance(token, str) or not token:
        raise NotAuthenticated("expected an access token in the hello frame's 'token'")
    principal = await node.db(
        authenticate, reads_only=True, config=node.accounts, access_token=token
    )
    return Caller(principal.user_id, principal.session_id)


def register_socket(
    node: LiveNode, caller: Caller | None, close: Callable[[int, str], object]
) -> SocketHandle | None:
    """Count a signed-in caller's socket (TooManySockets past the cap); None if anonymous."""
    if caller is None:
        return None
    return node.sockets.open(caller.user_id, caller.session_id, close)


@router.websocket("/api/v1/live/sessions/{session_id}/ride")
async def ride_socket(websocket: WebSocket, session_id: uuid.UUID) -> None:
    """The rider's connection: hello with a token, then position batches, each acknowledged."""
    node = _node(websocket)
    await websocket.accept()
    hello = await _hello(websocket, node)
    if hello is None:
        return
    try:
        caller = await _caller(node, hello, required=True)
        if caller is None:
            raise NotAuthenticated("expected an access token in the hello frame's 'token'")
        state = await node.db(service.rider_state, session_id=session_id, owner_id=caller.user_id)
        live = await node.db(service.get_session, session_id=session_id)
    except DomainError as error:
        log.info("live rider refused", extra={"session": str(session_id), "reason": error.detail})
        await close_socket(websocket, close_code(error), error.detail)
        return
    try:
        handle = register_socket(node, caller, lambda c, r: close_socket(websocket, c, r))
    except TooManySockets as error:
        await close_socket(websocket, CLOSE_TOO_MANY_SOCKETS, str(error))
        return
    try:
        await _ride(websocket, node, RiderConnection(websocket, node, live, state), state)
    finally:
        if handle is not None:
            node.sockets.release(handle)


async def _ride(
    websocket: WebSocket, node: LiveNode, rider: RiderConnection, state: service.RiderState
) -> None:
    await rider.load_privacy_zones()
    await send_message(
        websocket,
        "welcome",
        session=str(rider.session_id),
        last_batch=state.last_batch_no,
        last_time_ms=state.last_time_ms,
    )
    node.riders.setdefault(rider.owner_id, set()).add(rider)
    try:
        await rider.run()
    finally:
        riders = node.riders.get(rider.owner_id, set())
        riders.discard(rider)
        if not riders:
            node.riders.pop(rider.owner_id, None)


@dataclass(frozen=True)
class WatchTarget:
    """What an authorised viewer watches: the channel, its snapshot and the share link used."""

    channel: str
    snapshot: Snapshot
    share_id: str | None
    viewer: Caller | None  # None: an anonymous viewer


async def authorize_watch(
    node: LiveNode, kind: str, target_id: uuid.UUID, hello: dict[str, Any]
) -> WatchTarget:
    """Check a viewer's hello for a session ("sessions") or group ride ("groups").

    Raises a DomainError (its close code says why) if the viewer may not watch.
    """
    viewer = await _caller(node, hello, required=False)
    viewer_id = viewer.user_id if viewer else None
    if kind == "groups":
        await node.db(
            group_rides.get_group, reads_only=True, group_id=target_id, viewer_id=viewer_id
        )

        async def group_snapshot() -> dict[str, Any]:
            now_ms = int(time.time() * 1000)
            return await node.db(
                group_rides.group_snapshot, reads_only=True, group_id=target_id, now_ms=now_ms
            )

        return WatchTarget(service.group_channel(target_id), group_snapshot, None, viewer)
    share = hello.get("share")
    grant = await node.db(
        service.authorize_viewer,
        reads_only=True,
        session_id=target_id,
        viewer_id=viewer_id,
        share_token=share if isinstance(share, str) else None,
    )

    async def session_snapshot() -> dict[str, Any]:
        return await node.db(
            service.session_snapshot, reads_only=True, session_id=target_id, trails=node.trails
        )

    share_id = str(grant.share_id) if grant.share_id else None
    return WatchTarget(service.ride_channel(target_id), session_snapshot, share_id, viewer)


@router.websocket("/api/v1/live/sessions/{session_id}/watch")
async def watch_socket(websocket: WebSocket, session_id: uuid.UUID) -> None:
    """A viewer's connection: hello (token or share, last epoch and sequence), then messages."""
    await _watch_socket(websocket, "sessions", session_id)


@router.websocket("/api/v1/live/groups/{group_id}/watch")
async def watch_group_socket(websocket: WebSocket, group_id: uuid.UUID) -> None:
    """A group ride's channel: members' positions, centre, spread, splits and regroups."""
    await _watch_socket(websocket, "groups", group_id)


async def _watch_socket(websocket: WebSocket, kind: str, target_id: uuid.UUID) -> None:
    node = _node(websocket)
    await websocket.accept()
    hello = await _hello(websocket, node)
    if hello is None:
        return
    try:
        resume = resume_point(hello)
        target = await authorize_watch(node, kind, target_id, hello)
    except DomainError as error:
        log.info("live viewer refused", extra={"target": str(target_id), "reason": error.detail})
        await close_socket(websocket, close_code(error), error.detail)
        return
    try:
        handle = register_socket(node, target.viewer, lambda c, r: close_socket(websocket, c, r))
    except TooManySockets as error:
        await close_socket(websocket, CLOSE_TOO_MANY_SOCKETS, str(error))
        return
    try:
        await _watch(websocket, node, target, resume)
    finally:
        if handle is not None:
            node.sockets.release(handle)


def resume_point(hello: dict[str, Any]) -> tuple[str | None, int | None]:
    epoch, last_seq = hello.get("epoch"), hello.get("last_seq")
    if epoch is not None and (not isinstance(epoch, str) or len(epoch) > 64):
        raise InvalidInput("expected 'epoch' as a string from a welcome frame")
    if last_seq is not None and (
        not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0
    ):
        raise InvalidInput("expected 'last_seq' as a whole number")
    return epoch, last_seq


async def _watch(
    websocket: WebSocket,
    node: LiveNode,
    target: WatchTarget,
    resume: tuple[str | None, int | None],
) -> None:
    subscriber = QueuedSubscriber(
        target.channel,
        send_text=websocket.send_text,
        close_socket=lambda code, reason: close_socket(websocket, code, reason),
        inbox_size=node.settings.live_viewer_queue,
        share_id=target.share_id,
    )
    pump = asyncio.create_task(
        node.hub.serve(
            subscriber, client_epoch=resume[0], client_last_seq=resume[1], snapshot=target.snapshot
        )
    )
    listen = asyncio.create_task(_drain_viewer(websocket))
    done, pending = await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for task in done:
        error = task.exception()
        if error is not None and not isinstance(error, WebSocketDisconnect | RuntimeError):
            log.error("live viewer failed", exc_info=error)
    await close_socket(websocket, 1011 if pump in done else 1000, "")


async def _drain_viewer(websocket: WebSocket) -> None:
    """Read (and ignore) what a viewer sends until it goes: viewers only listen after hello."""
    while await receive_frame(websocket) is not None:
        pass
