"""Read the nodes and the highway ways of an OpenStreetMap PBF extract, from its bytes.

The format (wiki.openstreetmap.org/wiki/PBF_Format) is a sequence of length-prefixed blobs,
each a zlib-compressed protobuf block. Only what routing needs is decoded: dense and plain
nodes (id, position) and ways carrying a ``highway`` tag (node refs and tags). Packed varints
are decoded with numpy, so a city extract reads in about a second. No I/O here.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MAX_HEADER_BYTES: Final = 64 * 1024  # the format's own limit
MAX_BLOB_BYTES: Final = 32 * 1024 * 1024  # the format's own limit, compressed or not
MAX_WAY_NODES: Final = 100_000
SUPPORTED_FEATURES: Final = frozenset({b"OsmSchema-V0.6", b"DenseNodes"})


class PbfError(ValueError):
    """Bytes that are not an OpenStreetMap PBF extract this reader can read."""


@dataclass
class Way:
    """A way with a highway tag: its node ids in order and its tags."""

    id: int
    refs: IntArray
    tags: dict[str, str]


@dataclass
class Extract:
    """Node ids (sorted), their positions in degrees, and the highway ways."""

    node_ids: IntArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    ways: list[Way] = field(default_factory=list)


def read_extract(data: bytes) -> Extract:
    """The nodes and highway ways of a PBF file's bytes; PbfError if malformed."""
    ids: list[IntArray] = []
    lats: list[FloatArray] = []
    lons: list[FloatArray] = []
    ways: list[Way] = []
    seen_header = False
    for kind, payload in _blobs(data):
        if kind == b"OSMHeader":
            _check_header(payload)
            seen_header = True
        elif kind == b"OSMData":
            if not seen_header:
                raise PbfError("expected an OSMHeader block before the first OSMData block")
            _read_block(payload, ids, lats, lons, ways)
    if not seen_header:
        raise PbfError("expected an OSMHeader block, found none")
    node_ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    order = np.argsort(node_ids, kind="stable")
    lat = np.concatenate(lats)[order] if lats else np.zeros(0)
    lon = np.concatenate(lons)[order] if lons else np.zeros(0)
    return Extract(node_ids[order], lat, lon, ways)


def _blobs(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    at = 0
    while at < len(data):
        if at + 4 > len(data):
            raise PbfError(f"expected a 4-byte block length at byte {at}, got the end of file")
        (size,) = struct.unpack_from(">I", data, at)
        if size > MAX_HEADER_BYTES:
            raise PbfError(f"expected a block header under {MAX_HEADER_BYTES} bytes, got {size}")
        header = data[at + 4 : at + 4 + size]
        kind, blob_size = b"", -1
        for number, value in _fields(header):
            if number == 1 and isinstance(value, bytes):
                kind = value
            elif number == 3 and isinstance(value, int):
                blob_size = value
        start = at + 4 + size
        if not 0 <= blob_size <= MAX_BLOB_BYTES or start + blob_size > len(data):
            raise PbfError(f"expected a block of at most {MAX_BLOB_BYTES} bytes, got {blob_size}")
        yield kind, _blob_payload(data[start : start + blob_size])
        at = start + blob_size


def _blob_payload(blob: bytes) -> bytes:
    raw_size = 0
    for number, value in _fields(blob):
        if number == 1 and isinstance(value, bytes):
            return value
        if number == 2 and isinstance(value, int):
            raw_size = value
        elif number == 3 and isinstance(value, bytes):
            if not 0 < raw_size <= MAX_BLOB_BYTES:
                raise PbfError(f"expected a block size up to {MAX_BLOB_BYTES}, got {raw_size}")
            inflater = zlib.decompressobj()
            try:
                payload = inflater.decompress(value, raw_size)
            except zlib.error as error:
                raise PbfError(f"expected zlib data in a block, got {error}") from None
            if len(payload) != raw_size or inflater.unconsumed_tail:
                raise PbfError(f"expected a block of {raw_size} bytes, got another size")
            return payload
        elif number in (4, 5, 6, 7):
            raise PbfError("expected raw or zlib blocks, got another compression")
    raise PbfError("expected data in a block, got none")


def _check_header(payload: bytes) -> None:
    for number, value in _fields(payload):
        if number == 4 and isinstance(value, bytes) and value not in SUPPORTED_FEATURES:
            raise PbfError(f"expected only {sorted(SUPPORTED_FEATURES)}, got {value!r}")


def _read_block(
    payload: bytes,
    ids: list[IntArray],
    lats: list[FloatArray],
    lons: list[FloatArray],
    ways: list[Way],
) -> None:
    strings: list[bytes] = []
    groups: list[bytes] = []
    granularity, lat_offset, lon_offset = 100, 0, 0
    for number, value in _fields(payload):
        if number == 1 and isinstance(value, bytes):
            strings = [s for n, s in _fields(value) if n == 1 and isinstance(s, bytes)]
        elif number == 2 and isinstance(value, bytes):
            groups.append(value)
        elif number == 17 and isinstance(value, int):
            granularity = value
        elif number == 19 and isinstance(value, int):
            lat_offset = _signed(value)
        elif number == 20 and isinstance(value, int):
            lon_offset = _signed(value)
    scale = (granularity, lat_offset, lon_offset)
    highway = strings.index(b"highway") if b"highway" in strings else -1
    for group in groups:
        for number, value in _fields(group):
            if not isinstance(value, bytes):
                continue
            if number == 2:
                _dense(value, scale, ids, lats, lons)
            elif number == 1:
                _node(value, scale, ids, lats, lons)
            elif number == 3 and highway >= 0:
                way = _way(value, strings, highway)
                if way is not None:
                    ways.append(way)


def _dense(
    value: bytes,
    scale: tuple[int, int, int],
    ids: list[IntArray],
    lats: list[FloatArray],
    lons: list[FloatArray],
) -> None:
    packed = {n: v for n, v in _fields(value) if n in (1, 8, 9) and isinstance(v, bytes)}
    node_ids, lat, lon = (np.cumsum(_zigzag(_varints(packed.get(n, b"")))) for n in (1, 8, 9))
    if not len(node_ids) == len(lat) == len(lon):
        raise PbfError(
            f"expected as many positions as node ids, got {len(lat)} for {len(node_ids)}"
        )
    granularity, lat_offset, lon_offset = scale
    ids.append(node_ids)
    lats.append(np.asarray((lat_offset + granularity * lat) * 1e-9, np.float64))
    lons.append(np.asarray((lon_offset + granularity * lon) * 1e-9, np.float64))


def _node(
    value: bytes,
    scale: tuple[int, int, int],
    ids: list[IntArray],
    lats: list[FloatArray],
    lons: list[FloatArray],
) -> None:
    found = {n: _zigzag_one(v) for n, v in _fields(value) if n in (1, 8, 9) and isinstance(v, int)}
    granularity, lat_offset, lon_offset = scale
    ids.append(np.array([found.get(1, 0)], np.int64))
    lats.append(np.array([(lat_offset + granularity * found.get(8, 0)) * 1e-9]))
    lons.append(np.array([(lon_offset + granularity * found.get(9, 0)) * 1e-9]))


def _way(value: bytes, strings: list[bytes], highway: int) -> Way | None:
    way_id, keys, values, refs = 0, b"", b"", b""
    for number, item in _fields(value):
        if number == 1 and isinstance(item, int):
            way_id = item
        elif number == 2 and isinstance(item, bytes):
            keys = item
        elif number == 3 and isinstance(item, bytes):
            values = item
        elif number == 8 and isinstance(item, bytes):
            refs = item
    key_index = _varints(keys)
    if highway not in key_index:
        return None
    value_index = _varints(values)
    if len(value_index) != len(key_index) or max(key_index.max(), value_index.max()) >= len(
        strings
    ):
        raise PbfError(f"expected tags of way {way_id} to index the string table, they do not")
    nodes = np.cumsum(_zigzag(_varints(refs)))
    if len(nodes) > MAX_WAY_NODES:
        raise PbfError(f"expected ways of at most {MAX_WAY_NODES} nodes, got {len(nodes)}")
    tags = {
        strings[k].decode("utf-8", "replace"): strings[v].decode("utf-8", "replace")
        for k, v in zip(key_index.tolist(), value_index.tolist(), strict=True)
    }
    return Way(way_id, nodes, tags)


def _fields(buffer: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: an int for varints, bytes otherwise."""
    at, end = 0, len(buffer)
    while at < end:
        key, at = _varint(buffer, at)
        wire = key & 7
        if wire == 0:
            number, at = _varint(buffer, at)
            yield key >> 3, number
        elif wire == 2:
            length, at = _varint(buffer, at)
            if at + length > end:
                raise PbfError(f"expected {length} bytes of a field, got {end - at}")
            yield key >> 3, buffer[at : at + length]
            at += length
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            yield key >> 3, buffer[at : at + width]
            at += width
        else:
            raise PbfError(f"expected a protobuf wire type 0, 1, 2 or 5, got {wire}")


def _varint(buffer: bytes, at: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if at >= len(buffer) or shift > 63:
            raise PbfError("expected a complete varint, got the end of its field")
        byte = buffer[at]
        result |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return result, at
        shift += 7


def _varints(buffer: bytes) -> IntArray:
    """A packed run of varints, decoded at once: each value's 7-bit groups, shifted, summed."""
    raw = np.frombuffer(buffer, np.uint8)
    if raw.size == 0:
        return np.zeros(0, np.int64)
    if raw[-1] >= 0x80:
        raise PbfError("expected a packed field to end with a complete varint, it does not")
    ends = np.flatnonzero(raw < 0x80)
    starts = np.concatenate(([0], ends[:-1] + 1))
    if int((ends - starts).max()) > 9:
        raise PbfError("expected varints of at most 10 bytes, got a longer one")
    owner = np.repeat(np.arange(ends.size), ends - starts + 1)
    shift = (np.arange(raw.size) - starts[owner]) * 7
    groups = (raw & 0x7F).astype(np.uint64) << shift.astype(np.uint64)
    return np.add.reduceat(groups, starts).view(np.int64)


def _zigzag(values: IntArray) -> IntArray:
    unsigned = values.view(np.uint64)
    return ((unsigned >> np.uint64(1)).view(np.int64)) ^ -(values & 1)


def _zigzag_one(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value
