"""A real Node.js client (npm yjs + y-websocket) and our server converge.

Two Node.js clients (the owner and a collaborator) edit one route through a real
`bikenode serve`: concurrently, then with one of them offline, then across a server restart.
Both clients and the server's own reading of the document (REST) must agree.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.planner_tools import NodeWorker, Server, wait_until

_emails = itertools.count(1)


def _route_for_two(server: Server) -> tuple[str, str, str]:
    """A route owned by one new user and shared with another; (route id, tokens)."""
    stamp = time.monotonic_ns()
    _, owner = server.user(f"owner{next(_emails)}-{stamp}@example.org")
    collaborator_id, collaborator = server.user(f"collab{next(_emails)}-{stamp}@example.org")
    points = [{"id": "start", "lat_deg": 46.0, "lon_deg": 7.0}]
    route = server.call("POST", "/api/v1/routes", {"name": "Tour", "waypoints": points}, owner)
    server.call(
        "POST",
        f"/api/v1/routes/{route['id']}/collaborators",
        {"user_id": collaborator_id},
        owner,
    )
    return route["id"], owner, collaborator


def _connect(js: NodeWorker, server: Server, name: str, room: str, token: str) -> None:
    js.call(
        {"op": "connect", "name": name, "serverUrl": server.rooms_url, "room": room, "token": token}
    )


def _ids(state: dict[str, Any]) -> list[str]:
    return [point["id"] for point in state["waypoints"]]


def _converged(js: NodeWorker, server: Server, route_id: str, token: str) -> dict[str, Any]:
    """Wait until both clients and the server hold the same route; that route."""

    def same() -> dict[str, Any] | None:
        a: dict[str, Any] = js.call({"op": "state", "name": "a"})
        b = js.call({"op": "state", "name": "b"})
        if a != b:
            return None
        stored = server.call("GET", f"/api/v1/routes/{route_id}", token=token)
        served = [(p["id"], p["lat_deg"], p["lon_deg"]) for p in stored["waypoints"]]
        mine = [(p["id"], float(p["lat"]), float(p["lon"])) for p in a["waypoints"]]
        if served != mine or stored["notes"] != a["notes"]:
            return None
        return a

    converged: dict[str, Any] = wait_until(same, what="clients and server to converge")
    return converged


def test_node_clients_converge_after_concurrent_and_offline_edits(
    server: Server, node_clients: NodeWorker
) -> None:
    js = node_clients
    route_id, owner, collaborator = _route_for_two(server)
    _connect(js, server, "a", route_id, owner)
    _connect(js, server, "b", route_id, collaborator)
    assert _ids(js.call({"op": "state", "name": "b"})) == ["start"]  # the server's document

    # Concurrent: both insert at the same place and edit the notes at once.
    js.call(
        {
            "op": "edit",
            "name": "a",
            "edits": [{"insert": 1, "id": "a1", "lat": 46.1, "lon": 7.1}, {"notes": "from a. "}],
        }
    )
    js.call(
        {
            "op": "edit",
            "name": "b",
            "edits": [{"insert": 1, "id": "b1", "lat": 46.2, "lon": 7.2}, {"notes": "from b. "}],
        }
    )
    state = _converged(js, server, route_id, owner)
    assert sorted(_ids(state)) == ["a1", "b1", "start"]
    assert "from a. " in state["notes"] and "from b. " in state["notes"]

    # Offline: b goes away, both edit, b comes back and the state-vector exchange merges.
    js.call({"op": "disconnect", "name": "b"})
    js.call(
        {
            "op": "edit",
            "name": "a",
            "edits": [{"insert": 0, "id": "a2", "lat": 45.9, "lon": 6.9}, {"delete": 2}],
        }
    )
    js.call(
        {
            "op": "edit",
            "name": "b",
            "edits": [
                {"insert": 3, "id": "b2", "lat": 46.3, "lon": 7.3},
                {"move": [0, 2]},
                {"set": 1, "lat": 40.5, "lon": 5.5},
                {"name": "Tour (offline)"},
            ],
        }
    )
    js.call({"op": "reconnect", "name": "b"})
    state = _converged(js, server, route_id, owner)
    assert {"a2", "b2"} <= set(_ids(state))
    assert state["meta"]["name"] == "Tour (offline)"
    listed = server.call("GET", "/api/v1/routes", token=owner)["items"]
    wait_until(
        lambda: (
            server.call("GET", "/api/v1/routes", token=owner)["items"][0]["name"]
            == "Tour (offline)"
        ),
        what="the listed name to follow the document",
    )
    assert listed

    js.call({"op": "close", "name": "a"})
    js.call({"op": "close", "name": "b"})


def test_edits_survive_a_server_restart_and_offline_edits_resync(
    server: Server, node_clients: NodeWorker
) -> None:
    js = node_clients
    route_id, owner, collaborator = _route_for_two(server)
    _connect(js, server, "a", route_id, owner)
    _connect(js, server, "b", route_id, collaborator)
    js.call(
        {
            "op": "edit",
            "name": "a",
            "edits": [
                {"insert": 1, "id": f"p{i}", "lat": 46 + i / 100, "lon": 7.0} for i in range(20)
            ],
        }
    )
    _converged(js, server, route_id, owner)
    js.call({"op": "disconnect", "name": "a"})
    js.call({"op": "disconnect", "name": "b"})
    server.stop()  # SIGTERM: the room is written, sockets closed with 1012
    js.call(
        {
            "op": "edit",
            "name": "b",
            "edits": [{"insert": 0, "id": "while-down", "lat": 1.0, "lon": 2.0}],
        }
    )
    server.start()
    js.call({"op": "reconnect", "name": "a"})
    js.call({"op": "reconnect", "name": "b"})
    state = _converged(js, server, route_id, owner)
    assert len(state["waypoints"]) == 22
    assert _ids(state)[0] == "while-down"
    js.call({"op": "close", "name": "a"})
    js.call({"op": "close", "name": "b"})


def test_a_node_client_joins_with_a_single_use_ticket(
    server: Server, node_clients: NodeWorker
) -> None:
    js = node_clients
    route_id, owner, collaborator = _route_for_two(server)
    tickets = f"/api/v1/routes/{route_id}/room-tickets"
    ticket = server.call("POST", tickets, token=collaborator)["ticket"]
    request = {"op": "connect", "serverUrl": server.rooms_url, "room": route_id}
    js.call({**request, "name": "ticket", "ticket": ticket})
    assert _ids(js.call({"op": "state", "name": "ticket"})) == ["start"]
    js.call(
        {
            "op": "edit",
            "name": "ticket",
            "edits": [{"insert": 1, "id": "t1", "lat": 46.2, "lon": 7.2}],
        }
    )
    wait_until(
        lambda: (
            _ids(server.call("GET", f"/api/v1/routes/{route_id}", token=owner)) == ["start", "t1"]
        ),
        what="the ticket holder's edit to reach the server",
    )
    js.call({"op": "close", "name": "ticket"})
