"""Two real nodes behind one real Redis: what a rider sends to A, a viewer on B gets, all of it."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.live.nodes import Node, request, rider_account
from tests.live_tools import Rider, Viewer, batch_frame, run_async
from tests.servers import RedisServer, persistent_redis_server

pytestmark = pytest.mark.slow


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with persistent_redis_server() as server:
        yield server


@pytest.fixture
def nodes(
    tmp_path: Path, database_url: str, engine: Engine, redis: RedisServer
) -> Iterator[tuple[Node, Node]]:
    a = Node(tmp_path, database_url, redis.url)
    b = Node(tmp_path, database_url, redis.url)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.kill()
        b.kill()


def test_a_viewer_on_b_gets_every_batch_sent_to_a_across_a_restart_of_a_and_of_redis(
    nodes: tuple[Node, Node], redis: RedisServer
) -> None:
    a, b = nodes
    token = rider_account(a, "two-nodes@example.org")
    live = request(f"{a.http}/api/v1/live/sessions", {"name": "Two nodes"}, token)
    ride_path = f"/api/v1/live/sessions/{live['id']}/ride"
    viewer = Viewer([b.ws(f"/api/v1/live/sessions/{live['id']}/watch")], {"token": token})

    async def scenario() -> None:
        watching = asyncio.create_task(viewer.run(until_seq=45))
        while viewer.epoch is None:  # the viewer is in before the ride starts
            await asyncio.sleep(0.05)
        rider = Rider([a.ws(ride_path)], token)
        for n in range(1, 16):
            await rider.send(n)
        a.kill()  # mid-ride crash of the rider's node
        restart = asyncio.get_running_loop().run_in_executor(None, a.start)
        for n in range(16, 31):
            await rider.send(n)  # retries until A is back, then resends what was unacked
        await restart
        redis.restart()
        for n in range(31, 46):
            await rider.send(n)
        await asyncio.wait_for(watching, 60)
        await rider.close()

    run_async(scenario())
    assert viewer.received == list(range(1, 46))  # in order, each once
    assert viewer.batches == list(range(1, 46))
    assert viewer.gaps == [] and viewer.new_epochs == 0
    ended = request(f"{b.http}/api/v1/live/sessions/{live['id']}/end", {}, token)
    ride = request(f"{b.http}/api/v1/rides/{ended['ride_id']}", token=token)
    assert ride["point_count"] == 450  # 45 batches of 10 points, each stored once


def test_a_batch_sent_to_a_after_the_session_ended_on_b_is_refused_with_4009(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    token = rider_account(a, "ended-elsewhere@example.org")
    live = request(f"{a.http}/api/v1/live/sessions", {"visibility": "public"}, token)
    session_path = f"/api/v1/live/sessions/{live['id']}"
    hello = json.dumps({"type": "hello", "token": token})

    async def ride_past_the_end() -> tuple[dict[str, Any], dict[str, Any], int | None]:
        async with connect(a.ws(f"{session_path}/ride")) as socket:
            await socket.send(hello)
            assert json.loads(await socket.recv())["type"] == "welcome"
            await socket.send(json.dumps(batch_frame(1)))
            ack = json.loads(await socket.recv())
            loop = asyncio.get_running_loop()
            end_url = f"{b.http}{session_path}/end"
            ended = await loop.run_in_executor(None, request, end_url, {}, token)
            await socket.send(json.dumps(batch_frame(2)))  # A's socket is still open
            try:
                reply = await asyncio.wait_for(socket.recv(), 20)
            except ConnectionClosed as closed:
                return ack, ended, closed.rcvd.code if closed.rcvd else None
            raise AssertionError(f"expected a close with 4009, got {reply!r}")

    async def state_on_b() -> dict[str, Any]:
        async with connect(b.ws(f"{session_path}/watch")) as socket:
            await socket.send('{"type": "hello"}')
            while (message := json.loads(await socket.recv()))["type"] != "state":
                pass
            state: dict[str, Any] = message["state"]
            return state

    ack, ended, code = run_async(ride_past_the_end())
    assert ack["type"] == "ack" and ack["duplicate"] is False
    assert code == 4009
    state = run_async(state_on_b())
    assert state["last_batch"] == 1 and len(state["trail"]["t"]) == 10  # batch 2 stored nowhere
    ride = request(f"{a.http}/api/v1/rides/{ended['ride_id']}", token=token)
    assert ride["point_count"] == 10


def test_shutting_a_node_down_tells_its_viewers_to_reconnect_elsewhere(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    token = rider_account(a, "shutdown@example.org")
    live = request(f"{a.http}/api/v1/live/sessions", {"visibility": "public"}, token)

    async def watch_until_closed() -> int | None:
        async with connect(b.ws(f"/api/v1/live/sessions/{live['id']}/watch")) as socket:
            await socket.send('{"type": "hello"}')
            await socket.recv()
            loop = asyncio.get_running_loop()
            metrics = await loop.run_in_executor(None, _metrics, b)
            # The node serves this viewer on the fast path, straight from its socket.
            assert 'bikenode_live_subscribers{path="direct"} 1.0' in metrics
            stopping = loop.run_in_executor(None, b.stop)
            try:
                while True:
                    await socket.recv()
            except ConnectionClosed as closed:
                await stopping
                return closed.rcvd.code if closed.rcvd else None

    assert run_async(watch_until_closed()) == 1012


def _metrics(node: Node) -> str:
    with urllib.request.urlopen(f"{node.http}/metrics", timeout=10) as response:
        return str(response.read().decode())
