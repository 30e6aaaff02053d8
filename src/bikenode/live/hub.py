"""A node's fan-out: local subscribers of each channel, fed from the broker, each kept in order.

Each message is encoded once, as JSON text and as a ready WebSocket frame, and shared by every
subscriber of the channel. Two kinds of subscriber:

- a *direct* subscriber (the fast path, ``live.fastws``) owns its socket: an in-order message
  is written straight to it, with no task and no queue per connection;
- a *queued* subscriber (the ASGI endpoints) has a bounded inbox and one pump task.

When a subscriber's next message is not the one after its cursor (it fell behind, its socket
was full, the node started reading the channel late, the epoch changed), it is brought up to
date from the broker's history, with an explicit gap or new-epoch notice for what the history
no longer holds. A sweep every few seconds catches any subscriber still behind the channel's
head (a message whose live delivery raced a catch-up) and pings idle sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from bikenode.live import wire
from bikenode.live.broker import Broker, Envelope
from bikenode.live.logic import ResumePlan, message_frame, plan_resume

log = logging.getLogger("bikenode.live")

Send = Callable[[str], Awaitable[None]]
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
REVOKED_PREFIX = b'{"kind":"share_revoked"'
IDLE_CHECK_S = 5.0
SWEEP_S = 5.0


class Subscriber(Protocol):
    """What the hub needs of any subscriber."""

    channel: str
    share_id: str | None
    epoch: str | None
    cursor: int

    def offer(self, envelope: Envelope, text: str, frame: bytes) -> None:
        """A new message of the channel (text and WebSocket frame built once for everyone)."""

    async def send(self, text: str) -> None:
        """Send one text message (notices, replayed history) in order."""

    async def close(self, code: int, reason: str) -> None:
        """Close the connection with a close code."""


class DirectSubscriber(Subscriber, Protocol):
    """A subscriber that owns its socket and takes in-order messages synchronously."""

    syncing: bool
    swept_cursor: int
    snapshot: Snapshot

    def keepalive(self, now: float) -> None:
        """Ping the socket, or close it if the client has been silent too long."""


@dataclass(eq=False)
class QueuedSubscriber:
    """One watching ASGI connection: a bounded inbox emptied in order by one pump task."""

    channel: str
    send_text: Send
    close_socket: Callable[[int, str], Coroutine[Any, Any, None]]
    inbox_size: int
    share_id: str | None = None
    epoch: str | None = None
    cursor: int = 0
    inbox: asyncio.Queue[tuple[Envelope, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = asyncio.Queue(maxsize=self.inbox_size)

    async def send(self, text: str) -> None:
        """Send one text message."""
        await self.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        """Close the connection."""
        await self.close_socket(code, reason)

    def offer(self, envelope: Envelope, text: str, frame: bytes) -> None:
        """Queue a message; a full inbox drops it (the pump refills from history later)."""
        if not self.inbox.full():
            self.inbox.put_nowait((envelope, text))


def _notice(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


class Hub:
    """Routes broker messages to this node's subscribers of each channel."""

    def __init__(self, broker: Broker, *, history_page: int = 1000) -> None:
        self.broker = broker
        self.history_page = history_page
        self._channels: dict[str, set[Any]] = {}
        self._direct: dict[str, set[DirectSubscriber]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.resyncs = 0  # direct subscribers refilled from history mid-connection (lag, gaps)

    async def start(self) -> None:
        """Begin receiving messages from the broker, and sweeping direct subscribers."""
        await self.broker.start(self._on_envelope)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="live-sweep")

    async def stop(self) -> None:
        """Stop receiving; subscribers' connections are closed by the server."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            # A test client may stop the app from another event loop than it started it in.
            if self._sweeper.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sweeper
            self._sweeper = None
        for task in list(self._tasks):
            task.cancel()
        await self.broker.close()

    @property
    def subscriber_count(self) -> int:
        """How many subscribers this node serves."""
        return sum(len(subs) for subs in self._channels.values())

    @property
    def direct_count(self) -> int:
        """How many of them the fast path serves straight from their sockets."""
        return sum(len(subs) for subs in self._direct.values())

    def _on_envelope(self, envelope: Envelope) -> None:
        subscribers = self._channels.get(envelope.channel)
        if not subscribers:
            return
        if envelope.data.startswith(REVOKED_PREFIX):
            self._close_revoked(subscribers, envelope.data)
        text = message_frame(envelope.seq, envelope.data) if envelope.seq else ""
        frame = wire.text_frame(text) if text else b""
        for subscriber in list(subscribers):
            subscriber.offer(envelope, text, frame)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)  # the loop keeps only a weak reference to tasks
        task.add_done_callback(self._tasks.discard)

    def _close_revoked(self, subscribers: set[Any], data: bytes) -> None:
        share_id = json.loads(data).get("share")
        for subscriber in list(subscribers):
            if subscriber.share_id is not None and subscriber.share_id == share_id:
                self._spawn(subscriber.close(4003, "the share link was revoked"))

    def _add(self, subscriber: Subscriber) -> None:
        subscribers = self._channels.setdefault(subscriber.channel, set())
        if not subscribers:
            self.broker.watch(subscriber.channel)
        subscribers.add(subscriber)

    def _remove(self, subscriber: Subscriber) -> None:
        subscribers = self._channels.get(subscriber.channel)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            self._channels.pop(subscriber.channel, None)
            self.broker.unwatch(subscriber.channel)

    # -- direct subscribers (the fast path) --------------------------------------------

    def attach(
        self, subscriber: DirectSubscriber, *, client_epoch: str | None, client_last_seq: int | None
    ) -> None:
        """Start serving a direct subscriber: welcome, catch-up, then live writes."""
        subscriber.syncing = True
        self._add(subscriber)
        self._direct.setdefault(subscriber.channel, set()).add(subscriber)
        self._spawn(self._sync(subscriber, client_epoch, client_last_seq, first=True))

    def detach(self, subscriber: DirectSubscriber) -> None:
        """Stop serving a direct subscriber (its socket is gone)."""
        self._remove(subscriber)
        direct = self._direct.get(subscriber.channel)
        if direct is not None:
            direct.discard(subscriber)
            if not direct:
                self._direct.pop(subscriber.channel, None)

    def resync(self, subscriber: DirectSubscriber) -> None:
        """Bring a direct subscriber up to date from the history (once at a time)."""
        if subscriber.syncing:
            return
        subscriber.syncing = True
        self.resyncs += 1
        self._spawn(self._sync(subscriber, subscriber.epoch, subscriber.cursor, first=False))

    async def _sync(
        self,
        subscriber: DirectSubscriber,
        client_epoch: str | None,
        client_last_seq: int | None,
        *,
        first: bool,
    ) -> None:
        snapshot = subscriber.snapshot
        try:
            await self._catch_up(subscriber, client_epoch, client_last_seq, snapshot, first=first)
            while True:  # messages published meanwhile were skipped: take them from history
                page = await self.broker.history(
                    subscriber.channel, after_seq=subscriber.cursor, limit=self.history_page
                )
                if page.epoch != subscriber.epoch or not page.messages:
                    break
                await self._send_page(subscriber, page.messages)
            subscriber.syncing = False  # no await since the last read: nothing slips between
            if page.epoch != subscriber.epoch:
                self.resync(subscriber)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the broker is unreachable, the socket went: close
            log.warning("live catch-up failed", extra={"error": repr(error)})
            subscriber.syncing = False
            await subscriber.close(1011, "could not catch up; reconnect")

    async def _sweep_forever(self) -> None:
        ticks = 0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_S)
            ticks += 1
            try:
                await self._sweep(ping=ticks % 4 == 0, now=loop.time())
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("live sweep failed", extra={"error": repr(error)})

    async def _sweep(self, *, ping: bool, now: float) -> None:
        """Catch up direct subscribers stuck behind the channel's head; ping idle sockets."""
        for channel, subscribers in list(self._direct.items()):
            if ping:
                for subscriber in list(subscribers):
                    subscriber.keepalive(now)
            stuck = [s for s in subscribers if not s.syncing and s.cursor == s.swept_cursor]
            for subscriber in subscribers:
                subscriber.swept_cursor = subscriber.cursor
            if not stuck:
                continue
            head = await self.broker.history(channel, after_seq=0, limit=0)
            for subscriber in stuck:
                if subscriber.epoch != head.epoch or subscriber.cursor < head.last_seq:
                    self.resync(subscriber)

    # -- queued subscribers (the ASGI endpoints) ---------------------------------------

    async def serve(
        self,
        subscriber: QueuedSubscriber,
        *,
        client_epoch: str | None,
        client_last_seq: int | None,
        snapshot: Snapshot,
    ) -> None:
        """Bring the subscriber up to date, then send every new message in order (until cancelled)."""
        self._add(subscriber)
        try:
            await self._catch_up(subscriber, client_epoch, client_last_seq, snapshot, first=True)
            while True:
                try:
                    async with asyncio.timeout(IDLE_CHECK_S):
                        envelope, text = await subscriber.inbox.get()
                except TimeoutError:
                    # A safety net: whatever held messages back, an idle subscriber checks the
                    # channel's head now and then and catches up from the history.
                    await self._catch_up(
                        subscriber, subscriber.epoch, subscriber.cursor, snapshot, first=False
                    )
                    continue
                if envelope.epoch != subscriber.epoch or envelope.seq > subscriber.cursor + 1:
                    await self._catch_up(
                        subscriber, subscriber.epoch, subscriber.cursor, snapshot, first=False
                    )
                if envelope.epoch == subscriber.epoch and envelope.seq == subscriber.cursor + 1:
                    await subscriber.send(text)
                    subscriber.cursor = envelope.seq
        finally:
            self._remove(subscriber)

    # -- shared: bringing a subscriber up to date --------------------------------------

    async def _catch_up(
        self,
        subscriber: Subscriber,
        client_epoch: str | None,
        client_last_seq: int | None,
        snapshot: Snapshot,
        *,
        first: bool,
    ) -> None:
        head = await self.broker.history(
            subscriber.channel, after_seq=client_last_seq or 0, limit=0
        )
        plan = plan_resume(
            client_epoch=client_epoch,
            client_last_seq=client_last_seq,
            epoch=head.epoch,
            first_seq=head.first_seq,
            last_seq=head.last_seq,
        )
        subscriber.epoch = head.epoch
        if first:
            await subscriber.send(
                _notice(
                    "welcome",
                    channel=subscriber.channel,
                    epoch=head.epoch,
                    seq=head.last_seq,
                    first_seq=head.first_seq,
                    resumed=plan.kind == "resume",
                )
            )
        await self._notices(subscriber, plan, client_epoch, snapshot)
        if plan.kind == "live":
            subscriber.cursor = head.last_seq
            return
        subscriber.cursor = (plan.replay_from - 1) if plan.replay_from else head.last_seq
        await self._replay(subscriber, until_seq=head.last_seq)

    async def _notices(
        self, subscriber: Subscriber, plan: ResumePlan, client_epoch: str | None, snapshot: Snapshot
    ) -> None:
        if plan.kind == "gap" and plan.missed is not None:
            await subscriber.send(
                _notice(
                    "gap",
                    epoch=subscriber.epoch,
                    missed_from=plan.missed[0],
                    missed_to=plan.missed[1],
                )
            )
        elif plan.kind == "new_epoch":
            await subscriber.send(
                _notice(
                    "new_epoch",
                    epoch=subscriber.epoch,
                    previous_epoch=client_epoch,
                    first_seq=plan.replay_from,
                )
            )
        if plan.kind != "resume":
            await subscriber.send(_notice("state", epoch=subscriber.epoch, state=await snapshot()))

    async def _replay(self, subscriber: Subscriber, *, until_seq: int) -> None:
        while subscriber.cursor < until_seq:
            page = await self.broker.history(
                subscriber.channel, after_seq=subscriber.cursor, limit=self.history_page
            )
            if page.epoch != subscriber.epoch or not page.messages:
                return  # the next message (or epoch notice) brings the subscriber round again
            await self._send_page(subscriber, page.messages)

    async def _send_page(self, subscriber: Subscriber, messages: list[tuple[int, bytes]]) -> None:
        first_seq = messages[0][0]
        if first_seq > subscriber.cursor + 1:  # trimmed while we read
            await subscriber.send(
                _notice(
                    "gap",
                    epoch=subscriber.epoch,
                    missed_from=subscriber.cursor + 1,
                    missed_to=first_seq - 1,
                )
            )
        for seq, data in messages:
            if seq <= subscriber.cursor:
                continue
            await subscriber.send(message_frame(seq, data))
            subscriber.cursor = seq
