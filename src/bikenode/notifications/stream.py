"""Live delivery of new in-app notifications to a rider's open pages (Server-Sent Events).

One `NotificationStream` per process fans out to that process's open streams: a queue per
stream, grouped by rider. When a transaction that made in-app notifications commits, the
process announces each (rider, notification id): to its own streams when it is alone, or
through the broker (Redis, the one live and planner rooms use) on the rider's channel, which
every node with a stream of that rider watches. Only ids travel; each stream reads the
notification itself, as its rider, so nobody is ever sent someone else's.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from bikenode.events import Relay, RelayedEnvelope

log = logging.getLogger("bikenode.notifications")

CHANNEL_PREFIX: Final = "notifications:"
MAX_STREAMS_PER_USER: Final = 5  # tabs of one rider on one node; more answer 429
QUEUE_SIZE: Final = 64  # a stream this far behind is told to resync instead
RESYNC: Final = b""  # "read the count again": a full queue, or the broker lost its history
_NEW = "bikenode_notifications_new"


class TooManyStreams(RuntimeError):
    """The rider has the most open notification streams allowed on this node."""


def channel_of(user_id: uuid.UUID) -> str:
    """The broker channel of one rider's notifications."""
    return f"{CHANNEL_PREFIX}{user_id}"


def user_of(channel: str) -> uuid.UUID | None:
    """The rider a channel belongs to; None for another domain's channel."""
    if not channel.startswith(CHANNEL_PREFIX):
        return None
    try:
        return uuid.UUID(channel[len(CHANNEL_PREFIX) :])
    except ValueError:
        return None


@dataclass(eq=False)
class Subscription:
    """One open stream: its rider and the queue of notification ids (RESYNC: reread)."""

    user_id: uuid.UUID
    queue: asyncio.Queue[bytes]


class NotificationStream:
    """This process's open notification streams, and their link to the other nodes."""

    def __init__(self, engine: Engine, broker: Relay | None = None) -> None:
        self.engine = engine  # commits on this database are the ones this node announces
        self.broker = broker
        self._open: dict[uuid.UUID, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publishing: set[asyncio.Task[None]] = set()  # held until done

    async def start(self) -> None:
        """Announce this process's commits (and, with a broker, hear the other nodes')."""
        self._loop = asyncio.get_running_loop()
        if self.broker is not None:
            await self.broker.start(self._on_relayed)
        with _streams_lock:
            _streams.append(self)

    async def stop(self) -> None:
        with _streams_lock:
            if self in _streams:
                _streams.remove(self)
        if self._publishing:
            await asyncio.wait(set(self._publishing), timeout=2.0)
        if self.broker is not None:
            await self.broker.close()

    def subscribe(self, user_id: uuid.UUID) -> Subscription:
        """A new stream of the rider's notifications; TooManyStreams past the cap."""
        streams = self._open.setdefault(user_id, set())
        if len(streams) >= MAX_STREAMS_PER_USER:
            raise TooManyStreams(f"expected at most {MAX_STREAMS_PER_USER} open streams")
        if not streams and self.broker is not None:
            self.broker.watch(channel_of(user_id))
        subscription = Subscription(user_id, asyncio.Queue(QUEUE_SIZE))
        streams.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        streams = self._open.get(subscription.user_id, set())
        streams.discard(subscription)
        if not streams:
            self._open.pop(subscription.user_id, None)
            if self.broker is not None:
                self.broker.unwatch(channel_of(subscription.user_id))

    def announce(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        """Tell the rider's streams, on every node, of a committed notification (any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not serving: the pages read it when they next load
        loop.call_soon_threadsafe(self._announce, user_id, str(notification_id).encode())

    def _announce(self, user_id: uuid.UUID, data: bytes) -> None:
        if self.broker is None:
            self._deliver(user_id, data)
            return
        task = asyncio.create_task(self._publish(self.broker, channel_of(user_id), data))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def _publish(self, broker: Relay, channel: str, data: bytes) -> None:
        try:
            await broker.publish(channel, data)
        except Exception:  # the broker is down: the bell catches up at the next page load
            log.warning("could not relay a notification on %s", channel, exc_info=True)

    def _on_relayed(self, envelope: RelayedEnvelope) -> None:
        user_id = user_of(envelope.channel)
        if user_id is not None:  # seq 0: a new epoch, whatever was sent meanwhile is lost
            self._deliver(user_id, RESYNC if envelope.seq == 0 else envelope.data)

    def _deliver(self, user_id: uuid.UUID, data: bytes) -> None:
        for subscription in self._open.get(user_id, ()):
            try:
                subscription.queue.put_nowait(data)
            except asyncio.QueueFull:  # far behind: drop the backlog, one resync says it all
                while not subscription.queue.empty():
                    subscription.queue.get_nowait()
                subscription.queue.put_nowait(RESYNC)


_streams: list[NotificationStream] = []
_streams_lock = threading.Lock()


def remember_new(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
    """Announce this in-app notification to live streams if (and when) the session commits."""
    session.info.setdefault(_NEW, []).append((user_id, notification_id))


@sa_event.listens_for(Session, "after_commit")
def _announce_committed(session: Session) -> None:
    made: list[tuple[uuid.UUID, uuid.UUID]] = session.info.pop(_NEW, [])
    if not made:
        return
    with _streams_lock:
        # The stream of the app whose engine committed: one announcement per commit, even
        # with several apps in one process (tests, two nodes).
        pool = getattr(session.bind, "pool", None)  # read-only binds share the engine's pool
        streams = [s for s in _streams if s.engine.pool is pool]
    for stream in streams:
        for user_id, notification_id in made:
            stream.announce(user_id, notification_id)


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_NEW, None)


KEEPALIVE_S: Final = 15.0  # a comment line this often keeps proxies from closing the stream
STREAM_MAX_S: Final = 300.0  # then the page reconnects, signing in again with a fresh token
RECONNECT_MS: Final = 3000

Reader = Callable[[uuid.UUID | None], Awaitable[str]]


def sse(event: str, data: str) -> str:
    """One Server-Sent Events message (data is one line of JSON)."""
    return f"event: {event}\ndata: {data}\n\n"


async def messages(
    node: NotificationStream, subscription: Subscription, read: Reader
) -> AsyncIterator[str]:
    """The stream's text: the unread count first, then each new notification with the count
    (read(None) gives the count alone, read(id) a notification and the count as JSON)."""
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_MAX_S
    try:
        yield f"retry: {RECONNECT_MS}\n" + sse("unread", await read(None))
        while (left := ends_at - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(subscription.queue.get(), min(KEEPALIVE_S, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if data == RESYNC:
                yield sse("unread", await read(None))
            else:
                yield sse("notification", await read(uuid.UUID(data.decode())))
    finally:
        node.unsubscribe(subscription)
