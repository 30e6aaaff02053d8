"""A zip's structure read by hand, where zipfile would trust what the archive declares.

The directory's size is read before zipfile loads it, members whose data overlap are found
(the trick that lets a 42-byte bomb fan out), and when the central directory is gone the
members are walked by their local headers.
"""

from __future__ import annotations

import itertools
import os
import struct
import zipfile
from dataclasses import dataclass

from bikenode.rides.formats.limited_streams import (
    CHUNK,
    ENTRY_ERRORS,
    Counted,
    CrcChecked,
    Inflater,
    Meter,
    Readable,
    Window,
)

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def directory_size(f: Counted) -> tuple[int, int] | None:
    """Members and bytes the end-of-directory record declares, read before zipfile does."""
    size = f.seek(0, os.SEEK_END)
    tail_start = max(0, size - _EOCD.size - 0xFFFF)
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return None
    fields = _EOCD.unpack_from(tail, at)
    members, directory_bytes = fields[4], fields[5]
    if members != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return members, directory_bytes
    return _zip64_directory_size(f, tail_start + at)


def _zip64_directory_size(f: Counted, eocd_at: int) -> tuple[int, int] | None:
    # zipfile itself expects the zip64 record right before its locator, so we do too.
    start = eocd_at - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
    if start < 0:
        return None
    f.seek(start)
    record = f.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
        return None
    fields = _ZIP64_EOCD.unpack(record)
    return fields[7], fields[8]


def overlapping_members(infos: list[zipfile.ZipInfo]) -> set[zipfile.ZipInfo]:
    """Members whose data runs into the next member: overlap is how 42-byte bombs fan out."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    return {
        a
        for a, b in itertools.pairwise(ordered)
        if a.header_offset + _LOCAL_HEADER.size + a.compress_size > b.header_offset
    }


@dataclass(frozen=True)
class LocalMember:
    name: str
    flags: int
    method: int
    crc: int
    size: int | None  # compressed bytes; None when a data descriptor follows the data
    data_at: int


def read_local_header(f: Counted, offset: int) -> LocalMember | None:
    f.seek(offset)
    raw = f.read(_LOCAL_HEADER.size)
    if len(raw) < _LOCAL_HEADER.size or raw[:4] != ZIP_MAGICS[0]:
        return None
    fields = _LOCAL_HEADER.unpack(raw)
    flags, method, crc, size, name_len, extra_len = (fields[i] for i in (3, 4, 7, 8, 10, 11))
    name_raw, extra = f.read(name_len), f.read(extra_len)
    if len(name_raw) < name_len or len(extra) < extra_len:
        return None
    name = name_raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
    known = None if flags & 0x8 else _zip64_size(size, extra)
    data_at = offset + _LOCAL_HEADER.size + name_len + extra_len
    return LocalMember(name, flags, method, crc, known, data_at)


def _zip64_size(size: int, extra: bytes) -> int | None:
    if size != 0xFFFFFFFF:
        return size
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, at)
        if tag == 1 and length >= 16:
            return int(struct.unpack_from("<Q", extra, at + 12)[0])
        at += 4 + length
    return None


def local_stream(f: Counted, member: LocalMember) -> Readable:
    end = f.seek(0, os.SEEK_END)
    window = Window(f, member.data_at, end - member.data_at if member.size is None else member.size)
    if member.method != zipfile.ZIP_DEFLATED:
        return window if member.size is None else CrcChecked(window, member.crc)
    inflater = Inflater(window, gzip=False)
    return inflater if member.size is None else CrcChecked(inflater, member.crc)


def next_local_header(
    f: Counted, member: LocalMember, stream: Readable, meter: Meter
) -> int | None:
    """Where the next local header starts, or None when that cannot be known."""
    if member.size is not None:
        end = member.data_at + member.size
    elif isinstance(stream, Inflater):
        try:  # the member may be unread (skipped) or half read (failed): find its end
            while chunk := stream.read(CHUNK):
                meter.add(len(chunk), None)
        except ENTRY_ERRORS:
            return None
        end = member.data_at + stream.consumed
    else:
        return None  # stored data followed by a descriptor has no findable end
    f.seek(end)
    # A data descriptor (12 to 24 bytes) may sit between the data and the next header.
    at = f.read(28).find(ZIP_MAGICS[0])
    return end + at if at >= 0 else None
