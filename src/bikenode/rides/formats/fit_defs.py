"""FIT definition messages: message layouts, and telling a definition from noise."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.fit_profile import BASE_SIZES, TIMESTAMP, VALID_BASE_TYPE_BYTES

CUT_SHORT = "the file is cut short"


@dataclass(frozen=True)
class FieldDef:
    """One field of a message layout."""

    num: int
    offset: int  # from the data message's header byte
    size: int
    base_type: int  # the raw base type byte


@dataclass(eq=False)
class MessageDef:
    """One distinct message layout and the byte offsets of the data messages that use it."""

    global_num: int
    big_endian: bool
    size: int  # bytes of one data message, its header byte included
    fields: tuple[FieldDef, ...]
    offsets: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class Definition:
    """A parsed definition message."""

    end: int  # offset just past the definition message
    key: bytes
    layout: MessageDef


def definition_end(data: bytes, p: int, end: int) -> int | None:
    """Offset just past the definition message at ``p``, None if it runs past ``end``."""
    if p + 6 > end:
        return None
    stop = p + 6 + 3 * data[p + 5]
    if data[p] & 0x20:  # developer fields follow: a count, then 3 bytes each
        if stop >= end:
            return None
        stop += 1 + 3 * data[stop]
    return stop if stop <= end else None


def definition_key(data: bytes, p: int, stop: int) -> bytes:
    """What makes two definitions the same layout: everything after the header byte."""
    return bytes([data[p] & 0x20]) + data[p + 1 : stop]


def read_definition(data: bytes, p: int, end: int, *, strict: bool) -> Definition | str:
    """Parse the definition message at ``p``, or say what is wrong with it.

    ``strict`` also rejects what real writers get away with (a non-zero reserved byte, no
    fields, unknown base types, sizes that do not fit their base type): resync uses it to
    tell definitions from noise.
    """
    stop = definition_end(data, p, end)
    if stop is None:
        return f"{CUT_SHORT}: the definition message at byte {p} ends past byte {end}"
    architecture = data[p + 2]
    if architecture > 1:
        return (
            f"definition message at byte {p} has architecture byte {architecture}, expected 0 or 1"
        )
    field_end = p + 6 + 3 * data[p + 5]
    fields = _fields(data, p + 6, field_end)
    if strict and (data[p + 1] != 0 or not fields or not all(map(_plausible, fields))):
        return "noise"
    dev_size = sum(data[field_end + 2 : stop : 3])
    size = 1 + sum(f.size for f in fields) + dev_size
    global_num = int.from_bytes(data[p + 3 : p + 5], "big" if architecture else "little")
    layout = MessageDef(global_num, architecture == 1, size, fields)
    return Definition(stop, definition_key(data, p, stop), layout)


def _fields(data: bytes, start: int, stop: int) -> tuple[FieldDef, ...]:
    fields = []
    offset = 1
    for at in range(start, stop, 3):
        num, size, base_type = data[at], data[at + 1], data[at + 2]
        fields.append(FieldDef(num, offset, size, base_type))
        offset += size
    return tuple(fields)


def _plausible(f: FieldDef) -> bool:
    if f.base_type not in VALID_BASE_TYPE_BYTES or f.size == 0:
        return False
    return f.size % BASE_SIZES[f.base_type & 0x1F] == 0


def chain_times(
    data: bytes,
    q: int,
    end: int,
    layouts: list[MessageDef | None],
    *,
    compressed: bool,
    need: int,
    anchor: int | None,
) -> list[int] | None:
    """The timestamps of ``need`` messages in a row (or all up to ``end``) that parse cleanly
    from ``q``; None if they do not.

    Data messages must name a defined local type with the reserved header bits clear;
    compressed-timestamp headers count only when the file used them before; definitions
    must pass the strict check. The timestamps the messages carry must lie within a day of
    each other and of ``anchor`` (the last time before the damage): a restart one byte off
    reads a time out of the middle of other fields.
    """
    times: list[int] = []
    for _ in range(need):
        if q >= end:
            break
        header = data[q]
        if header & 0x40 and not header & 0x80:
            parsed = read_definition(data, q, end, strict=True)
            if isinstance(parsed, str):
                return None
            layouts = [*layouts]  # a trial definition must not leak into the real state
            layouts[header & 0x0F] = parsed.layout
            q = parsed.end
            continue
        layout = data_layout(header, layouts, compressed)
        if layout is None or q + layout.size > end:
            return None
        times += timestamp(data, q, layout)
        q += layout.size
    if anchor is not None:
        times.append(anchor)
    return times if not times or max(times) - min(times) <= DAY_S else None


DAY_S = 86_400


def data_layout(
    header: int, layouts: list[MessageDef | None], compressed: bool
) -> MessageDef | None:
    """The layout a data message header names, None if it names none."""
    if header & 0x80:
        return layouts[(header >> 5) & 3] if compressed else None
    return None if header & 0x30 else layouts[header & 0x0F]


def timestamp(data: bytes, q: int, layout: MessageDef) -> list[int]:
    """The timestamp field of the data message at ``q``, as a list of 0 or 1 values."""
    for f in layout.fields:
        if f.num == TIMESTAMP and f.size == 4:
            at = q + f.offset
            value = int.from_bytes(data[at : at + 4], "big" if layout.big_endian else "little")
            return [] if value == 0xFFFFFFFF else [value]
    return []
