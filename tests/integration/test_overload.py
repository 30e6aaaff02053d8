"""A real `bikenode serve` under bursts of concurrent clients: nothing fails, nothing is lost.

Each test starts the server in its own process (on SQLite, or on the PostgreSQL server of the
test run), sends a burst from a separate load-generator process, and probes /healthz from a
thread of this one throughout.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.http import call_json
from tests.load_tools import (
    HealthProbe,
    Node,
    hlc_now,
    multipart,
    run_load,
    seed_rider,
    served_node,
)

# Latency budgets hold only with the machine to itself: `alone` keeps other tests away.
pytestmark = [pytest.mark.slow, pytest.mark.alone]

# `engine` in a test's arguments empties the test database afterwards.
# /healthz must answer within this, whatever the load (issue: the probe timed out at 60 GETs).
HEALTHZ_BUDGET_MS = 100.0
HEALTHZ_WORST_MS = 500.0


def _reads(node: Node, count: int) -> list[dict[str, Any]]:
    """A mix of list, ride and streams reads over the rider's rides."""
    paths = ["/api/v1/rides?limit=5"]
    for ride_id in node.ride_ids[:5]:
        paths += [
            f"/api/v1/rides/{ride_id}",
            f"/api/v1/rides/{ride_id}/streams?keys=time_s,lat_deg,lon_deg&resolution=200",
        ]
    return [{"kind": "get", "path": paths[i % len(paths)]} for i in range(count)]


def _check_no_failures(outcomes: list[dict[str, Any]]) -> Counter[Any]:
    """No 5xx but 503-with-Retry-After, no timeouts, no dropped connections."""
    statuses: Counter[Any] = Counter(o.get("status", o.get("error")) for o in outcomes)
    broken = [o for o in outcomes if "error" in o or (o["status"] >= 500 and o["status"] != 503)]
    assert not broken, f"{len(broken)} failed: {broken[:3]} (all: {statuses})"
    unexplained = [o for o in outcomes if o["status"] == 503 and not o.get("retry_after")]
    assert not unexplained, f"503 without Retry-After: {unexplained[:3]}"
    return statuses


def _check_healthz(probe: HealthProbe) -> None:
    """Every probe answered; 99% within the budget, and none stuck behind the burst.

    The server, the load generator and PostgreSQL share this machine's two cores, so the
    operating system may pause the server for a time slice now and then whatever it does;
    a probe that waited behind the requests would take seconds (as before: 17 s at 60 GETs).
    """
    assert not probe.failures, probe.failures[:5]
    assert len(probe.latencies_ms) >= 3, "the probe ran too briefly to show anything"
    ordered = sorted(probe.latencies_ms)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    summary = (
        f"median {ordered[len(ordered) // 2]:.1f} ms, p99 {p99:.0f} ms, max {ordered[-1]:.0f} ms"
    )
    assert p99 <= HEALTHZ_BUDGET_MS, f"/healthz too slow: {summary}"
    assert ordered[-1] <= HEALTHZ_WORST_MS, f"/healthz waited behind the load: {summary}"


def test_a_thousand_concurrent_reads_all_answer_while_healthz_stays_fast(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    with served_node(tmp_path / "data", database_url) as node:
        seed_rider(node, rides=10)
        plan = {"base": node.base, "token": node.token, "requests": _reads(node, 1000)}
        with HealthProbe(node.base) as probe:
            outcomes = run_load(plan)
            time.sleep(0.3)
        statuses = _check_no_failures(outcomes)
        # Reads wait for a turn rather than being shed: the default queue holds them all.
        assert statuses == {200: 1000}, statuses
        _check_healthz(probe)


def _mixed_plan(node: Node) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """200 requests: reads, uploads, one PATCH and one sync push per seeded ride."""
    requests = _reads(node, 40)
    names: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    requests += [{"kind": "upload", "seed": 1000 + n} for n in range(40)]
    for n, ride_id in enumerate(node.ride_ids[:60]):
        names[ride_id] = f"renamed under load {n}"
        requests.append(
            {"kind": "patch", "path": f"/api/v1/rides/{ride_id}", "json": {"name": names[ride_id]}}
        )
        descriptions[ride_id] = f"pushed from device {n}"
        client_id = f"load-device-{n}"
        requests.append(
            {
                "kind": "post",
                "path": "/api/v1/sync/push",
                "json": {
                    "client_id": client_id,
                    "mutations": [
                        {
                            "counter": 1,
                            "record_type": "ride",
                            "record_id": ride_id,
                            "fields": {
                                "description": {
                                    "value": descriptions[ride_id],
                                    "hlc": hlc_now(client_id),
                                }
                            },
                        }
                    ],
                },
            }
        )
    return requests, names, descriptions


def _wait_for_uploads(node: Node, upload_ids: list[str]) -> None:
    deadline = time.monotonic() + 300
    pending = set(upload_ids)
    while pending and time.monotonic() < deadline:
        for upload_id in list(pending):
            upload = call_json(node.base, f"/api/v1/uploads/{upload_id}", token=node.token)
            if upload["status"] in ("done", "failed"):
                assert upload["status"] == "done", upload
                assert [i["status"] for i in upload["items"]] == ["imported"], upload["items"]
                pending.discard(upload_id)
        time.sleep(0.3)
    assert not pending, f"{len(pending)} uploads never finished"


def _check_writes(node: Node, outcomes: list[dict[str, Any]], plan: Any) -> Counter[str]:
    """Every write answered 2xx is stored; every write answered 503 changed nothing."""
    requests, names, descriptions = plan
    applied: Counter[str] = Counter()
    uploads = []
    patched, pushed = set(), set()
    for outcome in outcomes:
        request = requests[outcome["index"]]
        ok = outcome["status"] < 300
        if request["kind"] == "upload" and ok:
            uploads += [u["id"] for u in json.loads(outcome["body"])["uploads"]]
        elif request["kind"] == "patch" and ok:
            patched.add(request["path"].rsplit("/", 1)[1])
        elif request["kind"] == "post" and ok:
            pushed.add(request["json"]["mutations"][0]["record_id"])
        if request["kind"] != "get":
            applied["applied" if ok else "refused"] += 1
    _wait_for_uploads(node, uploads)
    for ride_id in node.ride_ids[:60]:
        ride = call_json(node.base, f"/api/v1/rides/{ride_id}", token=node.token)
        assert (ride["name"] == names[ride_id]) == (ride_id in patched), ride_id
        assert (ride["description"] == descriptions[ride_id]) == (ride_id in pushed), ride_id
    assert _ride_count(node) == len(node.ride_ids) + len(uploads)
    return applied


def _ride_count(node: Node) -> int:
    count, cursor = 0, ""
    while True:
        page = call_json(node.base, f"/api/v1/rides?limit=100{cursor}", token=node.token)
        count += len(page["items"])
        if not page.get("next_cursor"):
            return count
        cursor = f"&cursor={page['next_cursor']}"


def test_two_hundred_concurrent_reads_and_writes_lose_nothing(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    with served_node(tmp_path / "data", database_url) as node:
        seed_rider(node, rides=60, points=120)
        plan = _mixed_plan(node)
        with HealthProbe(node.base) as probe:
            outcomes = run_load({"base": node.base, "token": node.token, "requests": plan[0]})
            time.sleep(0.3)
        _check_no_failures(outcomes)
        _check_healthz(probe)
        applied = _check_writes(node, outcomes, plan)
        assert applied["applied"] + applied["refused"] == 160


def test_a_saturated_node_sheds_with_503_and_retry_after_and_applies_nothing_it_refused(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    # Two requests at a time and a waiting line of five: most of a burst of 200 is shed.
    with served_node(
        tmp_path / "data", database_url, max_requests_in_flight="2", max_requests_waiting="5"
    ) as node:
        seed_rider(node, rides=60, points=120)
        plan = _mixed_plan(node)
        with HealthProbe(node.base) as probe:
            outcomes = run_load({"base": node.base, "token": node.token, "requests": plan[0]})
        statuses = _check_no_failures(outcomes)
        assert statuses[503] >= 100, statuses
        _check_healthz(probe)
        applied = _check_writes(node, outcomes, plan)
        assert applied["refused"] >= 50, applied
        metrics = _metrics(node)
        assert metrics['bikenode_http_requests_shed_total{reason="busy"}'] == statuses[503]


def _metrics(node: Node) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"{node.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_a_slow_upload_holds_an_upload_turn_never_a_page_views_turn(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    with served_node(
        tmp_path / "data",
        database_url,
        max_requests_in_flight="1",
        max_uploads_in_flight="1",
        max_requests_waiting="0",
    ) as node:
        seed_rider(node, rides=1, points=60)
        host, port = node.base.removeprefix("http://").split(":")
        body, content_type = multipart("slow.gpx", b"<gpx>" + b" " * 100_000)
        with socket.create_connection((host, int(port))) as slow:
            head = (
                f"POST /api/v1/uploads HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {node.token}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            slow.sendall(head.encode() + body[:1000])  # ...and the rest much later
            time.sleep(0.5)
            started = time.perf_counter()
            page = call_json(node.base, "/api/v1/rides?limit=5", token=node.token)
            assert len(page["items"]) == 1
            assert time.perf_counter() - started < 2.0
            second = _post_raw(node, "/api/v1/uploads", body, content_type)
            assert second.status == 503 and second.getheader("Retry-After"), second.status
            slow.sendall(body[1000:])
            reply = slow.recv(65536).decode(errors="replace")
            assert reply.startswith("HTTP/1.1 202"), reply[:200]


def _post_raw(node: Node, path: str, body: bytes, content_type: str) -> Any:
    host, port = node.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "POST",
        path,
        body=body,
        headers={"Authorization": f"Bearer {node.token}", "Content-Type": content_type},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response
