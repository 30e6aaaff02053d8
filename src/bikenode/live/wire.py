"""WebSocket framing (RFC 6455) for the live fast path: server frames built once, client
frames parsed with hard limits. Pure functions over bytes, no I/O.

Server-to-client frames are never masked, so one encoded frame can be written unchanged to
every viewer of a channel: that is what makes fan-out cheap.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Final

OP_CONTINUATION: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9
OP_PONG: Final = 0xA
_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProtocolViolation(ValueError):
    """A client frame the server cannot accept; ``code`` is the close code to send."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 65_536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def text_frame(text: str) -> bytes:
    """A text frame holding ``text``."""
    return frame(OP_TEXT, text.encode())


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame; the reason is cut to fit the 125-byte control frame limit."""
    return frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:123])


PING: Final = frame(OP_PING, b"")


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    digest = hashlib.sha1(key.encode() + _GUID, usedforsecurity=False).digest()  # RFC 6455
    return base64.b64encode(digest).decode()


@dataclass(frozen=True, slots=True)
class Frame:
    """A whole client message: opcode and unmasked payload."""

    opcode: int
    payload: bytes


def _unmask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    size = len(payload)
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


def read_frames(buffer: bytearray, *, max_size: int) -> list[Frame]:
    """Take every whole frame off the front of ``buffer`` (a partial one stays).

    Raises ProtocolViolation for an unmasked, fragmented or oversized frame (viewers send
    only a small hello, pongs and a close; fragmentation is not needed for those).
    """
    frames: list[Frame] = []
    while len(buffer) >= 2:
        first, second = buffer[0], buffer[1]
        if first & 0x70:
            raise ProtocolViolation(1002, "reserved bits set (no extension was agreed)")
        if not second & 0x80:
            raise ProtocolViolation(1002, "client frames must be masked")
        opcode, size, offset = first & 0x0F, second & 0x7F, 2
        if size == 126:
            if len(buffer) < 4:
                break
            size, offset = struct.unpack_from("!H", buffer, 2)[0], 4
        elif size == 127:
            if len(buffer) < 10:
                break
            size, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
        if size > max_size:
            raise ProtocolViolation(1009, f"frame of {size} bytes; at most {max_size}")
        if not first & 0x80 or opcode == OP_CONTINUATION:
            raise ProtocolViolation(1008, "fragmented frames are not accepted here")
        end = offset + 4 + size
        if len(buffer) < end:
            break
        mask = bytes(buffer[offset : offset + 4])
        frames.append(Frame(opcode, _unmask(bytes(buffer[offset + 4 : end]), mask)))
        del buffer[:end]
    return frames


def parse_close(payload: bytes) -> int:
    """The code of a close frame's payload (1005: none given)."""
    return int(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else 1005
