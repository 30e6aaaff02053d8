"""The broker: sequenced channels with a history window. In-process here; Redis in broker_redis.

Every message published on a channel gets the next sequence number of the channel's epoch.
An epoch names one unbroken history: when a history is lost (an in-process broker restarts,
Redis loses its data) the channel starts a new epoch at sequence 1, and subscribers are told.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Envelope:
    """A message as the broker delivers it. seq 0 with empty data announces a new epoch."""

    channel: str
    epoch: str
    seq: int
    data: bytes


@dataclass(frozen=True)
class Published:
    """Where a message went: its epoch and sequence number (seq None: a duplicate key)."""

    epoch: str
    seq: int | None


@dataclass(frozen=True)
class History:
    """Part of a channel's window: ``messages`` after the asked sequence, oldest first.

    ``first_seq``..``last_seq`` is what the whole window holds (empty if first > last).
    """

    epoch: str
    first_seq: int
    last_seq: int
    messages: list[tuple[int, bytes]]


Listener = Callable[[Envelope], None]


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached in time; the caller may retry later."""


class Broker(Protocol):
    """What the live hub needs from a broker (in-process or Redis)."""

    async def start(self, listener: Listener) -> None:
        """Begin delivering watched channels' new messages to ``listener`` (on the loop)."""

    async def close(self) -> None:
        """Stop delivering and release connections."""

    async def publish(self, channel: str, data: bytes, *, key: int | None = None) -> Published:
        """Append a message; with ``key``, a key not above the channel's last key is a duplicate."""

    async def history(self, channel: str, *, after_seq: int, limit: int) -> History:
        """Up to ``limit`` messages after ``after_seq`` in the window, and the window's bounds."""

    def watch(self, channel: str) -> None:
        """Deliver this channel's new messages to the listener from now on."""

    def unwatch(self, channel: str) -> None:
        """Stop delivering this channel's messages."""


def new_epoch() -> str:
    """A fresh epoch name, unique across nodes and restarts."""
    return uuid.uuid4().hex[:16]


@dataclass
class _Channel:
    epoch: str
    history_size: int
    seq: int = 0
    last_key: int = -1
    log: deque[tuple[int, bytes]] = field(default_factory=deque)


class MemoryBroker:
    """The single-node broker: channels live in this process (a restart starts new epochs)."""

    def __init__(self, *, history_size: int) -> None:
        self.history_size = history_size
        self._channels: dict[str, _Channel] = {}
        self._watched: set[str] = set()
        self._listener: Listener | None = None

    async def start(self, listener: Listener) -> None:
        self._listener = listener

    async def close(self) -> None:
        self._listener = None

    def _channel(self, name: str) -> _Channel:
        channel = self._channels.get(name)
        if channel is None:
            channel = _Channel(epoch=new_epoch(), history_size=self.history_size)
            channel.log = deque(maxlen=self.history_size)
            self._channels[name] = channel
        return channel

    async def publish(self, channel: str, data: bytes, *, key: int | None = None) -> Published:
        state = self._channel(channel)
        if key is not None:
            if key <= state.last_key:
                return Published(state.epoch, None)
            state.last_key = key
        state.seq += 1
        state.log.append((state.seq, data))
        if self._listener is not None and channel in self._watched:
            self._listener(Envelope(channel, state.epoch, state.seq, data))
        return Published(state.epoch, state.seq)

    async def history(self, channel: str, *, after_seq: int, limit: int) -> History:
        state = self._channel(channel)
        first = state.log[0][0] if state.log else state.seq + 1
        start = max(0, after_seq + 1 - first)
        messages = [state.log[i] for i in range(start, min(len(state.log), start + limit))]
        return History(state.epoch, first, state.seq, messages)

    def watch(self, channel: str) -> None:
        self._watched.add(channel)

    def unwatch(self, channel: str) -> None:
        self._watched.discard(channel)
