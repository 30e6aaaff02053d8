"""Two real `bikenode serve` nodes behind a real haproxy: riders see one service, no errors.

The nodes share one database (the test run's PostgreSQL, or one SQLite file in their shared
data dir), one data dir (the same key ring and blobs) and one redis-server, as bench/load.py
--nodes 2 runs them. haproxy is started on loopback, round-robin with health checks on /readyz.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.http import call_json
from tests.load_tools import Node, hlc_now, run_load, seed_rider, served_node
from tests.servers import haproxy_balancer, haproxy_binary, redis_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        haproxy_binary() is None,
        reason="haproxy is not installed (scripts/system-packages installs it)",
    ),
]


def _mixed_requests(ride_ids: list[str]) -> list[dict[str, Any]]:
    """Reads and writes of one rider's rides, sent all at once."""
    reads: list[dict[str, Any]] = [{"kind": "get", "path": "/api/v1/rides?limit=20"}] * 6
    for ride_id in ride_ids:
        reads.append({"kind": "get", "path": f"/api/v1/rides/{ride_id}"})
        reads.append({"kind": "get", "path": f"/api/v1/rides/{ride_id}/streams?resolution=100"})
    reads.append({"kind": "get", "path": "/api/v1/sync/pull"})
    writes: list[dict[str, Any]] = [
        {"kind": "patch", "path": f"/api/v1/rides/{ride_ids[0]}", "json": {"name": f"Lap {n}"}}
        for n in range(4)
    ]
    push = {
        "client_id": "balanced-phone",
        "mutations": [
            {
                "counter": 1,
                "record_type": "ride",
                "record_id": ride_ids[1],
                "fields": {"description": {"value": "windy", "hlc": hlc_now("balanced-phone")}},
            }
        ],
    }
    writes.append({"kind": "post", "path": "/api/v1/sync/push", "json": push})
    writes += [{"kind": "upload", "seed": seed} for seed in (1, 2)]
    return reads + writes


def test_two_nodes_behind_haproxy_answer_reads_and_writes_without_errors(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    data_dir = tmp_path / "data"
    with (
        redis_server() as redis_url,
        served_node(data_dir, database_url, redis_url=redis_url) as a,
        served_node(data_dir, database_url, redis_url=redis_url) as b,
        haproxy_balancer([a.base, b.base]) as balancer,
    ):
        rider = Node(balancer.base, a.process, a.log_path)
        seed_rider(rider, rides=2, points=120)  # registers, signs in and imports via haproxy
        outcomes = run_load(
            {
                "base": balancer.base,
                "token": rider.token,
                "requests": _mixed_requests(rider.ride_ids),
            }
        )
        failed = [o for o in outcomes if "error" in o or not 200 <= o["status"] < 300]
        assert failed == []
        served = balancer.served()
        assert len(served) == 2 and min(served.values()) > 0, served  # round-robin reached both
        assert all(balancer.up().values())

        # A write through the balancer is read back from each node directly.
        rename = {"kind": "patch", "path": f"/api/v1/rides/{rider.ride_ids[0]}"}
        (renamed,) = run_load(
            {
                "base": balancer.base,
                "token": rider.token,
                "requests": [rename | {"json": {"name": "Final lap"}}],
            }
        )
        assert renamed["status"] == 200
        for node in (a, b):
            ride = call_json(node.base, f"/api/v1/rides/{rider.ride_ids[0]}", token=rider.token)
            assert ride["name"] == "Final lap"
