"""Two planner nodes in one event loop on the database under test, joined by a broker that can
lose messages: relayed updates are applied in log order, a gap or a lost last message is
read from the log, awareness crosses, and a node's own messages come back to nobody."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from pycrdt import Map
from sqlalchemy import Engine

from bikenode.accounts.config import build_accounts_config
from bikenode.config import Settings
from bikenode.db.engine import make_session_factory
from bikenode.events.relay import RelayedEnvelope
from bikenode.planner import logic, protocol, relay, service
from bikenode.planner.rooms import Peer, PlannerNode, Room
from bikenode.web.sockets import UserSockets
from tests.live_tools import run_async
from tests.planner_tools import canonical
from tests.service_factories import make_user


@dataclass(frozen=True)
class Envelope:
    channel: str
    seq: int
    data: bytes


class LossyBroker:
    """An in-process broker shared by several nodes; drops what it is told to."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[RelayedEnvelope], None]] = []
        self.watched: list[set[str]] = []
        self.seq = 0
        self.dropping = False
        self.published = 0

    def for_node(self) -> NodeBroker:
        self.watched.append(set())
        return NodeBroker(self, len(self.watched) - 1)


class NodeBroker:
    def __init__(self, hub: LossyBroker, index: int) -> None:
        self.hub, self.index = hub, index

    async def start(self, listener: Callable[[RelayedEnvelope], None]) -> None:
        self.hub.listeners.append(listener)

    async def close(self) -> None:
        pass

    async def publish(self, channel: str, data: bytes, *, key: int | None = None) -> object:
        self.hub.published += 1
        self.hub.seq += 1
        if not self.hub.dropping:
            for listener, watched in zip(self.hub.listeners, self.hub.watched, strict=True):
                if channel in watched:
                    listener(Envelope(channel, self.hub.seq, data))
        return None

    def watch(self, channel: str) -> None:
        self.hub.watched[self.index].add(channel)

    def unwatch(self, channel: str) -> None:
        self.hub.watched[self.index].discard(channel)


def _node(settings: Settings, engine: Engine, broker: NodeBroker) -> PlannerNode:
    node = PlannerNode(
        settings,
        make_session_factory(engine),
        build_accounts_config(settings),
        UserSockets(10),
        broker=broker,
    )
    node.access_check_s = 0.2  # the periodic look at the log, sped up
    return node


def _rename(document: bytes, name: str) -> bytes:
    doc = logic.load_doc(document)
    before = doc.get_state()
    doc.get(logic.META, type=Map)["name"] = name
    return doc.get_update(before)


def _name(room: Room) -> str:
    return logic.read_name(room.log.snapshot())


def _content(room: Room) -> dict[str, Any]:
    return canonical(logic.load_doc(room.log.snapshot()))


def _drain(peer: Peer) -> list[bytes]:
    frames = []
    while not peer.outbox.empty():
        frame = peer.outbox.get_nowait()
        assert isinstance(frame, bytes)
        frames.append(frame)
    return frames


async def _until(check: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _run(scenario: Coroutine[Any, Any, None]) -> None:
    run_async(scenario)  # a thread of its own: a browser test may have left a loop running


def test_relayed_updates_gaps_and_lost_messages_end_in_one_document(
    settings: Settings, engine: Engine
) -> None:
    with make_session_factory(engine)() as session:
        owner = make_user(session)
        route_id = service.create_route(session, owner_id=owner, name="Start").id
    hub = LossyBroker()

    async def scenario() -> None:
        one, two = _node(settings, engine, hub.for_node()), _node(settings, engine, hub.for_node())
        await one.start()
        await two.start()
        ann, bob = one.new_peer(owner), two.new_peer(owner)
        room_one = await one.join(route_id, ann)
        room_two = await two.join(route_id, bob)
        document = room_one.log.snapshot()

        # A stored update reaches the other node's room and its peer.
        first = _rename(document, "One")
        room_one.handle(ann, protocol.Message("update", first))
        await _until(lambda: _name(room_two) == "One", "the update on the other node")
        assert protocol.sync_update(first) in _drain(bob)
        assert room_two.stored_seq == room_one.stored_seq == 2

        # A lost message, then the next one: the gap is read from the log.
        hub.dropping = True
        room_one.handle(ann, protocol.Message("update", _rename(document, "Two")))
        await _until(lambda: hub.published == 2, "the second publish")
        hub.dropping = False
        room_one.handle(ann, protocol.Message("update", _rename(document, "Three")))
        await _until(lambda: room_two.stored_seq == 4, "the gap to be read from the log")
        assert _content(room_two) == _content(room_one)

        # A lost last message: the periodic look at the log finds it.
        hub.dropping = True
        room_two.handle(bob, protocol.Message("update", _rename(document, "Four")))
        await _until(lambda: room_one.stored_seq == 5, "the lost last update, from the log")
        hub.dropping = False
        assert _content(room_one) == _content(room_two)
        with make_session_factory(engine)() as session:
            stored = service.stored_document(session, route_id=route_id)
        assert canonical(logic.load_doc(stored)) == _content(room_one)
        # Four concurrent renames of one base: one wins, the same one everywhere.
        assert _content(room_one)["meta"]["name"] in {"One", "Two", "Three", "Four"}

        # Awareness crosses, and leaves when its peer does.
        entry = protocol.AwarenessEntry(7, 1, '{"user":"ann"}')
        _drain(bob)
        room_one.handle(ann, protocol.Message("awareness", _awareness_payload([entry])))
        await _until(lambda: 7 in room_two.awareness, "the awareness on the other node")
        assert room_two.awareness[7] == entry
        assert protocol.awareness_message([entry]) in _drain(bob)
        await one.leave(room_one, ann)
        await _until(lambda: 7 not in room_two.awareness, "the awareness to leave")
        assert route_id not in one.rooms and hub.watched[0] == set()
        await two.leave(room_two, bob)
        await one.stop()
        await two.stop()

    _run(scenario())


def test_a_relayed_message_is_ignored_by_its_sender_and_unreadable_ones_are_dropped(
    settings: Settings, engine: Engine
) -> None:
    with make_session_factory(engine)() as session:
        owner = make_user(session)
        route_id = service.create_route(session, owner_id=owner, name="Start").id
    hub = LossyBroker()

    async def scenario() -> None:
        node = _node(settings, engine, hub.for_node())
        await node.start()
        peer = node.new_peer(owner)
        room = await node.join(route_id, peer)
        _drain(peer)
        channel = relay.channel_of(route_id)
        update = _rename(room.log.snapshot(), "Echo")
        node._on_relayed(Envelope(channel, 1, relay.encode_updates(node.node_id, 2, [update])))
        node._on_relayed(Envelope(channel, 2, b"garbage that is not a relayed message"))
        node._on_relayed(Envelope("live:other", 3, b"x"))
        assert room.stored_seq == 1 and _drain(peer) == []
        other = uuid.uuid4()
        node._on_relayed(Envelope(channel, 4, relay.encode_updates(other, 2, [update])))
        assert room.stored_seq == 2 and _drain(peer) == [protocol.sync_update(update)]
        node._on_relayed(Envelope(channel, 5, relay.encode_updates(other, 2, [update])))
        assert _drain(peer) == []  # a repeat is applied once
        await node.leave(room, peer)
        await node.stop()

    _run(scenario())


def _awareness_payload(entries: list[protocol.AwarenessEntry]) -> bytes:
    return protocol.parse_message(protocol.awareness_message(entries)).payload
