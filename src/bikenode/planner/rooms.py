"""Route rooms: the connected editors of one route document on this node, and its persistence.

A room holds the document as an ``UpdateLog`` (never a pycrdt document fed update by update,
see ``bikenode.planner.logic``), relays updates and awareness to the other peers at once, and
appends new updates to the route's log in the database a moment later (a write behind: a
y-websocket client keeps its edits, and the state-vector exchange of its next connection
sends back whatever a crash lost). Handlers take ids; database work runs in the thread pool.

With a relay (the broker, Redis when BIKENODE_REDIS_URL is set) the editors of one route
may be on several nodes: each room publishes its editors' updates once they are stored,
with their seqs in the log, and applies the other nodes' updates in seq order. The log is
the source of truth: a room that sees a gap in the seqs (a message lost while Redis
restarted, a room that opened while others were writing) or that finds, at its periodic
check, that the log has grown past what it holds, reads the missing rows from the log.
Awareness is relayed at once and never stored (see ``bikenode.planner.relay``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bikenode.accounts import AccountsConfig
from bikenode.config import Settings
from bikenode.events import Relay, RelayedEnvelope
from bikenode.planner import logic, protocol, relay, service
from bikenode.planner.relay import RelayedUpdates
from bikenode.token_bucket import TokenBucket
from bikenode.web.sockets import UserSockets

log = logging.getLogger("bikenode.planner")
T = TypeVar("T")

FLUSH_DELAY_S = 0.5  # updates arriving within this are written in one transaction
# With a relay, other nodes' editors see an update only once it is stored: write at once.
# Updates that arrive while a write is in flight still go in one transaction, the next.
RELAYED_FLUSH_DELAY_S = 0.005
# A relayed awareness client not renewed for this long is dropped from what new peers are
# sent (y-protocols clients renew every 15 s and drop silent ones after 30 s themselves).
REMOTE_AWARENESS_TTL_S = 30.0
# Messages a route's channel keeps for a node whose reader fell behind; past that it reads
# the log, which has everything.
RELAY_HISTORY = 1000
NAME_EVERY_S = 5.0  # the listed name follows the document this often (reading it costs a load)
# Each room asks the database this often who may still open its route, and closes the others
# (unshared or erased on another node or by the CLI, which cannot reach this node's sockets).
ACCESS_CHECK_S = 5.0
OUTBOX_FRAMES = 4096  # frames queued for one peer before it is dropped as too slow
MAX_AWARENESS_CLIENTS = 512  # per room
MAX_AWARENESS_ENTRIES = 64  # per message
MAX_AWARENESS_STATE_BYTES = 4096

CLOSE_NORMAL, CLOSE_GOING_AWAY, CLOSE_UNSUPPORTED = 1000, 1001, 1003
CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_SERVER_ERROR = 1008, 1009, 1011
CLOSE_RESTARTING, CLOSE_TRY_LATER = 1012, 1013
# y-websocket (3.1+) stops reconnecting on 4400-4499 ("like HTTP 4xx: retrying cannot help")
# and retries on every other code, so the permanent refusals are in that range.
CLOSE_UNAUTHENTICATED, CLOSE_NOT_FOUND, CLOSE_DOCUMENT_FULL = 4401, 4404, 4413


class PeerClosed(Exception):
    """The room closed a peer (``code``, ``reason``): its connection must end."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(eq=False)
class Peer:
    """One connection in a room: its user, its outbox and the awareness clients it controls."""

    user_id: uuid.UUID
    bucket: TokenBucket
    outbox: asyncio.Queue[bytes | PeerClosed] = field(
        default_factory=lambda: asyncio.Queue(OUTBOX_FRAMES)
    )
    awareness_ids: set[int] = field(default_factory=set)
    closed: PeerClosed | None = None

    def send(self, frame: bytes) -> None:
        """Queue a frame; a peer that cannot keep up is closed (it resyncs on reconnect)."""
        if self.closed is not None:
            return
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.close(CLOSE_TRY_LATER, "too slow to keep up; reconnect to resync")

    def close(self, code: int, reason: str) -> None:
        """Ask the connection to close after what is queued (the outbox has room for it)."""
        if self.closed is None:
            self.closed = PeerClosed(code, reason)
            while True:
                try:
                    self.outbox.put_nowait(self.closed)
                    return
                except asyncio.QueueFull:
                    self.outbox.get_nowait()  # the close matters more than a queued update


class Room:
    """One route's document and editors on this node."""

    def __init__(self, node: PlannerNode, route_id: uuid.UUID) -> None:
        self.node = node
        self.route_id = route_id
        self.log = logic.UpdateLog(max_bytes=node.settings.planner_max_document_bytes)
        self.peers: set[Peer] = set()
        self.awareness: dict[int, protocol.AwarenessEntry] = {}
        self.unsaved: list[bytes] = []
        self.dirty = asyncio.Event()
        self.loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.writer: asyncio.Task[None] | None = None
        self.guard: asyncio.Task[None] | None = None
        self.recheck = asyncio.Event()  # set: check access now rather than at the next tick
        self.gone = False
        self.name_read_s = 0.0
        self.stored_seq = 0  # the log's rows up to this seq are in self.log
        self.behind = asyncio.Event()  # set: read the log's rows past stored_seq now
        self.remote_awareness: dict[int, float] = {}  # relayed client id: when last heard
        self.catcher: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Read the route's log from the database (NotFound if the route has gone)."""
        try:
            rows = await self.node.db(service.log_rows, route_id=self.route_id)
            self.log.base = logic.merge([data for _seq, data in rows])
            self.log.size_bytes = len(self.log.base)
            self.stored_seq = rows[-1][0] if rows else 0
            self.start_tasks()
            self.loaded.set_result(None)
        except Exception as error:
            self.loaded.set_exception(error)
            self.loaded.exception()  # retrieved: peers waiting on it get it, nobody else must
            raise

    def start_tasks(self) -> None:
        """Start the write-behind and the access check."""
        self.writer = asyncio.create_task(self._write_behind())
        self.guard = asyncio.create_task(self._guard_access())
        if self.node.broker is not None:
            self.catcher = asyncio.create_task(self._catch_up_loop())

    def greet(self, peer: Peer) -> None:
        """What a new peer gets first: our state vector (sync step 1) and who else is here."""
        peer.send(protocol.sync_step1(self.log.state_vector()))
        self._expire_remote_awareness()
        if self.awareness:
            peer.send(protocol.awareness_message(list(self.awareness.values())))

    def handle(self, peer: Peer, message: protocol.Message) -> None:
        """Apply one message from a peer: answer, store and relay (PeerClosed to end it)."""
        if message.kind == "step1":
            try:
                peer.send(protocol.sync_step2(self.log.missing(message.payload)))
            except logic.BadUpdate as error:
                raise PeerClosed(CLOSE_POLICY, str(error)) from None
        elif message.kind == "awareness":
            self._awareness(peer, message.payload)
        elif message.payload != protocol.EMPTY_UPDATE:
            self._update(peer, message.payload)

    def _update(self, peer: Peer, update: bytes) -> None:
        try:
            self.log.append(update)
        except logic.BadUpdate as error:
            raise PeerClosed(CLOSE_POLICY, str(error)) from None
        except logic.DocumentTooLarge as error:
            raise PeerClosed(CLOSE_DOCUMENT_FULL, str(error)) from None
        self.unsaved.append(update)
        self.dirty.set()
        self.relay(peer, protocol.sync_update(update))

    def _awareness(self, peer: Peer, payload: bytes) -> None:
        try:
            entries = protocol.parse_awareness(
                payload,
                max_entries=MAX_AWARENESS_ENTRIES,
                max_state_bytes=MAX_AWARENESS_STATE_BYTES,
            )
        except protocol.BadMessage as error:
            raise PeerClosed(CLOSE_POLICY, str(error)) from None
        changed = []
        for entry in entries:
            known = self.awareness.get(entry.client_id)
            if known is None and entry.client_id not in peer.awareness_ids and entry.gone:
                continue
            if not protocol.is_newer(entry, known):
                continue
            if entry.gone:
                self.awareness.pop(entry.client_id, None)
                peer.awareness_ids.discard(entry.client_id)
            elif known is None and len(self.awareness) >= MAX_AWARENESS_CLIENTS:
                raise PeerClosed(CLOSE_POLICY, "too many awareness clients in this room")
            else:
                self.awareness[entry.client_id] = entry
                peer.awareness_ids.add(entry.client_id)
            changed.append(entry)
        if changed:
            for entry in changed:
                self.remote_awareness.pop(entry.client_id, None)  # it is ours now
            # To the sender too, as the reference server does: a y-websocket client that hears
            # nothing for 30 s (not even its own awareness renewals) drops the connection.
            frame = protocol.awareness_message(changed)
            self.relay(None, frame)
            self.node.publish_awareness(self.route_id, frame)

    def relay(self, sender: Peer | None, frame: bytes) -> None:
        """Send a frame to every peer but its sender."""
        for other in self.peers:
            if other is not sender:
                other.send(frame)

    def forget(self, peer: Peer) -> None:
        """Remove a peer; the others learn that its awareness clients have gone."""
        self.peers.discard(peer)
        gone = []
        for client_id in peer.awareness_ids:
            known = self.awareness.pop(client_id, None)
            if known is not None:
                gone.append(protocol.AwarenessEntry(client_id, known.clock + 1, "null"))
        if gone:
            frame = protocol.awareness_message(gone)
            self.relay(None, frame)
            self.node.publish_awareness(self.route_id, frame)

    def relayed_awareness(self, payload: bytes) -> None:
        """Apply another node's editors' awareness changes and pass them on to our peers."""
        try:
            entries = protocol.parse_awareness(
                payload,
                max_entries=MAX_AWARENESS_ENTRIES,
                max_state_bytes=MAX_AWARENESS_STATE_BYTES,
            )
        except protocol.BadMessage:
            log.warning("relayed awareness unreadable", extra={"route": str(self.route_id)})
            return
        changed = []
        now = time.monotonic()
        for entry in entries:
            known = self.awareness.get(entry.client_id)
            if not protocol.is_newer(entry, known):
                continue
            if entry.gone:
                self.awareness.pop(entry.client_id, None)
                self.remote_awareness.pop(entry.client_id, None)
            elif known is None and len(self.awareness) >= MAX_AWARENESS_CLIENTS:
                continue  # the room is full of clients: this one is not shown here
            else:
                self.awareness[entry.client_id] = entry
                self.remote_awareness[entry.client_id] = now
            changed.append(entry)
        if changed:
            self.relay(None, protocol.awareness_message(changed))

    def _expire_remote_awareness(self) -> None:
        """Forget relayed awareness clients not renewed lately (their node may have died)."""
        cutoff = time.monotonic() - REMOTE_AWARENESS_TTL_S
        for client_id, heard in list(self.remote_awareness.items()):
            if heard < cutoff:
                del self.remote_awareness[client_id]
                self.awareness.pop(client_id, None)

    def relayed_updates(self, message: RelayedUpdates) -> None:
        """Apply updates another node stored, in seq order; a gap sends us to the log."""
        if not self.loaded.done() or message.first_seq > self.stored_seq + 1:
            self.behind.set()  # loading (the rows may be past what it read) or a gap
            return
        fresh = message.updates[self.stored_seq + 1 - message.first_seq :]
        self.stored_seq = max(self.stored_seq, message.last_seq)
        self._apply_stored(fresh)

    def _apply_stored(self, updates: list[bytes]) -> None:
        """Add updates already in the log to the document and send them to our peers."""
        for update in updates:
            try:
                self.log.append(update, limit=False)  # stored already: refusing loses nothing
            except logic.BadUpdate:
                log.warning("stored update unreadable", extra={"route": str(self.route_id)})
                continue
            self.relay(None, protocol.sync_update(update))

    async def _catch_up_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.behind.wait(), self.node.access_check_s)
            self.behind.clear()
            try:
                await self.catch_up()
            except Exception:
                log.exception("planner catch-up failed", extra={"route": str(self.route_id)})

    async def catch_up(self) -> None:
        """Read the log's rows past what this room holds (written on other nodes)."""
        self._expire_remote_awareness()
        last = await self.node.db(service.last_seq, route_id=self.route_id)
        if last is None or last <= self.stored_seq:
            return  # gone (the access check closes the room) or up to date
        rows = await self.node.db(
            service.log_rows, route_id=self.route_id, after_seq=self.stored_seq
        )
        fresh = [data for seq, data in rows if seq > self.stored_seq]
        if rows:
            self.stored_seq = max(self.stored_seq, rows[-1][0])
        self._apply_stored(fresh)

    async def _write_behind(self) -> None:
        while True:
            await self.dirty.wait()
            await asyncio.sleep(self.node.flush_delay_s)
            self.dirty.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("planner write failed", extra={"route": str(self.route_id)})
                await asyncio.sleep(1.0)
                self.dirty.set()

    async def flush(self, *, final: bool = False) -> None:
        """Append the unsaved updates to the route's log (and keep the listed name current).

        Reading the name loads the whole document, which blocks the event loop for a few ms
        on a large route, so it happens every NAME_EVERY_S and when the room closes.
        """
        if not self.unsaved or self.gone:
            return
        updates, self.unsaved = self.unsaved, []
        name = ""
        if final or time.monotonic() - self.name_read_s >= NAME_EVERY_S:
            name, self.name_read_s = logic.read_name(self.log.compact()), time.monotonic()
        try:
            saved = await self.node.db(
                service.save_updates,
                route_id=self.route_id,
                updates=updates,
                name=name,
                compact_after_rows=self.node.settings.planner_compact_after_rows,
            )
        except BaseException:
            self.unsaved[:0] = updates  # keep them for the next try
            raise
        if saved is None:
            self.close_all(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE)
            return
        if saved.first_seq <= self.stored_seq + 1:
            self.stored_seq = max(self.stored_seq, saved.last_seq)
        else:
            self.behind.set()  # another node wrote rows in between: read them
        self.node.publish_updates(self.route_id, saved.first_seq, updates)

    async def _guard_access(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.recheck.wait(), self.node.access_check_s)
            self.recheck.clear()
            try:
                await self.check_access()
            except Exception:
                log.exception("planner access check failed", extra={"route": str(self.route_id)})

    async def check_access(self) -> None:
        """Close the peers who may no longer open the route (everyone, if it has gone)."""
        allowed = await self.node.db(service.allowed_user_ids, route_id=self.route_id)
        if allowed is None:
            self.close_all(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE)
            return
        for peer in list(self.peers):
            if peer.user_id not in allowed:
                peer.close(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE)

    def close_all(self, code: int, reason: str, *, user_id: uuid.UUID | None = None) -> None:
        """Close every peer (or every peer of one user)."""
        if user_id is None:
            self.gone = code == CLOSE_NOT_FOUND
        for peer in list(self.peers):
            if user_id is None or peer.user_id == user_id:
                peer.close(code, reason)

    async def stop(self) -> None:
        """Write what is unsaved and stop the writer and the access check."""
        for task in (self.writer, self.guard, self.catcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            await self.flush(final=True)


@dataclass
class PlannerNode:
    """This node's open rooms, the database, and the limits from settings."""

    settings: Settings
    session_factory: sessionmaker[Session]
    accounts: AccountsConfig
    sockets: UserSockets  # signed-in users' sockets on this node, shared with live
    # The broker to the other nodes' rooms (None: one process holds every room).
    broker: Relay | None = None
    rooms: dict[uuid.UUID, Room] = field(default_factory=dict)
    access_check_s: float = ACCESS_CHECK_S
    node_id: uuid.UUID = field(default_factory=uuid.uuid4)
    publishing: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def flush_delay_s(self) -> float:
        return FLUSH_DELAY_S if self.broker is None else RELAYED_FLUSH_DELAY_S

    async def start(self) -> None:
        """Begin receiving the other nodes' room messages (with a relay)."""
        if self.broker is not None:
            await self.broker.start(self._on_relayed)

    def _on_relayed(self, envelope: RelayedEnvelope) -> None:
        route_id = relay.route_of(envelope.channel)
        room = self.rooms.get(route_id) if route_id is not None else None
        if room is None:
            return
        if envelope.seq == 0 and not envelope.data:
            room.behind.set()  # the broker lost its history: what we missed is in the log
            return
        try:
            message = relay.decode(envelope.data)
        except protocol.BadMessage:
            log.warning("relayed message unreadable", extra={"route": str(route_id)})
            return
        if message.node_id == self.node_id:
            return
        if isinstance(message, relay.RelayedUpdates):
            room.relayed_updates(message)
        else:
            room.relayed_awareness(message.payload)

    def publish_updates(self, route_id: uuid.UUID, first_seq: int, updates: list[bytes]) -> None:
        """Tell the other nodes about stored updates (they read the log if this is lost).

        In the background: a Redis that is down (retried up to BIKENODE_LIVE_BROKER_RETRY_S)
        must not hold up the next write. Messages may then arrive out of order; a receiver
        reads a gap from the log and ignores seqs it has.
        """
        if self.broker is not None:
            self._spawn(
                self.broker, route_id, relay.encode_updates(self.node_id, first_seq, updates)
            )

    def publish_awareness(self, route_id: uuid.UUID, frame: bytes) -> None:
        """Tell the other nodes about our editors' awareness changes (best effort)."""
        if self.broker is not None:
            payload = protocol.parse_message(frame).payload
            self._spawn(self.broker, route_id, relay.encode_awareness(self.node_id, payload))

    def _spawn(self, broker: Relay, route_id: uuid.UUID, data: bytes) -> None:
        task = asyncio.create_task(self._publish(broker, relay.channel_of(route_id), data))
        self.publishing.add(task)  # kept until done (the loop holds tasks weakly)
        task.add_done_callback(self.publishing.discard)

    async def _publish(self, broker: Relay, channel: str, data: bytes) -> None:
        try:
            await broker.publish(channel, data)
        except Exception:
            log.warning("planner relay unavailable", extra={"channel": channel})

    async def db(self, function: Callable[..., T], **kwargs: Any) -> T:
        """Run a service function with a fresh session in the thread pool."""

        def call() -> T:
            with self.session_factory() as session:
                return function(session, **kwargs)

        return await run_in_threadpool(call)

    def new_peer(self, user_id: uuid.UUID) -> Peer:
        """A peer with this node's rate limit."""
        bucket = TokenBucket(
            self.settings.planner_messages_per_s, float(self.settings.planner_message_burst)
        )
        return Peer(user_id, bucket)

    async def join(self, route_id: uuid.UUID, peer: Peer) -> Room:
        """Add a peer to the route's room, loading the room first if it is not open."""
        room = self.rooms.get(route_id)
        if room is None:
            room = Room(self, route_id)
            self.rooms[route_id] = room
            if self.broker is not None:
                self.broker.watch(relay.channel_of(route_id))  # before reading the log
            try:
                await room.load()
            except BaseException:
                self._close_room(room)
                raise
        else:
            await asyncio.shield(room.loaded)
        room.peers.add(peer)
        return room

    async def leave(self, room: Room, peer: Peer) -> None:
        """Remove a peer; the last one out writes the room to the database and closes it."""
        room.forget(peer)
        if room.peers:
            return
        await room.stop()
        if not room.peers and self.rooms.get(room.route_id) is room:
            self._close_room(room)
        elif room.peers:
            room.start_tasks()  # someone came back

    def _close_room(self, room: Room) -> None:
        if self.rooms.get(room.route_id) is room:
            del self.rooms[room.route_id]
            if self.broker is not None:
                self.broker.unwatch(relay.channel_of(room.route_id))

    def document(self, route_id: uuid.UUID) -> bytes | None:
        """The open room's current document (with updates not yet written), if open here.

        Called from request threads too, so it only reads.
        """
        room = self.rooms.get(route_id)
        if room is None or room.writer is None:
            return None
        return room.log.snapshot()

    def kick(self, route_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> None:
        """Close the connections of a route (of one user) after deletion or unsharing."""
        room = self.rooms.get(route_id)
        if room is not None:
            room.close_all(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE, user_id=user_id)

    async def disconnect_user(self, user_id: uuid.UUID) -> None:
        """Close an erased user's connections here at once; every room checks who may stay
        (the rooms of routes the user owned close, as those routes have gone)."""
        for room in list(self.rooms.values()):
            room.close_all(CLOSE_NOT_FOUND, service.NO_SUCH_ROUTE, user_id=user_id)
            room.recheck.set()

    async def stop(self) -> None:
        """Write every room and close its peers with 1012 (reconnect, maybe elsewhere)."""
        for room in list(self.rooms.values()):
            room.close_all(CLOSE_RESTARTING, "the server is restarting; reconnect")
            await room.stop()
        if self.publishing:
            await asyncio.wait(set(self.publishing), timeout=2.0)
        if self.broker is not None:
            await self.broker.close()


def rate_wait_s(peer: Peer) -> float:
    """How long a peer's next message must wait for its rate limit."""
    return peer.bucket.reserve(time.monotonic())
