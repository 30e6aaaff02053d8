"""Reconnect without loss, CI-sized: 3,000 messages and 100 subscribers dropped at random,
one node SIGKILLed and Redis restarted mid-way. bench/live_soak.py runs the full 100,000 x 1,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.live.nodes import Node
from tests.integration.live.soak import soak, start_nodes
from tests.live_tools import run_async
from tests.servers import RedisServer, persistent_redis_server

pytestmark = pytest.mark.slow
MESSAGES, SUBSCRIBERS = 3_000, 100


@pytest.fixture
def cluster(
    tmp_path: Path, database_url: str, engine: Engine
) -> Iterator[tuple[tuple[Node, Node], RedisServer]]:
    with persistent_redis_server() as redis:
        nodes = start_nodes(tmp_path, database_url, redis, history=MESSAGES * 2)
        try:
            yield nodes, redis
        finally:
            for node in nodes:
                node.kill()


def test_every_subscriber_ends_with_every_message_once_in_order_or_a_notice(
    cluster: tuple[tuple[Node, Node], RedisServer],
) -> None:
    nodes, redis = cluster
    result = run_async(soak(nodes, redis, messages=MESSAGES, subscribers=SUBSCRIBERS))
    assert result.drops > SUBSCRIBERS  # every subscriber was dropped about once or more
    assert result.complete == SUBSCRIBERS, result.errors
