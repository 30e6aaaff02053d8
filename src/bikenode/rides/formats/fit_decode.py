"""Vectorised field decoding: the data messages of one layout become numpy columns at once.

For each message layout, the bytes of all its data messages are gathered into one
(messages x message size) array, viewed through a numpy structured dtype with the layout's
byte order, and each wanted field is converted to float64 with invalid values set to NaN.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.fit_defs import FieldDef, MessageDef
from bikenode.rides.formats.fit_profile import BASE_SIZES, BASE_TYPES, BYTE, STRING, TIMESTAMP
from bikenode.rides.formats.fit_scan import Framing

IntArray = npt.NDArray[np.int64]


class Messages:
    """The data messages of a framed FIT file, decoded on demand by global message number."""

    def __init__(self, data: bytes, framing: Framing) -> None:
        self.data = data
        self.bytes = np.frombuffer(data, dtype=np.uint8)
        self.warnings = framing.warnings
        self.by_global: dict[int, list[MessageDef]] = {}
        for mdef in framing.defs:
            if mdef.offsets.size:
                self.by_global.setdefault(mdef.global_num, []).append(mdef)
        self._rolled_times: dict[int, FloatArray] | None = None
        self._warned: set[tuple[int, int]] = set()

    def count(self, global_num: int) -> int:
        """How many messages of this global number the file holds."""
        return sum(int(mdef.offsets.size) for mdef in self.by_global.get(global_num, []))

    def table(self, global_num: int, nums: Iterable[int]) -> tuple[IntArray, dict[int, FloatArray]]:
        """Return file offsets and columns (raw units, NaN = invalid or absent) of one message."""
        wanted = tuple(nums)
        defs = self.by_global.get(global_num, [])
        offset_parts: list[IntArray] = []
        column_parts: dict[int, list[FloatArray]] = {num: [] for num in wanted}
        for mdef in defs:
            offsets = mdef.offsets
            decoded = self._decode(mdef, offsets, wanted)
            rolled = self._rolled()
            if TIMESTAMP in wanted and rolled:
                decoded[TIMESTAMP] = rolled[id(mdef)]
            for num in wanted:
                column = decoded.get(num)
                column_parts[num].append(_missing(offsets.size) if column is None else column)
            offset_parts.append(offsets)
        if not defs:
            return np.zeros(0, dtype=np.int64), {num: _missing(0) for num in wanted}
        all_offsets = np.concatenate(offset_parts)
        # Several layouts of one message interleave in the file: put them back in file order.
        order = np.argsort(all_offsets, kind="stable") if len(defs) > 1 else slice(None)
        columns = {num: np.concatenate(parts)[order] for num, parts in column_parts.items()}
        return all_offsets[order], columns

    def strings(self, global_num: int, num: int) -> list[str]:
        """Return one string field of every message, in file order ("" where absent)."""
        found: list[tuple[int, str]] = []
        for mdef in self.by_global.get(global_num, []):
            text = next(
                (f for f in mdef.fields if f.num == num and f.base_type & 0x1F == STRING), None
            )
            for offset in mdef.offsets.tolist():
                found.append((offset, self._string(offset, text) if text else ""))
        return [value for _, value in sorted(found)]

    def _string(self, offset: int, f: FieldDef) -> str:
        raw = self.data[offset + f.offset : offset + f.offset + f.size]
        text = raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        return text if text.isprintable() else ""  # damaged bytes are not a name

    def _decode(
        self, mdef: MessageDef, offsets: IntArray, wanted: tuple[int, ...]
    ) -> dict[int, FloatArray]:
        fields = [f for f in mdef.fields if f.num in wanted and self._decodable(mdef, f)]
        if not fields or offsets.size == 0:
            return {}
        rows = sliding_window_view(self.bytes, mdef.size)[offsets]
        order = ">" if mdef.big_endian else "<"
        layout = np.dtype(
            {
                "names": [f"f{i}" for i in range(len(fields))],
                "formats": [_field_format(f, order) for f in fields],
                "offsets": [f.offset for f in fields],
                "itemsize": mdef.size,
            }
        )
        records = rows.view(layout).reshape(-1)
        return {f.num: _values(records[f"f{i}"], f) for i, f in enumerate(fields)}

    def _decodable(self, mdef: MessageDef, f: FieldDef) -> bool:
        base = f.base_type & 0x1F
        if base >= len(BASE_TYPES) or base == STRING or f.size == 0:
            return False
        if base == BYTE or f.size % BASE_SIZES[base] == 0:
            return True
        if (mdef.global_num, f.num) not in self._warned:
            self._warned.add((mdef.global_num, f.num))
            self.warnings.append(
                f"field {f.num} of message {mdef.global_num} is {f.size} bytes, not a multiple "
                f"of its base type's {BASE_SIZES[base]}; ignored it"
            )
        return False

    def _rolled(self) -> dict[int, FloatArray]:
        """Timestamps by id(layout) when the file uses compressed timestamp headers, else {}."""
        if self._rolled_times is None:
            self._rolled_times = self._roll_all_times()
        return self._rolled_times

    def _roll_all_times(self) -> dict[int, FloatArray]:
        """Timestamps of every message, compressed-timestamp headers resolved; {} if none."""
        defs = [m for ms in self.by_global.values() for m in ms]
        offsets = [m.offsets for m in defs]
        headers = [self.bytes[o] for o in offsets]
        if not any((h & 0x80).any() for h in headers):
            return {}
        stamps = [self._stamps(m, o) for m, o in zip(defs, offsets, strict=True)]
        flat_stamps = np.concatenate(stamps)
        flat_headers = np.concatenate(headers)
        order = np.argsort(np.concatenate(offsets), kind="stable")
        rolled = np.empty_like(flat_stamps)
        rolled[order] = roll_compressed_times(flat_stamps[order], flat_headers[order])
        bounds = np.cumsum([0] + [o.size for o in offsets])
        return {id(m): rolled[bounds[i] : bounds[i + 1]] for i, m in enumerate(defs)}

    def _stamps(self, mdef: MessageDef, offsets: IntArray) -> FloatArray:
        stamps = self._decode(mdef, offsets, (TIMESTAMP,)).get(TIMESTAMP)
        return _missing(offsets.size) if stamps is None else stamps


def roll_compressed_times(stamps: FloatArray, headers: npt.NDArray[np.uint8]) -> FloatArray:
    """Fill in the times of compressed-timestamp messages (in file order) from the ones before.

    A compressed header carries the low 5 bits of the time; the rest comes from the last
    timestamp seen, rolling over when those 5 bits wrap. Before any full timestamp: NaN.
    """
    full = ~np.isnan(stamps)
    compressed = ((headers & 0x80) != 0) & ~full
    used = full | compressed
    times, rolled = stamps[used], compressed[used]
    low = np.where(rolled, headers[used] & 0x1F, np.nan_to_num(times).astype(np.int64) & 0x1F)
    step = np.zeros(times.size, dtype=np.int64)
    step[1:] = (low[1:] - low[:-1]) & 0x1F
    step[~rolled] = 0
    climbed = np.cumsum(step)
    anchors = np.flatnonzero(~rolled)
    anchor_of = np.cumsum(~rolled) - 1  # index into anchors of the last full timestamp
    known = anchor_of >= 0
    out = np.full(times.size, np.nan)
    start = anchors[anchor_of[known]]
    out[known] = times[start] + (climbed[known] - climbed[start])
    result = stamps.copy()
    result[used] = out
    return result


def _missing(size: int) -> FloatArray:
    return np.full(size, np.nan)


def _field_format(f: FieldDef, order: str) -> object:
    base = f.base_type & 0x1F
    if base == BYTE:
        return (np.uint8, (f.size,))  # a byte array is read whole
    return order + BASE_TYPES[base][0]  # arrays of numbers: their first element


def _values(raw: npt.NDArray[np.generic], f: FieldDef) -> FloatArray:
    """Convert one raw column to float64 with the base type's invalid value as NaN."""
    base = f.base_type & 0x1F
    if base == BYTE:
        return _byte_values(raw.astype(np.uint8))
    values = raw.astype(np.float64)
    invalid = BASE_TYPES[base][1]
    if invalid is not None:
        values[raw == invalid] = np.nan
    else:
        values[~np.isfinite(values)] = np.nan
    return values


def _byte_values(raw: npt.NDArray[np.uint8]) -> FloatArray:
    """A byte array as one little-endian integer (up to 6 bytes kept); all 0xFF is invalid."""
    raw = raw.reshape(raw.shape[0], -1)
    width = min(raw.shape[1], 6)
    value = np.zeros(raw.shape[0], dtype=np.int64)
    for k in range(width):
        value |= raw[:, k].astype(np.int64) << (8 * k)
    values = value.astype(np.float64)
    values[(raw == 0xFF).all(axis=1)] = np.nan
    return values
