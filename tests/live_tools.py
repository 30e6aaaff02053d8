"""Helpers for live-tracking tests: synthetic rider batches and protocol clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bikenode.live.logic import encode_batch, reconnect_delay_s

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running
    in the main thread once a browser test has run in the same pytest process."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# What a client retries: a refused or reset connection, a timeout, and a handshake cut short
# (a node killed or still starting while the client connects answers no 101).
RETRIED = (OSError, ConnectionClosed, InvalidHandshake, TimeoutError)
START_MS = int(time.time() * 1000) - 3_600_000  # an hour ago: inside the accepted time range
BASE_LAT_E7, BASE_LON_E7 = 515_000_000, -1_200_000


def columns(batch_no: int, *, points: int = 10, start_ms: int = START_MS) -> dict[str, list[Any]]:
    """Absolute columns of batch `batch_no` of a steady ride: one point a second, ~8 m/s north."""
    first = (batch_no - 1) * points
    index = range(first, first + points)
    return {
        "t": [start_ms + i * 1000 for i in index],
        "lat": [BASE_LAT_E7 + i * 720 for i in index],  # 720e-7 degree is 8 m
        "lon": [BASE_LON_E7 + i * 10 for i in index],
        "ele": [1000 + (i % 50) for i in index],
        "hr": [120 + i % 40 for i in index],
        "pwr": [200 + i % 50 for i in index],
        "cad": [85 for _ in index],
    }


def batch_frame(batch_no: int, **kwargs: Any) -> dict[str, Any]:
    """The rider's delta-encoded frame for batch `batch_no` of the steady ride."""
    return encode_batch(batch_no, columns(batch_no, **kwargs))


class Rider:
    """A phone app: sends batches in order, reconnects (to the next node) and resends unacked."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls = urls
        self.token = token
        self.socket: ClientConnection | None = None
        self.acked: dict[int, int | None] = {}
        self.reconnects = 0

    async def _connect(self) -> ClientConnection:
        attempt = 0
        while True:
            url = self.urls[(self.reconnects + attempt) % len(self.urls)]
            try:
                socket = await connect(url, open_timeout=5)
                await socket.send(json.dumps({"type": "hello", "token": self.token}))
                welcome = json.loads(await socket.recv())
                assert welcome["type"] == "welcome", welcome
                return socket
            except RETRIED:
                attempt += 1
                await asyncio.sleep(reconnect_delay_s(attempt, base_s=0.1, cap_s=1.0, jitter=0.5))

    async def send(self, batch_no: int, frame: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one batch until it is acknowledged, reconnecting as often as needed."""
        while True:
            if self.socket is None:
                self.socket = await self._connect()
            try:
                await self.socket.send(json.dumps(frame or batch_frame(batch_no)))
                reply: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), 20))
            except RETRIED:
                self.socket = None
                self.reconnects += 1
                continue
            if reply["type"] == "ack":
                self.acked[batch_no] = reply["seq"]
                return reply
            if reply.get("code") in ("unavailable", "rate_limited"):
                await asyncio.sleep(0.2)
                continue
            raise AssertionError(f"batch {batch_no} refused: {reply}")

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


class Viewer:
    """A watching app: records every sequence number and notice; resumes after a drop."""

    def __init__(self, urls: list[str], hello: dict[str, Any]) -> None:
        self.urls = urls
        self.hello = hello
        self.epoch: str | None = None
        self.last_seq: int | None = None
        self.start_seq: int | None = None
        self.received: list[int] = []
        self.gaps: list[tuple[int, int]] = []
        self.new_epochs = 0
        self.batches: list[int] = []
        self.connections = 0
        self.close_codes: list[int | None] = []
        self.error: BaseException | None = None
        self._socket: ClientConnection | None = None

    async def run(self, *, until_seq: int | None = None, stop: asyncio.Event | None = None) -> None:
        """Watch (resuming across drops) until `until_seq` arrives or `stop` is set."""
        attempt = 0
        while not (stop and stop.is_set()):
            url = self.urls[(self.connections + attempt) % len(self.urls)]
            try:
                async with connect(url, open_timeout=5, max_queue=None) as socket:
                    self._socket = socket
                    attempt = 0
                    self.connections += 1
                    hello = {
                        "type": "hello",
                        **self.hello,
                        "epoch": self.epoch,
                        "last_seq": self.last_seq,
                    }
                    await socket.send(json.dumps(hello))
                    async for raw in socket:
                        try:
                            self._take(json.loads(raw))
                        except AssertionError as error:
                            self.error = error
                            raise
                        if until_seq is not None and (self.last_seq or 0) >= until_seq:
                            return
            except RETRIED as error:
                if isinstance(error, ConnectionClosed) and error.rcvd is not None:
                    self.close_codes.append(error.rcvd.code)
                attempt += 1
                await asyncio.sleep(reconnect_delay_s(attempt, base_s=0.05, cap_s=1.0, jitter=0.5))
            except BaseException as error:
                self.error = self.error or error  # the soak reports why a viewer stopped
                raise
            finally:
                self._socket = None

    async def drop(self) -> None:
        """Disconnect abruptly (the run loop reconnects and resumes)."""
        if self._socket is not None:
            self._socket.transport.abort()

    def _take(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "welcome":
            if self.epoch is None or self.last_seq is None:
                self.epoch, self.start_seq, self.last_seq = (
                    message["epoch"],
                    message["seq"],
                    message["seq"],
                )
        elif kind == "gap":
            self.gaps.append((message["missed_from"], message["missed_to"]))
            self.last_seq = message["missed_to"]
        elif kind == "new_epoch":
            self.new_epochs += 1
            self.epoch = message["epoch"]
            first = message["first_seq"]
            self.last_seq = first - 1 if first is not None else None
        elif kind == "msg":
            seq = message["seq"]
            assert self.last_seq is not None and seq == self.last_seq + 1, (self.last_seq, seq)
            self.received.append(seq)
            self.last_seq = seq
            if message["data"].get("kind") == "positions":
                self.batches.append(message["data"]["batch"])
