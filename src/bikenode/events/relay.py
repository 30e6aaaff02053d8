"""The shape of the cross-node broker (the live domain's memory or Redis broker) as the
domains that relay through it see it: structurally, so none of them imports live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class RelayedEnvelope(Protocol):
    """A message as the broker delivers it (seq 0 with empty data: a new epoch began)."""

    @property
    def channel(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def data(self) -> bytes: ...


class Relay(Protocol):
    """The part of the broker a relaying domain uses."""

    async def start(self, listener: Callable[[RelayedEnvelope], None]) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, channel: str, data: bytes, *, key: int | None = None) -> object: ...

    def watch(self, channel: str) -> None: ...

    def unwatch(self, channel: str) -> None: ...
