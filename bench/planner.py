"""Collaborative route planning: convergence of 10 editors, and room round-trip latency.

Run: python bench/planner.py [--runs 5] [--trips 500]
(needs `npm ci` in tests/node: scripts/test does it)

Starts a real `bikenode serve` (SQLite, in a temporary folder; the per-connection message
limits raised so that the bench measures the room, not the limiter) and, beside it, the
reference Node.js y-websocket server (@y/websocket-server). Both are driven by the same
npm yjs + y-websocket clients (tests/node/bench.mjs):

- converge: a route of 1,000 waypoints made by 10 clients at once (100 inserts each, all
  started together); the time until every client holds all 1,000.
- latency: one client sets a value, another sees it; the round trip through the room
  (p50 and p99 of `--trips` sequential edits).

Each measurement runs `--runs` times, alternating the two servers; the table shows medians
and our/reference ratios (targets: latency p50 <= 1.5x, p99 <= 1.2x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NODE_DIR = REPO / "tests" / "node"
sys.path.insert(0, str(REPO))

from tests.planner_tools import Server  # noqa: E402
from tests.servers import free_port  # noqa: E402


def reference_server() -> tuple[subprocess.Popen[bytes], str]:
    """The reference y-websocket server on a free loopback port; its ws:// URL."""
    port = free_port()
    process = subprocess.Popen(
        ["node", str(NODE_DIR / "node_modules/@y/websocket-server/src/server.js")],
        cwd=NODE_DIR,
        env=dict(os.environ, HOST="127.0.0.1", PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return process, f"ws://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the reference y-websocket server did not start")


def run_node(mode: str, config: dict[str, Any]) -> dict[str, Any]:
    output = subprocess.run(
        ["node", str(NODE_DIR / "bench.mjs"), mode, json.dumps(config)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(output.stdout)
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--trips", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-planner-") as folder:
        ours = Server(
            Path(folder),
            "sqlite://",
            BIKENODE_PLANNER_MESSAGES_PER_S="1000000",
            BIKENODE_PLANNER_MESSAGE_BURST="1000000",
            BIKENODE_LOG_LEVEL="WARNING",
        )
        ours.start()
        reference, reference_url = reference_server()
        try:
            results = measure(ours, reference_url, args.runs, args.trips)
        finally:
            reference.terminate()
            reference.wait(timeout=10)
            ours.stop()
    print_table(results, args)


def measure(
    ours: Server, reference_url: str, runs: int, trips: int
) -> dict[str, dict[str, list[float]]]:
    _, token = ours.user(f"bench-{time.monotonic_ns()}@example.org")
    results: dict[str, dict[str, list[float]]] = {
        name: {"converge": [], "p50": [], "p99": []} for name in ("ours", "reference")
    }
    for run in range(runs):
        for name in ("ours", "reference") if run % 2 == 0 else ("reference", "ours"):
            if name == "ours":
                rooms = [
                    ours.call("POST", "/api/v1/routes", {"name": f"b{run}{i}"}, token)["id"]
                    for i in range(2)
                ]
                target = {"serverUrl": ours.rooms_url, "params": {"token": token}}
            else:
                rooms = [f"bench-{run}-{i}-{time.monotonic_ns()}" for i in range(2)]
                target = {"serverUrl": reference_url, "params": {}}
            converged = run_node(
                "converge", {**target, "room": rooms[0], "clients": 10, "waypoints": 1000}
            )
            if min(converged["lengths"]) < 1000:
                raise RuntimeError(f"{name}: clients did not converge: {converged['lengths']}")
            results[name]["converge"].append(converged["ms"])
            trip_ms = run_node("latency", {**target, "room": rooms[1], "trips": trips})["ms"]
            results[name]["p50"].append(percentile(trip_ms, 0.50))
            results[name]["p99"].append(percentile(trip_ms, 0.99))
    return results


def print_table(results: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> None:
    median = {n: {k: statistics.median(v) for k, v in r.items()} for n, r in results.items()}
    targets = {"converge": None, "p50": 1.5, "p99": 1.2}
    labels = {
        "converge": "1,000 waypoints by 10 clients: converged (ms)",
        "p50": f"room round trip p50 (ms, {args.trips} edits)",
        "p99": f"room round trip p99 (ms, {args.trips} edits)",
    }
    print(f"Collaborative routes, medians of {args.runs} runs (npm yjs + y-websocket clients)")
    print(f"{'measure':<48} {'BikeNode':>10} {'reference':>10} {'ratio':>7} {'target':>8}")
    for key, label in labels.items():
        ratio = median["ours"][key] / median["reference"][key]
        target = targets[key]
        verdict = (
            "" if target is None else (f"<= {target}x" + (" ok" if ratio <= target else " MISS"))
        )
        print(
            f"{label:<48} {median['ours'][key]:>10.2f} {median['reference'][key]:>10.2f}"
            f" {ratio:>6.2f}x {verdict:>8}"
        )


if __name__ == "__main__":
    main()
