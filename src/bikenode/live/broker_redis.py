"""The Redis broker: one Redis Stream per channel, so several nodes share sequence and history.

A channel is a hash (epoch, last sequence, last idempotency key) and a stream whose entry ids
are ``<seq>-0``, trimmed to the history window. Publishing is one Lua script, so sequence
numbers are assigned atomically across nodes. Each node reads the channels its clients watch
with one blocking XREAD. With Redis persistence on (AOF) a Redis restart loses nothing: the
publisher retries until Redis is back and the idempotency key keeps a retry from doubling.
If Redis does lose its data, the channel starts a new epoch and subscribers are told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bikenode.live.broker import (
    BrokerUnavailable,
    Envelope,
    History,
    Listener,
    Published,
    new_epoch,
)

log = logging.getLogger("bikenode.live.redis")

TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)
# Waits between tries of a publish or a history read: 0.05 s, doubling up to 1 s.
RETRY_BACKOFF = ExponentialBackoff(cap=1.0, base=0.025)
CHANNEL_TTL_S = 2 * 24 * 3600  # an abandoned channel disappears two days after its last message

_ENSURE = """
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'seq', 0, 'last_key', -1)
end
"""

PUBLISH_LUA = (
    _ENSURE
    + """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if ARGV[3] ~= '' then
  local key = tonumber(ARGV[3])
  if key <= tonumber(redis.call('HGET', KEYS[1], 'last_key') or '-1') then
    return {epoch, -1}
  end
  redis.call('HSET', KEYS[1], 'last_key', ARGV[3])
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], seq .. '-0', 'd', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {epoch, seq}
"""
)

HISTORY_LUA = (
    _ENSURE
    + """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local first_seq = seq + 1
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #first > 0 then first_seq = tonumber(string.match(first[1][1], '^(%d+)')) end
local entries = {}
if tonumber(ARGV[3]) > 0 then
  entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[2] .. '-0', '+', 'COUNT', ARGV[3])
end
return {epoch, first_seq, seq, entries}
"""
)


def _keys(channel: str) -> tuple[str, str]:
    # The hash tag keeps both keys in one slot, so the scripts also run on Redis Cluster.
    return f"bikenode:live:{{{channel}}}:meta", f"bikenode:live:{{{channel}}}:log"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class _Cursor:
    """How far this node has read a channel, in which epoch, and whether that was checked."""

    epoch: str | None = None
    seq: int = 0
    checked: bool = False


class RedisBroker:
    """Channels in Redis Streams, shared by every node configured with the same Redis."""

    def __init__(
        self, url: str, *, history_size: int, retry_s: float = 15.0, block_ms: int = 200
    ) -> None:
        self.history_size = history_size
        self.retry_s = retry_s
        self.block_ms = block_ms
        self._client = aioredis.Redis.from_url(
            url, socket_timeout=block_ms / 1000 + 5, socket_connect_timeout=2
        )
        self._retry = Retry(
            RETRY_BACKOFF, retries=-1, supported_errors=(RedisConnectionError, RedisTimeoutError)
        )
        self._publish = self._client.register_script(PUBLISH_LUA)
        self._history = self._client.register_script(HISTORY_LUA)
        self._watched: dict[str, _Cursor] = {}
        self._listener: Listener | None = None
        self._reader: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self, listener: Listener) -> None:
        self._listener = listener
        self._reader = asyncio.create_task(self._read_loop(), name="live-redis-reader")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._client.aclose()

    async def publish(self, channel: str, data: bytes, *, key: int | None = None) -> Published:
        meta, stream = _keys(channel)
        args: list[str | int | bytes] = [
            new_epoch(),
            data,
            "" if key is None else key,
            self.history_size,
            CHANNEL_TTL_S,
        ]
        epoch, seq = await self._retrying(lambda: self._publish(keys=[meta, stream], args=args))
        return Published(_text(epoch), None if int(seq) < 0 else int(seq))

    async def history(self, channel: str, *, after_seq: int, limit: int) -> History:
        meta, stream = _keys(channel)
        args: list[str | int] = [new_epoch(), max(0, after_seq), limit]
        epoch, first, last, entries = await self._retrying(
            lambda: self._history(keys=[meta, stream], args=args)
        )
        messages = [
            (int(_text(entry_id).split("-")[0]), fields[1]) for entry_id, fields in entries or []
        ]
        return History(_text(epoch), int(first), int(last), messages)

    def watch(self, channel: str) -> None:
        if channel not in self._watched:
            self._watched[channel] = _Cursor()
            self._wake.set()

    def unwatch(self, channel: str) -> None:
        self._watched.pop(channel, None)

    async def _retrying(self, call: Any) -> Any:
        """The call's answer, retried by redis-py's Retry until `retry_s` has passed.

        A deadline rather than a count of tries: one try takes from no time (refused) to a
        socket timeout. redis-py raises its own ConnectionError for socket errors.
        """
        deadline = time.monotonic() + self.retry_s

        async def give_up_at_the_deadline(error: Exception, failures: int) -> None:
            if time.monotonic() + RETRY_BACKOFF.compute(failures) > deadline:
                raise BrokerUnavailable(f"Redis did not answer for {self.retry_s} s") from error

        return await self._retry.call_with_retry(
            call, give_up_at_the_deadline, with_failure_count=True
        )

    async def _read_loop(self) -> None:
        while True:
            try:
                await self._read_once()
            except asyncio.CancelledError:
                raise
            except TRANSIENT:
                log.warning("Redis unreachable; the live reader retries")
                # After a Redis restart, re-check every channel's epoch: the data may be gone.
                for cursor in self._watched.values():
                    cursor.checked = False
                await asyncio.sleep(0.2)
            except Exception:
                log.exception("the live reader failed; it restarts")
                await asyncio.sleep(0.5)

    async def _read_once(self) -> None:
        if not self._watched:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            return
        for channel, cursor in list(self._watched.items()):
            if not cursor.checked:
                await self._position(channel, cursor)
        streams = {
            _keys(channel)[1]: f"{c.seq}-0" for channel, c in self._watched.items() if c.checked
        }
        if not streams:
            return
        replies: Any = await self._client.xread(streams, block=self.block_ms)  # type: ignore[arg-type]
        for stream, entries in replies or []:
            self._deliver(_text(stream), entries)

    async def _position(self, channel: str, cursor: _Cursor) -> None:
        """Start reading a new channel at its end; after a Redis restart, check its epoch."""
        meta, stream = _keys(channel)
        epoch, _first, last, _entries = await self._history(
            keys=[meta, stream], args=[new_epoch(), 0, 0]
        )
        epoch = _text(epoch)
        if cursor.epoch is None:
            cursor.seq = int(last)
        elif cursor.epoch != epoch:
            cursor.seq = 0  # the old history is gone: read the new epoch from its start
            if self._listener is not None:
                self._listener(Envelope(channel, epoch, 0, b""))
        cursor.epoch = epoch
        cursor.checked = True

    def _deliver(self, stream: str, entries: list[Any]) -> None:
        channel = stream.split("{", 1)[1].rsplit("}", 1)[0]
        cursor = self._watched.get(channel)
        if cursor is None or cursor.epoch is None:
            return
        for entry_id, fields in entries:
            cursor.seq = int(_text(entry_id).split("-")[0])
            if self._listener is not None:
                self._listener(Envelope(channel, cursor.epoch, cursor.seq, fields[b"d"]))
