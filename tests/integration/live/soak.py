"""The reconnect-without-loss soak: many sequenced messages, subscribers dropped at random,
one node killed and one Redis restart in the middle. Used by the test and by bench/live_soak.py.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import connect

from tests.integration.live.nodes import Node, request, rider_account
from tests.live_tools import RETRIED, Viewer, batch_frame
from tests.servers import RedisServer

# One message a second of ride time: 100,000 messages span 28 hours, all in the past.
SOAK_START_MS = int(time.time() * 1000) - 2 * 24 * 3600 * 1000


@dataclass
class SoakResult:
    messages: int
    subscribers: int
    drops: int
    reconnects: int
    gaps: int
    seconds: float
    complete: int  # subscribers that ended with every message or an explicit notice for it
    errors: list[str]  # what went wrong for the others (an out-of-order message...)


async def _publish(urls: list[str], token: str, total: int, *, window: int = 64) -> int:
    """Send batches 1..total pipelined, reconnecting and resending from the first unacked."""
    first_unacked, attempt, reconnects = 1, 0, 0
    while first_unacked <= total:
        try:
            async with connect(urls[attempt % len(urls)], open_timeout=5) as socket:
                await socket.send(json.dumps({"type": "hello", "token": token}))
                json.loads(await socket.recv())
                next_batch = first_unacked
                while first_unacked <= total:
                    while next_batch <= total and next_batch - first_unacked < window:
                        frame = batch_frame(next_batch, points=1, start_ms=SOAK_START_MS)
                        await socket.send(json.dumps(frame))
                        next_batch += 1
                    reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
                    if reply["type"] == "ack":
                        first_unacked = max(first_unacked, reply["batch"] + 1)
                    elif reply.get("code") != "unavailable":
                        raise AssertionError(f"refused: {reply}")
        except RETRIED:
            attempt += 1
            reconnects += 1
            await asyncio.sleep(0.2)
    return reconnects


def _accounted(viewer: Viewer, final_seq: int) -> bool:
    """Every message after the viewer's start arrived once in order, or a notice named it."""
    expected = set(range((viewer.start_seq or 0) + 1, final_seq + 1))
    noticed = {seq for first, last in viewer.gaps for seq in range(first, last + 1)}
    got = viewer.received
    return len(got) == len(set(got)) and got == sorted(got) and set(got) | noticed == expected


async def soak(
    nodes: tuple[Node, Node], redis: RedisServer, *, messages: int, subscribers: int
) -> SoakResult:
    """Run the soak against running nodes; the nodes may be killed and restarted."""
    a, b = nodes
    token = rider_account(a, f"soak{random.randrange(10**9)}@example.org")
    live = request(f"{a.http}/api/v1/live/sessions", {"visibility": "public"}, token)
    watch = f"/api/v1/live/sessions/{live['id']}/watch"
    viewers = [
        Viewer([n.ws(watch) for n in ((a, b) if i % 2 else (b, a))], {}) for i in range(subscribers)
    ]
    stop = asyncio.Event()
    started = time.monotonic()
    tasks = [asyncio.create_task(v.run(stop=stop)) for v in viewers]
    while any(v.epoch is None for v in viewers):
        await asyncio.sleep(0.05)
    publishing = asyncio.create_task(
        _publish(
            [
                a.ws(f"/api/v1/live/sessions/{live['id']}/ride"),
                b.ws(f"/api/v1/live/sessions/{live['id']}/ride"),
            ],
            token,
            messages,
        )
    )
    drops = 0
    killed = restarted_redis = False
    loop = asyncio.get_running_loop()
    while not publishing.done():
        await asyncio.sleep(0.02)
        for viewer in random.sample(viewers, max(1, subscribers // 50)):
            await viewer.drop()
            drops += 1
        progress = max(v.last_seq or 0 for v in viewers)
        if not killed and progress >= messages // 3:
            killed = True
            a.kill()  # viewers on A and the rider move to B
            loop.run_in_executor(None, a.start)
        if not restarted_redis and progress >= 2 * messages // 3:
            restarted_redis = True
            await loop.run_in_executor(None, redis.restart)
    reconnects = await publishing
    final_seq = messages
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any((v.last_seq or 0) < final_seq for v in viewers):
        await asyncio.sleep(0.1)
    stop.set()
    for viewer in viewers:
        await viewer.drop()
    await asyncio.gather(*tasks, return_exceptions=True)
    return SoakResult(
        messages=messages,
        subscribers=subscribers,
        drops=drops,
        reconnects=reconnects + sum(v.connections - 1 for v in viewers),
        gaps=sum(len(v.gaps) for v in viewers),
        seconds=time.monotonic() - started,
        complete=sum(_accounted(v, final_seq) for v in viewers),
        errors=[
            f"error={v.error!r} last_seq={v.last_seq} gaps={v.gaps}"
            for v in viewers
            if not _accounted(v, final_seq)
        ][:10],
    )


def start_nodes(
    root: Path, database_url: str, redis: RedisServer, history: int
) -> tuple[Node, Node]:
    """Two nodes on one database and one Redis, with a history window of `history` messages."""
    env = {"BIKENODE_LIVE_HISTORY_SIZE": str(history), "BIKENODE_LIVE_VIEWER_QUEUE": "4096"}
    a, b = Node(root, database_url, redis.url, **env), Node(root, database_url, redis.url, **env)
    a.start()
    b.start()
    return a, b
