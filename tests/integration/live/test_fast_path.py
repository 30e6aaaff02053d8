"""The viewer fast path of a real `bikenode serve`: the same protocol as the ASGI endpoints,
refusals with their close codes, resume without loss, and a stalled viewer that neither blocks
the others nor loses anything once it reads again.
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bikenode.live.logic import encode_batch
from tests.integration.live.nodes import Node, request, rider_account
from tests.live_tools import START_MS, Rider, Viewer, columns, run_async

pytestmark = pytest.mark.slow


@pytest.fixture
def node(tmp_path: Path, database_url: str, engine: Engine) -> Iterator[Node]:
    # No Redis: the in-process broker. Big batches, so that a stalled socket fills quickly.
    single = Node(tmp_path, database_url, "", BIKENODE_LIVE_MAX_POINTS_PER_BATCH="1000")
    try:
        single.start()
        yield single
    finally:
        single.kill()


def _watch_url(node: Node, session_id: str) -> str:
    return node.ws(f"/api/v1/live/sessions/{session_id}/watch")


async def _closed_with(url: str, frames: list[str | bytes]) -> int | None:
    async with connect(url) as socket:
        for frame in frames:
            await socket.send(frame)
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 15)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


def test_refusals_close_with_the_documented_codes(node: Node) -> None:
    owner = rider_account(node, "fast-owner@example.org")
    stranger = rider_account(node, "fast-stranger@example.org")
    private = request(f"{node.http}/api/v1/live/sessions", {"visibility": "private"}, owner)
    url = _watch_url(node, private["id"])
    unknown = _watch_url(node, "00000000-0000-4000-8000-000000000000")
    cases: list[tuple[str, list[str | bytes], int]] = [
        (url, ['{"type": "hello"}'], 4001),  # anonymous on a private session
        (
            url,
            [json.dumps({"type": "hello", "token": stranger})],
            4004,
        ),  # a stranger learns nothing
        (unknown, [json.dumps({"type": "hello", "token": owner})], 4004),
        (url, [b"\x00binary"], 1008),
        (url, ["not json"], 1008),
        (url, ['{"type": "batch"}'], 1008),  # a viewer must start with a hello
        (url, ["x" * 70_000], 1009),  # over the 64 KiB frame limit
        (url, [json.dumps({"type": "hello", "token": owner, "last_seq": -1})], 1008),
    ]
    for target, frames, code in cases:
        assert run_async(_closed_with(target, frames)) == code, frames[0][:40]


def test_a_viewer_resumes_without_loss_and_a_stalled_viewer_delays_no_one(node: Node) -> None:
    token = rider_account(node, "fast-rider@example.org")
    live = request(f"{node.http}/api/v1/live/sessions", {"visibility": "public"}, token)
    url = _watch_url(node, live["id"])
    total = 300

    async def scenario() -> tuple[Viewer, Viewer, list[int]]:
        rider = Rider([node.ws(f"/api/v1/live/sessions/{live['id']}/ride")], token)
        steady = Viewer([url], {})
        dropped = Viewer([url], {})
        steady_task = asyncio.create_task(steady.run(until_seq=total))
        dropped_task = asyncio.create_task(dropped.run(until_seq=total))
        # A tiny receive buffer: the stalled viewer's socket fills after a few messages.
        small = socket.socket()
        small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        small.connect(("127.0.0.1", node.port))
        async with connect(url, sock=small, max_queue=1) as stalled:  # reads its welcome only
            await stalled.send('{"type": "hello"}')
            welcome = json.loads(await stalled.recv())
            while steady.epoch is None or dropped.epoch is None:
                await asyncio.sleep(0.02)
            for batch_no in range(1, total + 1):
                await rider.send(batch_no, _big_batch(batch_no))
                if batch_no % 100 == 0:
                    await dropped.drop()  # it reconnects with its last sequence number
            await asyncio.wait_for(steady_task, 60)  # not held back by the stalled socket
            await asyncio.wait_for(dropped_task, 60)
            seen: list[int] = []
            while len(seen) < total:  # the stalled viewer reads at last: all, in order
                message: dict[str, Any] = json.loads(await asyncio.wait_for(stalled.recv(), 30))
                if message["type"] == "msg":
                    seen.append(message["seq"])
                else:
                    assert message["type"] != "gap", message
            assert welcome["type"] == "welcome"
        await rider.close()
        return steady, dropped, seen

    steady, dropped, seen = run_async(scenario())
    with urllib.request.urlopen(f"{node.http}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    resyncs = [line for line in metrics.splitlines() if line.startswith("bikenode_live_resyncs ")]
    assert float(resyncs[0].split()[1]) >= 1  # the stalled viewer was refilled from history
    assert steady.received == list(range(1, total + 1))
    assert dropped.received == list(range(1, total + 1)) and dropped.connections >= 3
    assert seen == list(range(1, total + 1))


def _big_batch(batch_no: int) -> dict[str, Any]:
    """A 1,000-point batch (about 60 KB on the channel): 300 overfill any socket's buffers."""
    return encode_batch(batch_no, columns(batch_no, points=1000, start_ms=START_MS - 400_000_000))


async def _first_or_close(url: str, hello: dict[str, Any], origin: str | None = None) -> Any:
    """The first message a watch socket gets, or its close code."""
    headers = {"Origin": origin} if origin else None
    async with connect(url, additional_headers=headers, origin=None) as socket:
        await socket.send(json.dumps({"type": "hello", **hello}))
        try:
            return json.loads(await asyncio.wait_for(socket.recv(), 15))["type"]
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def _refused_status(url: str, origin: str) -> int | None:
    try:
        async with connect(url, additional_headers={"Origin": origin}):
            return None
    except InvalidStatus as refused:
        return refused.response.status_code


async def _closed_after(url: str, hello: dict[str, Any], action: Any) -> int | None:
    """Watch, run `action` (in a thread), and return the close code the socket then gets."""
    async with connect(url) as socket:
        await socket.send(json.dumps({"type": "hello", **hello}))
        await asyncio.wait_for(socket.recv(), 15)
        await asyncio.to_thread(action)
        try:
            while True:
                await asyncio.wait_for(socket.recv(), 15)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


def test_fast_path_sockets_check_origin_close_on_sign_out_and_are_capped(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    capped = Node(tmp_path, database_url, "", BIKENODE_MAX_SOCKETS_PER_USER="2")
    try:
        capped.start()
        _check_origin_sign_out_and_cap(capped)
    finally:
        capped.kill()


def _check_origin_sign_out_and_cap(node: Node) -> None:
    email, password = "fast-sockets@example.org", "a long enough live test passphrase"
    token = rider_account(node, email)
    live = request(f"{node.http}/api/v1/live/sessions", {"visibility": "private"}, token)
    url = _watch_url(node, live["id"])
    hello = {"token": token}
    assert run_async(_refused_status(url, "https://evil.example")) == 403
    assert run_async(_first_or_close(url, hello, origin=node.http)) == "welcome"
    assert run_async(_first_or_close(url, hello)) == "welcome"  # no Origin: not a browser

    laptop = request(f"{node.http}/api/v1/auth/login", {"email": email, "password": password})

    def log_out() -> None:
        refresh = {"refresh_token": laptop["refresh_token"]}
        urllib.request.urlopen(
            urllib.request.Request(
                f"{node.http}/api/v1/auth/logout",
                data=json.dumps(refresh).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            ),
            timeout=30,
        ).close()

    laptop_hello = {"token": laptop["access_token"]}
    assert run_async(_closed_after(url, laptop_hello, log_out)) == 4001
    assert run_async(_over_the_cap(url, hello)) == 4029


async def _over_the_cap(url: str, hello: dict[str, Any]) -> Any:
    async with connect(url) as first, connect(url) as second:
        for socket in (first, second):
            await socket.send(json.dumps({"type": "hello", **hello}))
            await asyncio.wait_for(socket.recv(), 15)
        return await _first_or_close(url, hello)
