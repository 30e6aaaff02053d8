"""The messages route rooms on different nodes exchange through the broker."""

from __future__ import annotations

import uuid

import pytest

from bikenode.planner import relay
from bikenode.planner.protocol import BadMessage, write_var_uint

NODE = uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_updates_and_awareness_round_trip() -> None:
    data = relay.encode_updates(NODE, 41, [b"\x01\x02", b"", b"x" * 300])
    decoded = relay.decode(data)
    assert decoded == relay.RelayedUpdates(NODE, 41, [b"\x01\x02", b"", b"x" * 300])
    assert isinstance(decoded, relay.RelayedUpdates) and decoded.last_seq == 43
    assert relay.decode(relay.encode_awareness(NODE, b"\x00")) == relay.RelayedAwareness(
        NODE, b"\x00"
    )


def test_channels_name_their_route_and_nothing_else() -> None:
    route = uuid.uuid4()
    assert relay.route_of(relay.channel_of(route)) == route
    assert relay.route_of(f"ride:{route}") is None
    assert relay.route_of("planner:not-a-uuid") is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"U" + NODE.bytes[:10],  # too short for a node id
        b"Z" + NODE.bytes,  # an unknown kind
        b"U" + NODE.bytes + write_var_uint(0) + write_var_uint(1) + b"\x00",  # seq 0
        b"U" + NODE.bytes + write_var_uint(1) + write_var_uint(0),  # no updates
        b"U" + NODE.bytes + write_var_uint(1) + write_var_uint(10**9),  # a huge count
        b"U" + NODE.bytes + write_var_uint(1) + write_var_uint(1) + write_var_uint(99),  # cut
        relay.encode_updates(NODE, 1, [b"a"]) + b"trailing",
        b"U" + NODE.bytes + b"\xff" * 20,  # a varUint that never ends
    ],
)
def test_malformed_messages_are_refused(data: bytes) -> None:
    with pytest.raises(BadMessage):
        relay.decode(data)


def test_encoding_refuses_what_it_cannot_say() -> None:
    with pytest.raises(ValueError, match="first seq"):
        relay.encode_updates(NODE, 0, [b"a"])
    with pytest.raises(ValueError, match="first seq"):
        relay.encode_updates(NODE, 1, [])
