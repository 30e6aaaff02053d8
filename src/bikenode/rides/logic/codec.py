"""Columnar compressed storage of a ride's streams: numpy arrays in, one blob out.

Layout of a version-1 blob (all integers little-endian):

    b"BNST" | version u8 | compressor u8 | payload length u32 | CRC-32 u32 | compressed payload

The CRC covers the ten header bytes before it and the uncompressed payload, so a flipped
or missing byte anywhere is caught. The payload is a varint stream count, then per stream:
name, point count, kind and data. Kind "decimal" stores every finite value as an integer
count of 10**-decimals, differenced once or twice (whichever is smaller), zigzag-mapped and
byte-shuffled into fixed-width planes; NaN positions are kept as alternating run lengths.
Kind "float64" keeps the raw IEEE bytes (also byte-shuffled) for values no decimal fits.

Precision: a stream keeps the fewest decimals (from 0 up to its limit below) that reproduce
every value exactly; values that need more are rounded at the limit. So heart rate, cadence
and power recorded as integers come back exact, with decimals they keep 0.1; time keeps
milliseconds; latitude and longitude 1e-7 degree; elevation and distance 1 cm; speed 1 mm/s;
temperature 0.1 C. Streams with other names are stored exactly (up to 6 decimals, else as
raw float64), and so are infinities. The sign of a zero is not kept.
"""

from __future__ import annotations

import lzma
import struct
import zlib
from collections.abc import Collection

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray

__all__ = ["FORMAT_VERSION", "CorruptStreamBlob", "decode_streams", "encode_streams"]

FORMAT_VERSION = 1
_MAGIC = b"BNST"
_PREFIX = struct.Struct("<4sBBI")  # magic, version, compressor, payload length
_CRC = struct.Struct("<I")
_HEADER_SIZE = _PREFIX.size + _CRC.size
_COMPRESSOR_LZMA2 = 1
# A 1 MiB window holds a long ride's payload; the decoder allocates the whole window, so a
# preset's 64 MiB default would cost that much memory on every load.
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9, "dict_size": 1 << 20}]
_MAX_PAYLOAD_BYTES = 1 << 31
# A year at 1 Hz is 32 million points; a larger count can only be damage or a forgery.
_MAX_POINTS = 1 << 26

_KIND_DECIMAL = 1
_KIND_FLOAT64 = 2
# Largest decimals kept per stream; beyond it values are rounded (see the module docstring).
_DECIMALS_LIMIT: dict[str, int] = {
    "time_s": 3,
    "lat_deg": 7,
    "lon_deg": 7,
    "elevation_m": 2,
    "distance_m": 2,
    "speed_mps": 3,
    "hr_bpm": 1,
    "cadence_rpm": 1,
    "power_w": 1,
    "temperature_c": 1,
}
_EXACT_DECIMALS_OTHER = 6
# Integers up to 2**53 convert to float64 and back exactly; second differences then fit int64.
_MAX_EXACT_INT = 2.0**53

IntArray = npt.NDArray[np.int64]
UIntArray = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]


class CorruptStreamBlob(ValueError):
    """The bytes are not a stream blob this code can read back faithfully."""


def encode_streams(streams: dict[str, FloatArray]) -> bytes:
    """Return the compressed blob holding every named 1-D stream (see the module docstring)."""
    payload = bytearray(_varint(len(streams)))
    for name, values in streams.items():
        payload += _encode_stream(name, np.asarray(values, dtype=np.float64))
    if len(payload) >= _MAX_PAYLOAD_BYTES:
        raise ValueError(f"expected streams under 2 GiB encoded, got {len(payload)} bytes")
    compressed = lzma.compress(bytes(payload), format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    prefix = _PREFIX.pack(_MAGIC, FORMAT_VERSION, _COMPRESSOR_LZMA2, len(payload))
    crc = zlib.crc32(payload, zlib.crc32(prefix))
    return prefix + _CRC.pack(crc) + compressed


def decode_streams(blob: bytes, names: Collection[str] | None = None) -> dict[str, FloatArray]:
    """Return the streams stored by encode_streams (only those in `names` when given: the
    others are stepped over, not decoded); raises CorruptStreamBlob on any damage.

    The whole payload is still decompressed and checked against its CRC: the streams share
    one LZMA2 payload, so skipping saves only their decoding, not the decompression."""
    payload = _checked_payload(blob)
    reader = _Reader(payload)
    streams: dict[str, FloatArray] = {}
    seen: set[str] = set()
    for _ in range(reader.varint()):
        name, count, kind = _stream_header(reader)
        if name in seen:
            raise CorruptStreamBlob(f"expected unique stream names, got {name!r} twice")
        seen.add(name)
        if names is None or name in names:
            streams[name] = _decode_values(reader, name, count, kind)
        else:
            _skip_values(reader, count, kind)
    if reader.remaining():
        raise CorruptStreamBlob(f"expected the payload to end, got {reader.remaining()} more bytes")
    return streams


# --- encoding -----------------------------------------------------------------------------


def _encode_stream(name: str, values: FloatArray) -> bytes:
    if values.ndim != 1:
        raise ValueError(f"expected a 1-D array for stream {name!r}, got shape {values.shape}")
    encoded_name = name.encode("utf-8")
    out = bytearray(_varint(len(encoded_name)) + encoded_name + _varint(values.shape[0]))
    decimals = _choose_decimals(name, values)
    if decimals is None:
        out.append(_KIND_FLOAT64)
        out += _shuffle(values.view(np.uint64), 8)
        return bytes(out)
    out.append(_KIND_DECIMAL)
    out += _nan_runs(values)
    out += _encode_integers(_scaled(values[~np.isnan(values)], decimals), decimals)
    return bytes(out)


def _choose_decimals(name: str, values: FloatArray) -> int | None:
    """Fewest decimals that keep every finite value exact, the stream's limit, or None."""
    finite = values[~np.isnan(values)]
    if not np.all(np.isfinite(finite)):
        return None  # infinities: only raw float64 keeps them
    limit = _DECIMALS_LIMIT.get(name)
    for decimals in range((limit if limit is not None else _EXACT_DECIMALS_OTHER) + 1):
        scaled = finite * 10.0**decimals
        if scaled.size and float(np.max(np.abs(scaled))) > _MAX_EXACT_INT:
            return None
        if np.array_equal(np.rint(scaled) / 10.0**decimals, finite):
            return decimals
    return limit


def _scaled(finite: FloatArray, decimals: int) -> IntArray:
    return np.rint(finite * 10.0**decimals).astype(np.int64)


def _encode_integers(ints: IntArray, decimals: int) -> bytes:
    candidates = [_differenced(ints, order) for order in (1, 2)]
    order, seeds, rest = min(candidates, key=lambda c: _estimated_bits(c[2]))
    zigzag = _zigzag(rest)
    width = _byte_width(int(zigzag.max()) if zigzag.size else 0)
    out = bytearray([decimals, order, width])
    for seed in seeds:
        out += _varint(int(_zigzag(np.array([seed], dtype=np.int64))[0]))
    out += _shuffle(zigzag, width)
    return bytes(out)


def _differenced(ints: IntArray, order: int) -> tuple[int, list[int], IntArray]:
    """Seeds (first value at each level) and the order-th differences of the rest."""
    seeds: list[int] = []
    current = ints
    for _ in range(order):
        if current.size == 0:
            break
        seeds.append(int(current[0]))
        current = np.diff(current)
    return order, seeds, current


def _estimated_bits(values: IntArray) -> float:
    return float(np.sum(np.log2(np.abs(values.astype(np.float64)) + 1.0)))


def _nan_runs(values: FloatArray) -> bytes:
    """Alternating run lengths, finite first: [3, 2, 5] means 3 values, 2 NaN, 5 values."""
    is_nan = np.isnan(values)
    if not is_nan.any():
        return _varint(1) + _varint(values.shape[0]) if values.size else _varint(0)
    edges = np.flatnonzero(np.diff(is_nan.astype(np.int8))) + 1
    bounds = np.concatenate(([0], edges, [values.shape[0]]))
    runs = np.diff(bounds).tolist()
    if is_nan[0]:
        runs.insert(0, 0)
    return _varint(len(runs)) + b"".join(_varint(int(r)) for r in runs)


def _zigzag(values: IntArray) -> UIntArray:
    return (values.astype(np.uint64) << np.uint64(1)) ^ (values >> np.int64(63)).astype(np.uint64)


def _byte_width(largest: int) -> int:
    return next(w for w in (1, 2, 4, 8) if largest < 1 << (8 * w))


def _shuffle(values: UIntArray, width: int) -> bytes:
    """Byte planes: all lowest bytes first, so the mostly-zero high bytes compress away."""
    as_bytes = values.astype(f"<u{width}").view(np.uint8).reshape(-1, width)
    return bytes(as_bytes.T.tobytes())


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# --- decoding -----------------------------------------------------------------------------


def _checked_payload(blob: bytes) -> bytes:
    if len(blob) < _HEADER_SIZE:
        raise CorruptStreamBlob(f"expected at least {_HEADER_SIZE} bytes, got {len(blob)}")
    magic, version, compressor, length = _PREFIX.unpack_from(blob)
    (crc,) = _CRC.unpack_from(blob, _PREFIX.size)
    if magic != _MAGIC:
        raise CorruptStreamBlob(f"expected a blob starting {_MAGIC!r}, got {magic!r}")
    if version != FORMAT_VERSION or compressor != _COMPRESSOR_LZMA2:
        raise CorruptStreamBlob(
            f"expected format {FORMAT_VERSION} with compressor {_COMPRESSOR_LZMA2}, "
            f"got format {version} with compressor {compressor}"
        )
    payload = _decompressed(blob[_HEADER_SIZE:], length)
    if zlib.crc32(payload, zlib.crc32(blob[: _PREFIX.size])) != crc:
        raise CorruptStreamBlob("expected the stored CRC-32 to match, got a different checksum")
    return payload


def _decompressed(data: bytes, length: int) -> bytes:
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    try:
        payload = decompressor.decompress(data, max_length=length + 1)
    except lzma.LZMAError as error:
        raise CorruptStreamBlob(f"expected LZMA2 data, got an error: {error}") from error
    if len(payload) != length or not decompressor.eof or decompressor.unused_data:
        raise CorruptStreamBlob(
            f"expected {length} payload bytes ending the data, got {len(payload)}"
            f"{'' if decompressor.eof else ' and no end marker'}"
        )
    return payload


class _Reader:
    """Bounds-checked reading of the payload: every overrun is a CorruptStreamBlob."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)  # slices are views: a stream's bytes are not copied
        self._pos = 0

    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, count: int) -> memoryview:
        if count < 0 or count > self.remaining():
            raise CorruptStreamBlob(f"expected {count} more bytes, got {self.remaining()}")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def varint(self) -> int:
        value = 0
        for shift in range(0, 70, 7):
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
        raise CorruptStreamBlob("expected a varint of at most 10 bytes, got a longer one")


def _stream_header(reader: _Reader) -> tuple[str, int, int]:
    """A stream's name, point count and kind."""
    try:
        name = bytes(reader.take(reader.varint())).decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorruptStreamBlob(f"expected a UTF-8 stream name, got {error}") from error
    count = reader.varint()
    if count > _MAX_POINTS:
        raise CorruptStreamBlob(f"expected at most {_MAX_POINTS} points in {name!r}, got {count}")
    kind = reader.byte()
    if kind not in (_KIND_DECIMAL, _KIND_FLOAT64):
        raise CorruptStreamBlob(f"expected stream kind 1 or 2 for {name!r}, got {kind}")
    return name, count, kind


def _decode_values(reader: _Reader, name: str, count: int, kind: int) -> FloatArray:
    if kind == _KIND_FLOAT64:
        # _unshuffle returns a fresh array, so the view owns its memory: no copy needed.
        values: FloatArray = _unshuffle(reader.take(count * 8), 8).view(np.float64)
        return values
    is_nan = _read_nan_mask(reader, count)
    values = np.full(count, np.nan)
    values[~is_nan] = _decode_integers(reader, int(count - is_nan.sum()))
    return values


def _skip_values(reader: _Reader, count: int, kind: int) -> None:
    """Step over a stream's values, checking only that its bytes are there."""
    if kind == _KIND_FLOAT64:
        reader.take(count * 8)
        return
    runs = [reader.varint() for _ in range(reader.varint())]
    if sum(runs) != count:
        raise CorruptStreamBlob(f"expected NaN runs adding up to {count}, got {sum(runs)}")
    finite = count - sum(runs[1::2])
    reader.byte()  # decimals: only decoding needs them
    order, width = _integers_header(reader)
    for _ in range(min(order, finite)):
        reader.varint()
    reader.take(max(finite - order, 0) * width)


def _read_nan_mask(reader: _Reader, count: int) -> BoolArray:
    runs = [reader.varint() for _ in range(reader.varint())]
    if sum(runs) != count:
        raise CorruptStreamBlob(f"expected NaN runs adding up to {count}, got {sum(runs)}")
    flags = np.arange(len(runs)) % 2 == 1
    return np.repeat(flags, runs)


def _decode_integers(reader: _Reader, count: int) -> FloatArray:
    decimals = reader.byte()
    if decimals > 15:
        raise CorruptStreamBlob(f"expected decimals <= 15, got {decimals}")
    order, width = _integers_header(reader)
    seeds = [_unzigzag_int(reader.varint()) for _ in range(min(order, count))]
    rest_count = max(count - order, 0)
    ints = _undifference(seeds, _unzigzag(_unshuffle(reader.take(rest_count * width), width)))
    return ints.astype(np.float64) / 10.0**decimals


def _integers_header(reader: _Reader) -> tuple[int, int]:
    """The difference order and byte width of a run of integers."""
    order, width = reader.byte(), reader.byte()
    if order not in (1, 2) or width not in (1, 2, 4, 8):
        raise CorruptStreamBlob(f"expected order 1 or 2 and width 1/2/4/8, got {order}, {width}")
    return order, width


def _undifference(seeds: list[int], rest: IntArray) -> IntArray:
    current = rest
    for seed in reversed(seeds):
        with np.errstate(over="ignore"):  # wrapped sums only come from damage the CRC catches
            current = np.concatenate(([seed], seed + np.cumsum(current, dtype=np.int64)))
    return current.astype(np.int64)


def _unshuffle(data: bytes | memoryview, width: int) -> UIntArray:
    """The integers from their byte planes, in a fresh array (never a view of `data`)."""
    planes = np.frombuffer(data, dtype=np.uint8).reshape(width, -1)
    values = np.empty((planes.shape[1], width), dtype=np.uint8)
    values[...] = planes.T
    return values.view(f"<u{width}").reshape(-1).astype(np.uint64, copy=False)


def _unzigzag(values: UIntArray) -> IntArray:
    return (values >> np.uint64(1)).astype(np.int64) ^ -(values & np.uint64(1)).astype(np.int64)


def _unzigzag_int(value: int) -> int:
    if value >= 1 << 64:
        raise CorruptStreamBlob(f"expected a 64-bit seed, got {value}")
    return (value >> 1) ^ -(value & 1)
