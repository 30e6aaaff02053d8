"""Framing of FIT files: file headers, message definitions and where each data message sits.

This pass turns no data message into Python objects. It walks the record headers and notes,
for every distinct message layout, the byte offset of each data message that uses it; fit.py
then gathers those bytes into numpy arrays in one go. Chained FIT files (several files one
after another) are framed as one stream of messages.

When the bytes stop making sense (a data message with no definition, a definition with a
bad architecture byte) the scanner looks for the next offset from which several messages in
a row parse cleanly, resumes there and says what it skipped; a file cut short keeps every
message before the cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.fit_crc import crc16
from bikenode.rides.formats.fit_defs import (
    CUT_SHORT,
    DAY_S,
    MessageDef,
    chain_times,
    data_layout,
    definition_end,
    definition_key,
    read_definition,
    timestamp,
)

IntArray = npt.NDArray[np.int64]

_MAX_RESYNCS = 32  # past this many damaged spots the rest of the file is not worth the time
_RESYNC_WINDOW = 1 << 16  # bytes searched for a clean restart after each damaged spot
_CHAIN = 8  # messages in a row that must parse to trust a restart offset
_CHAIN_COMPRESSED = 32  # ...when compressed headers (half of all byte values) are in play
_LOOK_BACK = 64  # messages searched back for the last time before a damaged spot


@dataclass
class Framing:
    """What framing found: message layouts with their offsets, and what was wrong."""

    defs: list[MessageDef]
    warnings: list[str]
    parts: int  # FIT files found one after another in the data


def frame_fit(data: bytes) -> Framing:
    """Return the message layouts of a FIT file (chained files included) and what was wrong."""
    _check_first_header(data)
    scanner = _Scanner(data)
    pos, parts = 0, 0
    while pos < len(data):
        if parts and not _next_part_starts(scanner, pos):
            break
        pos = scanner.scan_file(pos)
        parts += 1
    return Framing(scanner.layouts_with_offsets(), scanner.warnings, parts)


def _check_first_header(data: bytes) -> None:
    if len(data) < 12:
        empty = " (an empty file)" if not data else ""
        raise ParseError(f"expected a FIT file header of 12 or 14 bytes, got {len(data)}{empty}")
    problem = _header_problem(data, 0)
    if problem:
        raise ParseError(problem)


def _header_problem(data: bytes, pos: int) -> str | None:
    """Say why the bytes at ``pos`` are not a FIT file header, or None if they are one."""
    size = data[pos]
    if size < 12:
        return f"expected a FIT file header of 12 or 14 bytes, got a header size of {size}"
    signature = data[pos + 8 : pos + 12]
    if signature != b".FIT":
        return f"expected '.FIT' at bytes 8-11 of a FIT file header, got {signature!r}"
    if pos + size > len(data):
        return f"expected a FIT file header of {size} bytes, got {len(data) - pos}"
    return None


def _next_part_starts(scanner: _Scanner, pos: int) -> bool:
    """Tell whether another FIT file follows at ``pos``; warn about bytes that are not one."""
    data = scanner.data
    rest = len(data) - pos
    if data.count(0, pos) == rest:
        return False  # zero padding after the last file is common and harmless
    problem = _header_problem(data, pos) if rest >= 12 else f"only {rest} bytes are left"
    if problem is None:
        return True
    scanner.warnings.append(
        f"ignored the last {rest} bytes from byte {pos}: they are not another FIT file ({problem})"
    )
    return False


class _Scanner:
    """Walks the messages of one or more chained FIT files, collecting data message offsets.

    The walk only appends each data message's offset to one list (the cheapest thing Python
    can do per message); which layout each message uses is worked out at the end, with
    numpy, from the header bytes and the offsets where each local type was (re)defined.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.bytes = np.frombuffer(data, dtype=np.uint8)
        self.layouts: list[MessageDef] = []
        self.index_of: dict[bytes, int] = {}  # definition key -> index in layouts
        self.warnings: list[str] = []
        self.resyncs = 0
        self.sizes = [0] * 256  # data message size by header byte; 0: not a known data header
        self.local: list[int | None] = [None] * 16  # layout index by local message type
        self.found: list[int] = []  # offsets of data messages, in file order
        self.installs: list[tuple[int, int, int]] = []  # (offset, local type, layout index)

    def scan_file(self, pos: int) -> int:
        """Frame the FIT file whose header is at ``pos``; return the offset just past it."""
        data = self.data
        header_size = data[pos]
        data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        self._check_header_crc(pos, header_size)
        start, end = pos + header_size, pos + header_size + data_size
        if data_size == 0 or end > len(data):
            end = self._unbounded_end(pos, start, data_size)
            next_pos = len(data)
        else:
            self._check_file_crc(pos, end)
            next_pos = end + 2
        # Local message types are scoped to one file of a chain.
        self.sizes[:] = [0] * 256
        self.local[:] = [None] * 16
        self._scan_data(start, end)
        return next_pos

    def layouts_with_offsets(self) -> list[MessageDef]:
        """Every layout, its ``offsets`` filled with the data messages that use it."""
        if not self.layouts:
            return []
        offsets = np.array(self.found, dtype=np.int64)
        layout_of = self._layout_of(offsets)
        # A stable sort on 16-bit keys is a radix sort in numpy: linear time.
        keys = layout_of.astype(np.uint16) if len(self.layouts) <= 0xFFFF else layout_of
        order = np.argsort(keys, kind="stable")
        counts = np.bincount(layout_of, minlength=len(self.layouts))
        chunks = np.split(offsets[order], np.cumsum(counts)[:-1])
        for layout, chunk in zip(self.layouts, chunks, strict=True):
            layout.offsets = chunk
        return self.layouts

    def _layout_of(self, offsets: IntArray) -> IntArray:
        """Layout index of each data message: the last definition of its local type before it."""
        if not self.installs:
            return np.zeros(0, dtype=np.int64)
        headers = self.bytes[offsets].astype(np.int64)
        local = np.where(headers & 0x80, (headers >> 5) & 3, headers & 0x0F)
        installs = np.array(self.installs, dtype=np.int64)
        # One sorted key (local type, then offset) finds every message's definition at once.
        install_keys = installs[:, 1] << 40 | installs[:, 0]
        by_key = np.argsort(install_keys, kind="stable")
        last = np.searchsorted(install_keys[by_key], local << 40 | offsets, side="right") - 1
        layout_of: IntArray = installs[by_key[last], 2]
        return layout_of

    def _unbounded_end(self, pos: int, start: int, data_size: int) -> int:
        available = len(self.data) - start
        if data_size == 0:
            self.warnings.append(
                f"the FIT header at byte {pos} gives a data size of 0 (a recording that was "
                f"never finished); decoded the {available} bytes that follow it"
            )
        else:
            self.warnings.append(
                f"the FIT header at byte {pos} promises {data_size} bytes of data but only "
                f"{available} follow it; the file is cut short, decoded what is there"
            )
        return len(self.data)

    def _check_header_crc(self, pos: int, header_size: int) -> None:
        if header_size < 14:
            return
        stored = int.from_bytes(self.data[pos + 12 : pos + 14], "little")
        computed = crc16(self.data[pos : pos + 12])
        if stored not in (0, computed):  # 0 means the writer did not compute it
            self.warnings.append(
                f"FIT header CRC at byte {pos + 12} is 0x{stored:04X}, expected "
                f"0x{computed:04X}; decoded the file anyway"
            )

    def _check_file_crc(self, pos: int, end: int) -> None:
        if end + 2 > len(self.data):
            self.warnings.append(f"the FIT file ends at byte {end} without its 2-byte CRC")
            return
        stored = int.from_bytes(self.data[end : end + 2], "little")
        computed = crc16(memoryview(self.data)[pos:end])
        if stored != computed:
            self.warnings.append(
                f"FIT file CRC at byte {end} is 0x{stored:04X}, expected 0x{computed:04X}; "
                f"the data decoded anyway, so it was kept"
            )

    def _scan_data(self, start: int, end: int) -> None:
        p: int | None = start
        while p is not None:
            p = _walk(self.data, p, end, self.sizes, self.found.append)
            if p == end:
                return
            if p > end:
                self._cut_last(end)
                return
            p = self._step_over_non_data(p, end)

    def _step_over_non_data(self, p: int, end: int) -> int | None:
        """Install the definition at ``p`` or recover from what is there; None ends the file."""
        header = self.data[p]
        if header & 0xC0 != 0x40:
            return self._resync(p, end, _undefined_problem(header, p))
        stop = definition_end(self.data, p, end)
        if stop is not None:
            # Some writers repeat the same definitions hundreds of times: parse each once.
            index = self.index_of.get(definition_key(self.data, p, stop))
            if index is not None:
                self._install(p, header & 0x0F, index)
                return stop
        parsed = read_definition(self.data, p, end, strict=False)
        if isinstance(parsed, str):
            if parsed.startswith(CUT_SHORT):
                self.warnings.append(parsed)
                return None
            return self._resync(p, end, parsed)
        self.index_of[parsed.key] = len(self.layouts)
        self.layouts.append(parsed.layout)
        self._install(p, header & 0x0F, len(self.layouts) - 1)
        return parsed.end

    def _install(self, at: int, local: int, index: int) -> None:
        self.local[local] = index
        self.installs.append((at, local, index))
        size = self.layouts[index].size
        # Data headers name the local type in the low 4 bits; peers ignore the reserved bits.
        for header in (local, local | 0x10, local | 0x20, local | 0x30):
            self.sizes[header] = size
        if local < 4:  # compressed timestamp headers can only name local types 0-3
            first = 0x80 | local << 5
            self.sizes[first : first + 32] = [size] * 32

    def _cut_last(self, end: int) -> None:
        offset = self.found.pop()
        self.warnings.append(
            f"{CUT_SHORT}: the message at byte {offset} needs {self.sizes[self.data[offset]]} "
            f"bytes but the data ends at byte {end}; kept the messages before it"
        )

    def _resync(self, fail_at: int, end: int, problem: str) -> int | None:
        """Find where clean messages resume after damage at ``fail_at``; drop what it spoiled."""
        self.resyncs += 1
        found = self.found
        # The message just before the damage ran into it if it ends exactly there.
        suspect = bool(found) and found[-1] + self.sizes[self.data[found[-1]]] == fail_at
        search_from = found[-1] + 1 if suspect else fail_at + 1
        restart = None
        if self.resyncs <= _MAX_RESYNCS:
            restart = self._find_restart(search_from, end, len(found) - suspect)
        dropped = ""
        if suspect and self._spoiled(found[-1], fail_at, restart):
            dropped = f"; dropped the message at byte {found.pop()} that ran into it"
        if restart is None:
            self.warnings.append(
                f"{problem}{dropped}; no readable messages follow, so the remaining "
                f"{end - fail_at} bytes of this FIT data were ignored"
            )
            return None
        self.warnings.append(
            f"{problem}{dropped}; skipped to byte {restart[0]} where messages parse again"
        )
        return restart[0]

    def _spoiled(self, suspect: int, fail_at: int, restart: tuple[int, list[int]] | None) -> bool:
        """Whether the message before the damage is damaged too (and so not to be kept)."""
        if restart is None or restart[0] < fail_at:
            return True  # nothing readable follows, or the restart lies inside it
        layout = data_layout(self.data[suspect], self._local_layouts(), compressed=True)
        own = timestamp(self.data, suspect, layout) if layout else []
        # A time far from those of the messages after the damage was read from shifted bytes.
        return bool(own and restart[1]) and abs(own[0] - sorted(restart[1])[0]) > DAY_S

    def _local_layouts(self) -> list[MessageDef | None]:
        return [self.layouts[i] if i is not None else None for i in self.local]

    def _find_restart(self, start: int, end: int, trusted: int) -> tuple[int, list[int]] | None:
        """First offset from ``start`` where several messages in a row parse cleanly, and
        the timestamps they carry."""
        layouts = self._local_layouts()
        trusted_offsets = np.array(self.found[:trusted], dtype=np.int64)
        compressed = bool((self.bytes[trusted_offsets] & 0x80).any())
        need = _CHAIN_COMPRESSED if compressed else _CHAIN
        anchor = self._last_time(trusted)
        for q in range(start, min(end, start + _RESYNC_WINDOW)):
            times = chain_times(
                self.data, q, end, layouts, compressed=compressed, need=need, anchor=anchor
            )
            if times is not None:
                return q, times
        return None

    def _last_time(self, trusted: int) -> int | None:
        """The timestamp of the last of the first ``trusted`` data messages that has one."""
        for offset in reversed(self.found[max(0, trusted - _LOOK_BACK) : trusted]):
            header = self.data[offset]
            local = (header >> 5) & 3 if header & 0x80 else header & 0x0F
            index = next(
                (i for at, lt, i in reversed(self.installs) if lt == local and at < offset), None
            )
            found = [] if index is None else timestamp(self.data, offset, self.layouts[index])
            if found:
                return found[0]
        return None


def _walk(data: bytes, p: int, end: int, sizes: list[int], append: Callable[[int], None]) -> int:
    """Step over data messages whose layout is known; return the offset where that stops.

    This loop runs once per message of the file, so it does nothing else: appending to one
    list costs a third of appending to one array per layout.
    """
    while p < end:
        size = sizes[data[p]]
        if not size:
            return p
        append(p)
        p += size
    return p


def _undefined_problem(header: int, p: int) -> str:
    if header & 0x80:
        local = (header >> 5) & 3
        return f"compressed-timestamp message at byte {p} uses undefined local message {local}"
    return f"data message at byte {p} uses undefined local message {header & 0x0F}"
