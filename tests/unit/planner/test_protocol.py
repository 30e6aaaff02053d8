"""The y-websocket wire format: encoding, decoding, and refusing malformed frames."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.planner import protocol
from bikenode.planner.protocol import AwarenessEntry, BadMessage


@pytest.mark.parametrize(
    ("number", "encoded"),
    [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"), (2**32 - 1, None)],
)
def test_var_uint_round_trips(number: int, encoded: bytes | None) -> None:
    data = protocol.write_var_uint(number)
    if encoded is not None:
        assert data == encoded
    message = protocol.parse_message(protocol.sync_update(data))
    assert message.payload == data


def test_each_sync_message_parses_to_its_kind() -> None:
    assert protocol.parse_message(protocol.sync_step1(b"\x00")) == protocol.Message(
        "step1", b"\x00"
    )
    assert protocol.parse_message(protocol.sync_step2(b"ab")).kind == "step2"
    assert protocol.parse_message(protocol.sync_update(b"ab")).kind == "update"
    awareness = protocol.awareness_message([AwarenessEntry(7, 3, '{"user":"ada"}')])
    parsed = protocol.parse_message(awareness)
    assert parsed.kind == "awareness"
    entries = protocol.parse_awareness(parsed.payload, max_entries=5, max_state_bytes=100)
    assert entries == [AwarenessEntry(7, 3, '{"user":"ada"}')]


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (b"", "the frame ended"),
        (b"\x02\x00", "expected message type 0 (sync) or 1 (awareness), got 2"),
        (b"\x00\x03\x00", "expected sync message type 0, 1 or 2, got 3"),
        (b"\x00\x02\x05ab", "expected 5 bytes"),
        (b"\x00\x02\x01ab", "expected the message to end"),
        (b"\x00\x02" + b"\xff" * 9, "at most 8 bytes"),
    ],
)
def test_malformed_frames_are_refused_with_the_reason(frame: bytes, says: str) -> None:
    with pytest.raises(BadMessage, match=re.escape(says)):
        protocol.parse_message(frame)


def test_awareness_limits_and_json_are_enforced() -> None:
    many = protocol.awareness_message([AwarenessEntry(i, 1, "{}") for i in range(3)])
    payload = protocol.parse_message(many).payload
    with pytest.raises(BadMessage, match="at most 2 awareness entries, got 3"):
        protocol.parse_awareness(payload, max_entries=2, max_state_bytes=100)
    big = protocol.parse_message(protocol.awareness_message([AwarenessEntry(1, 1, "1" * 50)]))
    with pytest.raises(BadMessage, match="at most 10 bytes, got 50"):
        protocol.parse_awareness(big.payload, max_entries=2, max_state_bytes=10)
    bad = protocol.parse_message(protocol.awareness_message([AwarenessEntry(1, 1, "{nope")]))
    with pytest.raises(BadMessage, match="JSON"):
        protocol.parse_awareness(bad.payload, max_entries=2, max_state_bytes=100)


def test_awareness_follows_the_yjs_clock_rule() -> None:
    known = AwarenessEntry(1, 5, "{}")
    assert protocol.is_newer(AwarenessEntry(1, 6, "{}"), known)
    assert not protocol.is_newer(AwarenessEntry(1, 5, "{}"), known)
    assert protocol.is_newer(AwarenessEntry(1, 5, "null"), known)
    assert not protocol.is_newer(AwarenessEntry(1, 4, "null"), known)
    assert not protocol.is_newer(AwarenessEntry(1, 1, "null"), None)


@given(st.binary(max_size=64))
def test_any_bytes_parse_or_raise_bad_message(frame: bytes) -> None:
    try:
        message = protocol.parse_message(frame)
    except BadMessage:
        return
    if message.kind == "awareness":
        try:
            protocol.parse_awareness(message.payload, max_entries=8, max_state_bytes=64)
        except BadMessage:
            return
