"""The y-websocket wire format: sync (step 1, step 2, update) and awareness messages.

Pure functions over bytes, no I/O. The encoding is lib0's: unsigned integers as variable
length (7 bits a byte, least significant first), byte strings and UTF-8 strings prefixed
with their length. A message is one binary WebSocket frame:

    varUint(0 = sync)      varUint(0 = step 1)  varBytes(state vector)
    varUint(0 = sync)      varUint(1 = step 2)  varBytes(update)
    varUint(0 = sync)      varUint(2 = update)  varBytes(update)
    varUint(1 = awareness) varBytes(awareness update)

An awareness update is varUint(count) then, per client, varUint(client id), varUint(clock),
varString(JSON state, "null" once the client has gone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, Literal

MESSAGE_SYNC: Final = 0
MESSAGE_AWARENESS: Final = 1
SYNC_STEP1: Final = 0
SYNC_STEP2: Final = 1
SYNC_UPDATE: Final = 2
EMPTY_UPDATE: Final = b"\x00\x00"  # an update with no structs and an empty delete set
MAX_VAR_UINT_BYTES: Final = 8  # 56 bits: client ids are 32 bits, clocks and lengths fit too

MessageKind = Literal["step1", "step2", "update", "awareness"]


class BadMessage(ValueError):
    """A frame that is not a well-formed y-websocket message; the text says what was wrong."""


@dataclass(frozen=True)
class Message:
    """One decoded message: its kind and its payload (state vector, update or awareness)."""

    kind: MessageKind
    payload: bytes


@dataclass(frozen=True)
class AwarenessEntry:
    """One client's awareness state; ``state`` is its JSON text, "null" once it has gone."""

    client_id: int
    clock: int
    state: str

    @property
    def gone(self) -> bool:
        """Whether this entry removes the client (its state is null)."""
        return self.state == "null"


def write_var_uint(number: int) -> bytes:
    """The lib0 variable-length encoding of a non-negative integer."""
    if number < 0:
        raise ValueError(f"expected a non-negative integer, got {number}")
    out = bytearray()
    while number > 0x7F:
        out.append(0x80 | (number & 0x7F))
        number >>= 7
    out.append(number)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    """A byte string prefixed with its length."""
    return write_var_uint(len(data)) + data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        number = shift = 0
        for _ in range(MAX_VAR_UINT_BYTES):
            if self.pos >= len(self.data):
                raise BadMessage(f"expected a varUint at byte {self.pos}, the frame ended")
            byte = self.data[self.pos]
            self.pos += 1
            number |= (byte & 0x7F) << shift
            if byte < 0x80:
                return number
            shift += 7
        raise BadMessage(f"expected a varUint of at most {MAX_VAR_UINT_BYTES} bytes, got more")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise BadMessage(
                f"expected {length} bytes at byte {self.pos}, got {len(self.data) - self.pos}"
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def done(self) -> None:
        if self.pos != len(self.data):
            raise BadMessage(f"expected the message to end at byte {self.pos}, got more bytes")


def parse_message(frame: bytes) -> Message:
    """The y-websocket message in one binary frame; BadMessage if it is not one."""
    reader = _Reader(frame)
    kind = reader.var_uint()
    if kind == MESSAGE_AWARENESS:
        payload = reader.var_bytes()
        reader.done()
        return Message("awareness", payload)
    if kind != MESSAGE_SYNC:
        raise BadMessage(f"expected message type 0 (sync) or 1 (awareness), got {kind}")
    step = reader.var_uint()
    payload = reader.var_bytes()
    reader.done()
    if step == SYNC_STEP1:
        return Message("step1", payload)
    if step == SYNC_STEP2:
        return Message("step2", payload)
    if step == SYNC_UPDATE:
        return Message("update", payload)
    raise BadMessage(f"expected sync message type 0, 1 or 2, got {step}")


def sync_step1(state_vector: bytes) -> bytes:
    """A sync step 1 message: 'here is my state vector, send me what I lack'."""
    return bytes([MESSAGE_SYNC, SYNC_STEP1]) + write_var_bytes(state_vector)


def sync_step2(update: bytes) -> bytes:
    """A sync step 2 message: the reply to a step 1, everything the asker lacks."""
    return bytes([MESSAGE_SYNC, SYNC_STEP2]) + write_var_bytes(update)


def sync_update(update: bytes) -> bytes:
    """A sync update message: one document change."""
    return bytes([MESSAGE_SYNC, SYNC_UPDATE]) + write_var_bytes(update)


def awareness_message(entries: list[AwarenessEntry]) -> bytes:
    """An awareness message carrying these clients' states."""
    body = bytearray(write_var_uint(len(entries)))
    for entry in entries:
        state = entry.state.encode()
        body += write_var_uint(entry.client_id) + write_var_uint(entry.clock)
        body += write_var_bytes(state)
    return bytes([MESSAGE_AWARENESS]) + write_var_bytes(bytes(body))


def parse_awareness(
    payload: bytes, *, max_entries: int, max_state_bytes: int
) -> list[AwarenessEntry]:
    """The entries of an awareness update; BadMessage past the limits or if a state is not JSON."""
    reader = _Reader(payload)
    count = reader.var_uint()
    if count > max_entries:
        raise BadMessage(f"expected at most {max_entries} awareness entries, got {count}")
    entries = []
    for _ in range(count):
        client_id, clock = reader.var_uint(), reader.var_uint()
        raw = reader.var_bytes()
        if len(raw) > max_state_bytes:
            raise BadMessage(
                f"expected an awareness state of at most {max_state_bytes} bytes, got {len(raw)}"
            )
        try:
            state = raw.decode()
            json.loads(state)
        except (UnicodeDecodeError, ValueError):
            raise BadMessage("expected an awareness state as JSON text") from None
        entries.append(AwarenessEntry(client_id, clock, state))
    reader.done()
    return entries


def is_newer(entry: AwarenessEntry, known: AwarenessEntry | None) -> bool:
    """Whether an awareness entry replaces the known one (Yjs's rule: a higher clock wins,
    and a removal at the same clock wins)."""
    if known is None:
        return not entry.gone
    return entry.clock > known.clock or (entry.clock == known.clock and entry.gone)
