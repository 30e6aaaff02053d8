"""What route rooms on different nodes tell each other through the broker, and the wire format.

With BIKENODE_REDIS_URL set, every node that has a route's room open watches the channel
``planner:<route id>``. A node publishes there the updates its own editors sent, once they
are stored in the route's log (so the log stays the source of truth), with the log's
sequence numbers they were stored under, and its editors' awareness changes at once
(awareness is ephemeral: never stored). A node that sees a sequence number past the next one
it expects, or a new broker epoch, reads what it missed from the log instead.

A message is one byte string:

    b"U" node id (16 bytes)  varUint(first seq)  varUint(count)  count x varBytes(update)
    b"A" node id (16 bytes)  awareness update (as in a y-websocket awareness message)

Pure functions here (the broker's shape is `events.relay.Relay`); the broker itself (in-process or
Redis) is built by the app, which hands it to the planner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from bikenode.planner.protocol import BadMessage, _Reader, write_var_bytes, write_var_uint

UPDATES: Final = b"U"
AWARENESS: Final = b"A"
CHANNEL_PREFIX: Final = "planner:"
MAX_UPDATES_PER_MESSAGE: Final = 4096


@dataclass(frozen=True)
class RelayedUpdates:
    """Updates another node stored as the log's rows first_seq, first_seq + 1, ..."""

    node_id: uuid.UUID
    first_seq: int
    updates: list[bytes]

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.updates) - 1


@dataclass(frozen=True)
class RelayedAwareness:
    """Awareness changes of another node's editors (the payload of an awareness message)."""

    node_id: uuid.UUID
    payload: bytes


def channel_of(route_id: uuid.UUID) -> str:
    """The broker channel of a route's room."""
    return f"{CHANNEL_PREFIX}{route_id}"


def route_of(channel: str) -> uuid.UUID | None:
    """The route a channel belongs to; None for another domain's channel."""
    if not channel.startswith(CHANNEL_PREFIX):
        return None
    try:
        return uuid.UUID(channel[len(CHANNEL_PREFIX) :])
    except ValueError:
        return None


def encode_updates(node_id: uuid.UUID, first_seq: int, updates: list[bytes]) -> bytes:
    """The message announcing stored updates (the log's rows first_seq onwards)."""
    if first_seq < 1 or not updates:
        raise ValueError("expected a first seq of at least 1 and at least one update")
    body = bytearray(UPDATES + node_id.bytes)
    body += write_var_uint(first_seq) + write_var_uint(len(updates))
    for update in updates:
        body += write_var_bytes(update)
    return bytes(body)


def encode_awareness(node_id: uuid.UUID, payload: bytes) -> bytes:
    """The message relaying an awareness update's payload."""
    return AWARENESS + node_id.bytes + payload


def decode(data: bytes) -> RelayedUpdates | RelayedAwareness:
    """A relayed message; BadMessage if the bytes are not one."""
    if len(data) < 17:
        raise BadMessage(f"expected a relayed message of at least 17 bytes, got {len(data)}")
    kind, node_id = data[:1], uuid.UUID(bytes=data[1:17])
    if kind == AWARENESS:
        return RelayedAwareness(node_id, data[17:])
    if kind != UPDATES:
        raise BadMessage(f"expected a relayed message of kind U or A, got {kind!r}")
    reader = _Reader(data[17:])
    first_seq, count = reader.var_uint(), reader.var_uint()
    if first_seq < 1 or not 0 < count <= MAX_UPDATES_PER_MESSAGE:
        raise BadMessage(f"expected seq >= 1 and 1..{MAX_UPDATES_PER_MESSAGE} updates")
    updates = [reader.var_bytes() for _ in range(count)]
    reader.done()
    return RelayedUpdates(node_id, first_seq, updates)
