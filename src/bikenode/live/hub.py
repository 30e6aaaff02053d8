"""A node's fan-out: local subscribers of each channel, fed from the broker, each kept in order.

Each subscriber has a bounded inbox and one pump that sends frames in sequence order. A frame
is encoded once per message and shared by every subscriber. When a subscriber's next message
is not the one after its cursor (it fell behind and its inbox overflowed, the node started
reading the channel late, the epoch changed), the pump refills from the broker's history and
sends an explicit gap or new-epoch notice for what the history no longer holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bikenode.live.broker import Broker, Envelope
from bikenode.live.logic import ResumePlan, message_frame, plan_resume

log = logging.getLogger("bikenode.live")

Send = Callable[[str], Awaitable[None]]
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
REVOKED_PREFIX = b'{"kind":"share_revoked"'
IDLE_CHECK_S = 5.0


@dataclass(eq=False)
class Subscriber:
    """One watching connection: where it is in the channel and how to reach it."""

    channel: str
    send: Send
    close: Callable[[int, str], Coroutine[Any, Any, None]]
    inbox_size: int
    share_id: str | None = None
    epoch: str | None = None
    cursor: int = 0
    inbox: asyncio.Queue[tuple[Envelope, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = asyncio.Queue(maxsize=self.inbox_size)

    def offer(self, item: tuple[Envelope, str]) -> None:
        """Queue a message; a full inbox drops it (the pump refills from history later)."""
        if not self.inbox.full():
            self.inbox.put_nowait(item)


def _notice(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, separators=(",", ":"))


class Hub:
    """Routes broker messages to this node's subscribers of each channel."""

    def __init__(self, broker: Broker, *, history_page: int = 1000) -> None:
        self.broker = broker
        self.history_page = history_page
        self._channels: dict[str, set[Subscriber]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Begin receiving messages from the broker."""
        await self.broker.start(self._on_envelope)

    async def stop(self) -> None:
        """Stop receiving; subscribers' connections are closed by the server."""
        await self.broker.close()

    @property
    def subscriber_count(self) -> int:
        """How many subscribers this node serves."""
        return sum(len(subs) for subs in self._channels.values())

    def _on_envelope(self, envelope: Envelope) -> None:
        subscribers = self._channels.get(envelope.channel)
        if not subscribers:
            return
        if envelope.data.startswith(REVOKED_PREFIX):
            self._close_revoked(subscribers, envelope.data)
        frame = message_frame(envelope.seq, envelope.data) if envelope.seq else ""
        item = (envelope, frame)
        for subscriber in subscribers:
            subscriber.offer(item)

    def _close_revoked(self, subscribers: set[Subscriber], data: bytes) -> None:
        share_id = json.loads(data).get("share")
        for subscriber in list(subscribers):
            if subscriber.share_id is not None and subscriber.share_id == share_id:
                task = asyncio.get_running_loop().create_task(
                    subscriber.close(4003, "the share link was revoked")
                )
                self._closing.add(task)  # the loop keeps only a weak reference to tasks
                task.add_done_callback(self._closing.discard)

    async def serve(
        self,
        subscriber: Subscriber,
        *,
        client_epoch: str | None,
        client_last_seq: int | None,
        snapshot: Snapshot,
    ) -> None:
        """Bring the subscriber up to date, then send every new message in order (until cancelled)."""
        subscribers = self._channels.setdefault(subscriber.channel, set())
        if not subscribers:
            self.broker.watch(subscriber.channel)
        subscribers.add(subscriber)
        try:
            await self._catch_up(subscriber, client_epoch, client_last_seq, snapshot, first=True)
            while True:
                try:
                    async with asyncio.timeout(IDLE_CHECK_S):
                        envelope, frame = await subscriber.inbox.get()
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
                    await subscriber.send(frame)
                    subscriber.cursor = envelope.seq
        finally:
            subscribers.discard(subscriber)
            if not subscribers:
                self._channels.pop(subscriber.channel, None)
                self.broker.unwatch(subscriber.channel)

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
            first_seq = page.messages[0][0]
            if first_seq > subscriber.cursor + 1:  # trimmed while we read
                await subscriber.send(
                    _notice(
                        "gap",
                        epoch=subscriber.epoch,
                        missed_from=subscriber.cursor + 1,
                        missed_to=first_seq - 1,
                    )
                )
            for seq, data in page.messages:
                await subscriber.send(message_frame(seq, data))
                subscriber.cursor = seq
