"""The FIT CRC (CRC-16/ARC: reflected polynomial 0xA001, initial value 0) at numpy speed.

A per-byte Python loop costs about 0.3 s per megabyte, more than decoding the whole file.
Two facts make it vectorisable: with an initial value of 0, leading zero bytes do not change
the CRC, and the CRC of ``A + B`` is the CRC of ``A`` pushed through ``len(B)`` zero bytes,
XOR the CRC of ``B``. So the data is cut into equal blocks whose CRCs are computed side by
side (one numpy step per 2 bytes of block length), and the block CRCs are then folded
pairwise with lookup tables that push a CRC through 2**k zero bytes.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

U16Array = npt.NDArray[np.uint16]

_BLOCK_BYTES = 32  # bytes per lane: measured fastest (fewer numpy steps vs. a longer fold)
_SMALL = 256  # below this many bytes the plain loop is faster than setting up lanes


def _byte_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _byte_table()


@cache
def _word_table() -> U16Array:
    """CRC register after feeding two bytes, indexed by (register XOR the little-endian word)."""
    table = np.array(_TABLE, dtype=np.uint16)
    x = np.arange(65536, dtype=np.uint32)
    first = table[x & 0xFF].astype(np.uint32) ^ (x >> 8)
    second: U16Array = (table[first & 0xFF].astype(np.uint32) ^ (first >> 8)).astype(np.uint16)
    return second


@cache
def _zero_shift_table(nbytes: int) -> U16Array:
    """CRC register after feeding ``nbytes`` zero bytes (a power of two, at least 2)."""
    if nbytes == 2:
        return _word_table()
    half = _zero_shift_table(nbytes // 2)
    return half[half]


def crc16_py(data: bytes | memoryview, crc: int = 0) -> int:
    """Return the FIT CRC of ``data`` with a plain loop (reference and small inputs)."""
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def crc16(data: bytes | memoryview) -> int:
    """Return the FIT CRC-16 of ``data``."""
    size = len(data)
    if size < _SMALL:
        return crc16_py(data)
    blocks = size // _BLOCK_BYTES
    head = size - blocks * _BLOCK_BYTES
    lanes = np.zeros(blocks, dtype=np.uint16)
    # The odd bytes in front seed the first lane; every lane is one block of the data.
    lanes[0] = crc16_py(data[:head]) if head else 0
    words = np.frombuffer(data, dtype="<u2", offset=head).reshape(blocks, _BLOCK_BYTES // 2)
    table = _word_table()
    index = np.empty(blocks, dtype=np.uint16)
    for column in range(_BLOCK_BYTES // 2):
        np.bitwise_xor(lanes, words[:, column], out=index)
        np.take(table, index, out=lanes)
    return _fold(lanes)


def _fold(lanes: U16Array) -> int:
    """Combine per-block CRCs (in data order) into the CRC of the whole data."""
    span = _BLOCK_BYTES
    while lanes.size > 1:
        if lanes.size % 2:
            # An all-zero block in front: CRC 0, and it changes nothing.
            lanes = np.concatenate((np.zeros(1, dtype=np.uint16), lanes))
        lanes = _zero_shift_table(span)[lanes[0::2]] ^ lanes[1::2]
        span *= 2
    return int(lanes[0])
