"""Route rooms across two real nodes: one database, one real Redis, real Node.js Yjs clients.

Two `bikenode serve` processes share the suite's database (PostgreSQL with
BIKENODE_TEST_DB=postgresql; otherwise one SQLite file in a shared data dir) and a
redis-server. The owner's y-websocket client is on node A, the collaborator's on node B:
edits and awareness cross between them, and after node A is killed (SIGKILL, edits just
made there possibly unwritten) its client reconnects to B and nothing is lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client
from sqlalchemy import Engine

from tests.factories import STRONG_PASSWORD
from tests.planner_tools import NodeWorker, Server, wait_until
from tests.servers import RedisServer, persistent_redis_server

pytestmark = pytest.mark.slow


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with persistent_redis_server() as server:
        yield server


@pytest.fixture
def nodes(
    tmp_path: Path, database_url: str, engine: Engine, redis: RedisServer
) -> Iterator[tuple[Server, Server]]:
    """Nodes A and B (one data dir: the same key ring, and the same SQLite file if SQLite)."""
    a = Server(tmp_path, database_url, BIKENODE_REDIS_URL=redis.url)
    b = Server(tmp_path, database_url, BIKENODE_REDIS_URL=redis.url)
    try:
        a.start()  # migrates a SQLite database first; B then finds it at head
        b.start()
        yield a, b
    finally:
        a.kill()
        b.kill()


@pytest.fixture
def js() -> Iterator[NodeWorker]:
    worker = NodeWorker("clients.mjs")
    yield worker
    worker.close()


def _shared_route(server: Server) -> tuple[str, str, str]:
    """A route owned by one new user and shared with another: (route id, their tokens)."""
    stamp = time.monotonic_ns()
    _, owner = server.user(f"owner-{stamp}@example.org")
    collaborator_id, collaborator = server.user(f"collab-{stamp}@example.org")
    points = [{"id": "start", "lat_deg": 46.0, "lon_deg": 7.0}]
    route = server.call("POST", "/api/v1/routes", {"name": "Tour", "waypoints": points}, owner)
    path = f"/api/v1/routes/{route['id']}/collaborators"
    server.call("POST", path, {"user_id": collaborator_id}, owner)
    return route["id"], owner, collaborator


def _connect(js: NodeWorker, name: str, server: Server, route_id: str, token: str) -> None:
    request = {"op": "connect", "name": name, "serverUrl": server.rooms_url, "room": route_id}
    js.call(request | {"token": token})


def _ids(state: dict[str, Any]) -> list[str]:
    return [point["id"] for point in state["waypoints"]]


def _insert(js: NodeWorker, name: str, index: int, point_id: str) -> None:
    edit = {"insert": index, "id": point_id, "lat": 46.0 + index / 100, "lon": 7.0}
    js.call({"op": "edit", "name": name, "edits": [edit]})


def _converged(js: NodeWorker, servers: list[Server], route_id: str, token: str) -> dict[str, Any]:
    """Wait until both clients and every node's reading of the route agree; that route."""

    def same() -> dict[str, Any] | None:
        a: dict[str, Any] = js.call({"op": "state", "name": "a"})
        if js.call({"op": "state", "name": "b"}) != a:
            return None
        mine = [(p["id"], float(p["lat"]), float(p["lon"])) for p in a["waypoints"]]
        for server in servers:
            served = server.call("GET", f"/api/v1/routes/{route_id}", token=token)
            points = [(p["id"], p["lat_deg"], p["lon_deg"]) for p in served["waypoints"]]
            if points != mine or served["notes"] != a["notes"]:
                return None
        return a

    converged: dict[str, Any] = wait_until(same, what="both clients and nodes to converge")
    return converged


def test_editors_on_two_nodes_converge_see_each_other_and_survive_a_node_kill(
    nodes: tuple[Server, Server], js: NodeWorker
) -> None:
    a, b = nodes
    route_id, owner, collaborator = _shared_route(a)
    _connect(js, "a", a, route_id, owner)
    _connect(js, "b", b, route_id, collaborator)

    # Awareness crosses nodes both ways (it is relayed, never stored).
    js.call({"op": "awareness", "name": "a", "state": {"user": "ann", "cursor": 1}})
    js.call({"op": "awareness", "name": "b", "state": {"user": "bob", "cursor": 2}})
    wait_until(
        lambda: {"user": "ann", "cursor": 1} in js.call({"op": "peers", "name": "b"}),
        what="b to see a's awareness through the other node",
    )
    wait_until(
        lambda: {"user": "bob", "cursor": 2} in js.call({"op": "peers", "name": "a"}),
        what="a to see b's awareness through the other node",
    )

    # Concurrent edits on both nodes: one document everywhere.
    _insert(js, "a", 1, "a1")
    _insert(js, "b", 1, "b1")
    js.call({"op": "edit", "name": "a", "edits": [{"notes": "from a. "}]})
    js.call({"op": "edit", "name": "b", "edits": [{"notes": "from b. "}]})
    state = _converged(js, [a, b], route_id, owner)
    assert sorted(_ids(state)) == ["a1", "b1", "start"]

    # A burst on A, then A dies at once: some of it may be neither written nor relayed.
    for i in range(20):
        _insert(js, "a", 0, f"burst{i}")
    a.kill()
    _insert(js, "b", 0, "b-while-a-is-down")
    js.call({"op": "move", "name": "a", "serverUrl": b.rooms_url})  # the client fails over
    state = _converged(js, [b], route_id, owner)
    expected = {"start", "a1", "b1", "b-while-a-is-down"} | {f"burst{i}" for i in range(20)}
    assert set(_ids(state)) == expected
    assert len(_ids(state)) == len(expected)

    # Everything is in the log: both clients leave, A comes back and reads the route from
    # the database (no room open there).
    js.call({"op": "close", "name": "a"})
    js.call({"op": "close", "name": "b"})
    a.start()

    def stored() -> list[str] | None:
        route = a.call("GET", f"/api/v1/routes/{route_id}", token=collaborator)
        ids = [p["id"] for p in route["waypoints"]]
        return ids if ids == _ids(state) else None

    wait_until(stored, what="the stored route to hold every edit")


def test_a_room_opened_late_a_redis_restart_and_a_redis_that_lost_its_data_lose_nothing(
    nodes: tuple[Server, Server], js: NodeWorker, redis: RedisServer
) -> None:
    a, b = nodes
    route_id, owner, collaborator = _shared_route(a)
    _connect(js, "a", a, route_id, owner)
    for i in range(5):
        _insert(js, "a", 1, f"early{i}")
    _connect(js, "b", b, route_id, collaborator)  # B's room opens after A's edits
    _converged(js, [a, b], route_id, owner)

    redis.restart()  # messages published while it is down are lost to the other node
    for i in range(5):
        _insert(js, "a", 1, f"late{i}")
        _insert(js, "b", 1, f"blate{i}")
    _converged(js, [a, b], route_id, owner)

    # Redis loses everything (FLUSHALL: no restart, so no reader notices): the rooms find
    # each other's later edits in the log at their periodic check.
    client = redis_client.Redis.from_url(redis.url)
    client.flushall()
    client.close()
    _insert(js, "a", 1, "after-flush-a")
    _insert(js, "b", 1, "after-flush-b")
    state = _converged(js, [a, b], route_id, owner)
    assert len(_ids(state)) == 18
    js.call({"op": "close", "name": "a"})
    js.call({"op": "close", "name": "b"})


def test_signing_out_or_erasure_on_one_node_closes_the_room_sockets_on_the_other(
    nodes: tuple[Server, Server], js: NodeWorker
) -> None:
    a, b = nodes
    stamp = time.monotonic_ns()
    email = f"owner-{stamp}@example.org"
    _, token = a.user(email)
    route = a.call("POST", "/api/v1/routes", {"name": "Alone"}, token)
    login = a.call("POST", "/api/v1/auth/login", {"email": email, "password": STRONG_PASSWORD})
    _connect(js, "kept", b, route["id"], token)  # another session of the same user
    _connect(js, "ended", b, route["id"], login["access_token"])
    a.call("POST", "/api/v1/auth/logout", {"refresh_token": login["refresh_token"]})
    wait_until(
        lambda: 4401 in js.call({"op": "closes", "name": "ended"}),
        what="the signed-out session's socket on B to close",
    )
    assert js.call({"op": "closes", "name": "kept"}) == []

    # Erasing the account through A closes its last socket on B at once, as a sign-out
    # (4401), not at B's next access check (which would close it with 4404).
    erase = {"password": STRONG_PASSWORD, "confirm": "erase my account"}
    a.call("POST", "/api/v1/me/erase", erase, token)
    wait_until(
        lambda: js.call({"op": "closes", "name": "kept"}) != [],
        what="the erased user's socket on B to close",
    )
    assert js.call({"op": "closes", "name": "kept"}) == [4401]
    js.call({"op": "close", "name": "kept"})
    js.call({"op": "close", "name": "ended"})
