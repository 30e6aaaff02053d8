"""WebSocket framing for the fast path, checked against the `websockets` library's own frames."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Close, Frame, Opcode
from websockets.streams import StreamReader

from bikenode.live import wire


def _client_frame(opcode: Opcode, payload: bytes, *, fin: bool = True) -> bytes:
    """A masked client frame, as a browser sends it (serialised by `websockets`)."""
    return Frame(opcode, payload, fin=fin).serialize(mask=True, extensions=[])


def _parse_server_frame(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 200_000])
def test_server_frames_parse_as_websockets_expects_at_every_length_boundary(size: int) -> None:
    payload = os.urandom(size)
    parsed = _parse_server_frame(wire.frame(wire.OP_TEXT, payload))
    assert parsed.opcode == Opcode.TEXT and parsed.fin and parsed.data == payload


def test_close_frame_carries_the_code_and_a_cut_reason() -> None:
    parsed = _parse_server_frame(wire.close_frame(4003, "r" * 500))
    close = Close.parse(parsed.data)
    assert close.code == 4003 and len(parsed.data) <= 125


def test_accept_key_matches_rfc_6455_example() -> None:
    assert wire.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@given(st.lists(st.binary(max_size=3000), min_size=1, max_size=5), st.integers(1, 50))
def test_client_frames_are_unmasked_whole_however_the_bytes_arrive(
    payloads: list[bytes], chunk: int
) -> None:
    stream = b"".join(_client_frame(Opcode.TEXT, p) for p in payloads)
    buffer = bytearray()
    got: list[bytes] = []
    for start in range(0, len(stream), chunk):
        buffer += stream[start : start + chunk]
        got += [f.payload for f in wire.read_frames(buffer, max_size=4096)]
    assert got == payloads and not buffer


def test_pings_and_closes_are_read_with_their_payloads() -> None:
    buffer = bytearray(_client_frame(Opcode.PING, b"hi") + _client_frame(Opcode.CLOSE, b"\x03\xe8"))
    ping, close = wire.read_frames(buffer, max_size=1024)
    assert (ping.opcode, ping.payload) == (wire.OP_PING, b"hi")
    assert close.opcode == wire.OP_CLOSE and wire.parse_close(close.payload) == 1000
    assert wire.parse_close(b"") == 1005


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (Frame(Opcode.TEXT, b"x").serialize(mask=False, extensions=[]), 1002),  # unmasked
        (_client_frame(Opcode.TEXT, b"x" * 2000), 1009),  # over the limit
        (_client_frame(Opcode.TEXT, b"part", fin=False), 1008),  # fragmented
        (bytes([0xC1]) + _client_frame(Opcode.TEXT, b"x")[1:], 1002),  # reserved bit
    ],
    # Masks are random: named ids keep collection identical across test workers.
    ids=["unmasked", "oversized", "fragmented", "reserved-bit"],
)
def test_bad_client_frames_are_refused_with_a_close_code(data: bytes, code: int) -> None:
    with pytest.raises(wire.ProtocolViolation) as refused:
        wire.read_frames(bytearray(data), max_size=1024)
    assert refused.value.code == code


def test_an_oversized_length_is_refused_before_the_payload_arrives() -> None:
    header = _client_frame(Opcode.TEXT, b"x" * 70_000)[:14]  # 2 + 8 length bytes + 4 mask
    with pytest.raises(wire.ProtocolViolation):
        wire.read_frames(bytearray(header), max_size=65_536)
