"""The API under load: a realistic mix of riders' requests at 20, 200 and 1,000 clients.

A real `bikenode serve` (one process, as it runs by default) on SQLite, then on a real
PostgreSQL server started on loopback. The load comes from a separate process (an asyncio
generator with aiohttp): each client is a rider's app that sends a request, waits for the
answer, thinks for a while (exponential, mean --think seconds) and sends the next one. The mix:

  list rides 30, open a ride 20, its streams 15, the dashboard's stats 10, a sync pull 10,
  rename a ride 7, a sync push 5, upload a small GPX 2, sign in 1

over a few riders with imported rides. Printed per database and client count: p50/p95/p99 per
route (ms), errors (5xx other than a node's 503, timeouts, dropped connections), requests
shed with 503 + Retry-After, and requests per server CPU-second. Target: reads' p95 < 50 ms at
200 clients on one node. No peer is named for this benchmark; the figures stand against the target.

--nodes 2 measures scaling out instead: PostgreSQL and a real redis-server (BIKENODE_REDIS_URL
on every node), one node and then two `bikenode serve` nodes sharing one data dir, each time
behind haproxy started on loopback (round-robin, health checks on /readyz), so both rows pay the
same balancer hop. CPU is summed over every node's process tree (haproxy and the generator are
not counted). Target: the same requests per server CPU-second on two nodes as on one — this
machine has 2 cores, so the ratio shows per-CPU efficiency, not absolute scaling.

Run: .venv/bin/python bench/load.py [--clients 20,200,1000] [--duration 20] [--quick]
     .venv/bin/python bench/load.py --nodes 2 --clients 20,200 --duration 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.http import call_json
from tests.load_tools import (
    PASSWORD,
    Node,
    hlc_now,
    multipart,
    seed_rider,
    served_node,
)
from tests.servers import Balancer, haproxy_balancer, postgres_server, redis_server
from tests.synthetic import synthetic_gpx

MIX = [
    ("list", 30),
    ("ride", 20),
    ("streams", 15),
    ("stats", 10),
    ("pull", 10),
    ("rename", 7),
    ("push", 5),
    ("upload", 2),
    ("sign_in", 1),
]
READS = {"list", "ride", "streams", "stats", "pull"}
ROUTES = {
    "list": "GET /api/v1/rides",
    "ride": "GET /api/v1/rides/{id}",
    "streams": "GET /api/v1/rides/{id}/streams",
    "stats": "GET /api/v1/rides/stats",
    "pull": "GET /api/v1/sync/pull",
    "rename": "PATCH /api/v1/rides/{id}",
    "push": "POST /api/v1/sync/push",
    "upload": "POST /api/v1/uploads",
    "sign_in": "POST /api/v1/auth/login",
}
TARGET_READ_P95_MS = 50.0
TARGET_TWO_NODE_EFFICIENCY = 1.0  # two nodes' requests per CPU-second over one node's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="20,200,1000", help="client counts, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per run")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time (s)")
    parser.add_argument("--riders", type=int, default=10)
    parser.add_argument("--rides", type=int, default=30, help="rides imported per rider")
    parser.add_argument("--databases", default=None, help="default: sqlite,postgresql")
    parser.add_argument(
        "--nodes",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: one node, then two behind haproxy (PostgreSQL and Redis)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes on the node")
    parser.add_argument("--quick", action="store_true", help="20 and 200 clients, 8 s each")
    parser.add_argument("--client-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_process:
        _client_process()
        return
    levels = [int(n) for n in args.clients.split(",")]
    if args.quick:
        levels, args.duration, args.riders, args.rides = [20, 200], 8.0, 4, 10
    if args.nodes == 2:
        _print_table(_scale_out(levels, args))
        return
    rows = []
    for database in (args.databases or "sqlite,postgresql").split(","):
        with (
            _database(database) as url,
            tempfile.TemporaryDirectory() as folder,
            served_node(Path(folder) / "data", url, workers=args.workers) as node,
        ):
            _progress(f"{database}: seeding {args.riders} riders x {args.rides} rides")
            riders = _seed(node, args.riders, args.rides)
            _progress(f"{database}: waiting for the seed's events to be handled")
            _wait_for_background_work(node)
            for clients in levels:
                _progress(f"{database}: {clients} clients for {args.duration:.0f} s")
                rows += _run_level(node.base, [node], database, riders, clients, args)
    _print_table(rows)


def _scale_out(levels: list[int], args: Any) -> list[dict[str, Any]]:
    """The levels on one node, then on two, behind haproxy, on PostgreSQL with Redis."""
    if (args.databases or "postgresql") != "postgresql":
        # Two nodes share their database: each SQLite file belongs to one machine.
        raise SystemExit("--nodes 2 runs on PostgreSQL only: drop --databases or say postgresql")
    rows = []
    with (
        postgres_server() as url,
        redis_server() as redis_url,
        tempfile.TemporaryDirectory() as folder,
    ):
        data_dir = Path(folder) / "data"  # shared: the same key ring and blobs on both nodes
        with served_node(data_dir, url, workers=args.workers, redis_url=redis_url) as first:
            _progress(f"postgresql: seeding {args.riders} riders x {args.rides} rides")
            riders = _seed(first, args.riders, args.rides)
            _wait_for_background_work(first)
            with haproxy_balancer([first.base]) as balancer:
                for clients in levels:
                    _progress(f"one node behind haproxy: {clients} clients")
                    rows += _balanced_level(balancer, [first], riders, clients, args)
            _progress("waiting for the one-node runs' events to be handled")
            _wait_for_background_work(first)
            with (
                served_node(data_dir, url, workers=args.workers, redis_url=redis_url) as second,
                haproxy_balancer([first.base, second.base]) as balancer,
            ):
                for clients in levels:
                    _progress(f"two nodes behind haproxy: {clients} clients")
                    rows += _balanced_level(balancer, [first, second], riders, clients, args)
    return rows


def _balanced_level(
    balancer: Balancer, nodes: list[Node], riders: list[dict[str, Any]], clients: int, args: Any
) -> list[dict[str, Any]]:
    """A level through haproxy, with how it split the requests and how often its health
    checks took a node out (a saturated node's /readyz answers 503)."""
    served, downs = balancer.served(), balancer.counter("chkdown")
    rows = _run_level(balancer.base, nodes, "postgresql", riders, clients, args)
    rows[-1]["split"] = {name: n - served[name] for name, n in balancer.served().items()}
    rows[-1]["downs"] = sum(balancer.counter("chkdown").values()) - sum(downs.values())
    return rows


def _progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@contextmanager
def _database(name: str) -> Iterator[str | None]:
    if name == "postgresql":
        with postgres_server() as url:
            yield url
    else:
        yield None


def _seed(node: Node, riders: int, rides: int) -> list[dict[str, Any]]:
    """Riders with imported rides: their e-mail, token, ride ids and latest sync cursor."""
    seeded = []
    for _ in range(riders):
        seed_rider(node, rides=rides, points=600)
        cursor = call_json(node.base, "/api/v1/sync/pull", token=node.token)["cursor"]
        me = call_json(node.base, "/api/v1/me", token=node.token)
        seeded.append(
            {"email": me["email"], "token": node.token, "rides": node.ride_ids, "cursor": cursor}
        )
    return seeded


def _wait_for_background_work(node: Node, *, timeout_s: float = 600.0) -> None:
    """Wait until the seed's events are handled (fitness figures, bike assignments...), so
    the levels measure requests, not a backlog left by the seeding."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2:  # the gauges are refreshed every few seconds: two readings of zero
        if time.monotonic() > deadline:
            raise RuntimeError("the seed's events were still pending after 10 minutes")
        time.sleep(3.0)
        quiet = quiet + 1 if _pending_events(node) == 0 else 0


def _pending_events(node: Node) -> float:
    """Events not yet handled, summed over subscribers, from the node's /metrics."""
    with urllib.request.urlopen(node.base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("bikenode_events_pending{")
    )


def _run_level(
    base: str,
    nodes: list[Node],
    database: str,
    riders: list[dict[str, Any]],
    clients: int,
    args: Any,
) -> list[dict[str, Any]]:
    """One level's rows: each route's latencies, then "all" with requests per server
    CPU-second summed over the nodes' process trees."""
    plan = {
        "base": base,
        "riders": riders,
        "clients": clients,
        "duration_s": args.duration,
        "warmup_s": min(5.0, args.duration / 2),
        "think_s": args.think,
        "password": PASSWORD,
    }
    result, cpu_s = _generate(plan, nodes, timeout_s=args.duration * 4 + 300)
    total = sum(len(v) for v in result["latencies"].values())
    rows = []
    for action, latencies in sorted(result["latencies"].items()):
        rows.append(
            {
                "database": database,
                "nodes": len(nodes),
                "clients": clients,
                "route": ROUTES[action],
                "read": action in READS,
                "latencies": latencies,
                "errors": result["errors"].get(action, 0),
                "shed": result["shed"].get(action, 0),
            }
        )
    rows.append(
        {
            "database": database,
            "nodes": len(nodes),
            "clients": clients,
            "route": "all",
            "latencies": [x for v in result["latencies"].values() for x in v],
            "errors": sum(result["errors"].values()),
            "shed": sum(result["shed"].values()),
            "per_cpu_s": total / cpu_s if cpu_s else 0.0,
            "per_s": total / result["elapsed_s"],
            "examples": result["examples"],
        }
    )
    return rows


def _generate(
    plan: dict[str, Any], nodes: list[Node], *, timeout_s: float
) -> tuple[dict[str, Any], float]:
    """Run the generator process; its results and the nodes' CPU seconds while it measured.

    The generator says on stderr when its measured window opens and closes, so the warm-up
    (a new node's first requests import modules and fill caches) is not charged."""
    generator = subprocess.Popen(
        [sys.executable, __file__, "--client-process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # the pipes asked for above, for mypy
    assert generator.stdin and generator.stdout and generator.stderr
    generator.stdin.write(json.dumps(plan).encode())
    generator.stdin.close()
    samples = []
    for line in generator.stderr:
        if line.strip() in (b"measuring", b"stopped"):
            samples.append(sum(_process_cpu_s(node.process.pid) for node in nodes))
            if len(samples) == 2:
                break
    stdout = generator.stdout.read()  # the results, written last (stderr has little after)
    stderr = generator.stderr.read()
    generator.wait(timeout=timeout_s)
    if generator.returncode != 0 or len(samples) != 2:
        raise RuntimeError(f"the load generator failed: {stderr.decode()[-3000:]}")
    return json.loads(stdout), samples[1] - samples[0]


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (--workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / ticks
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(_process_cpu_s(int(child)) for child in children)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def _print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'database':<10} {'nodes':>5} {'clients':>7}  {'route':<32} {'requests':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'shed':>6}"
    )
    for row in rows:
        values = sorted(row["latencies"])
        print(
            f"{row['database']:<10} {row['nodes']:>5} {row['clients']:>7}  {row['route']:<32} "
            f"{len(values):>8} {_percentile(values, 0.5):>8.1f} "
            f"{_percentile(values, 0.95):>8.1f} {_percentile(values, 0.99):>8.1f} "
            f"{row['errors']:>6} {row['shed']:>6}"
        )
        if row["route"] == "all":
            _print_totals(row)
    print()
    print(f"target: reads' p95 < {TARGET_READ_P95_MS:.0f} ms at 200 clients on one node")
    for database in sorted({r["database"] for r in rows}):
        reads = sorted(
            x
            for r in rows
            if r["database"] == database
            and r["nodes"] == 1
            and r["clients"] == 200
            and r.get("read")
            for x in r["latencies"]
        )
        if reads:
            p95 = _percentile(reads, 0.95)
            verdict = "met" if p95 < TARGET_READ_P95_MS else "MISSED"
            print(f"  {database}: reads' p95 at 200 clients {p95:.1f} ms ({verdict})")
    _print_summary(rows)
    _print_efficiency(rows)


def _print_summary(rows: list[dict[str, Any]]) -> None:
    """One line per run: reads' p50/p95 and server CPU ms per request, to compare changes."""
    print("summary: database nodes clients | reads p50 ms, p95 ms | server CPU ms per request")
    for total in (r for r in rows if r["route"] == "all"):
        reads = sorted(
            x
            for r in rows
            if r.get("read")
            and (r["database"], r["nodes"], r["clients"])
            == (total["database"], total["nodes"], total["clients"])
            for x in r["latencies"]
        )
        print(
            f"  {total['database']} {total['nodes']} {total['clients']} | "
            f"{_percentile(reads, 0.5):.1f}, {_percentile(reads, 0.95):.1f} | "
            f"{_cpu_ms_per_request(total):.2f}"
        )


def _print_totals(row: dict[str, Any]) -> None:
    indent = " " * 25
    print(
        f"{indent}{'requests per second':<32} {row['per_s']:>8.0f}   "
        f"per server CPU-second {row['per_cpu_s']:.0f}   "
        f"server CPU ms per request {_cpu_ms_per_request(row):.2f}"
    )
    if row.get("split"):
        served = sum(row["split"].values()) or 1
        shares = ", ".join(f"{name} {n / served:.0%}" for name, n in sorted(row["split"].items()))
        print(f"{indent}haproxy sent: {shares}; took a node out {row['downs']} times")
    for example in row["examples"]:
        print(f"{indent}error: {example}")


def _cpu_ms_per_request(row: dict[str, Any]) -> float:
    """Server CPU (utime + stime, summed over worker processes) per answered request: unlike
    wall latency, it holds steady on a machine shared with other work."""
    return 1000.0 / row["per_cpu_s"] if row["per_cpu_s"] else float("nan")


def _print_efficiency(rows: list[dict[str, Any]]) -> None:
    """Two nodes' requests per server CPU-second over one node's, at each client count."""
    totals = {(r["clients"], r["nodes"]): r["per_cpu_s"] for r in rows if r["route"] == "all"}
    pairs = sorted(c for c, n in totals if n == 2 and (c, 1) in totals)
    if not pairs:
        return
    print(
        f"target: two nodes' requests per server CPU-second >= "
        f"{TARGET_TWO_NODE_EFFICIENCY:.2f}x one node's (per-CPU efficiency, 2 cores here)"
    )
    for clients in pairs:
        one, two = totals[(clients, 1)], totals[(clients, 2)]
        ratio = two / one if one else 0.0
        verdict = "met" if ratio >= TARGET_TWO_NODE_EFFICIENCY else "MISSED"
        print(
            f"  {clients} clients: one node {one:.0f}, two nodes {two:.0f} per CPU-second "
            f"-> {ratio:.2f}x ({verdict})"
        )


# ---- the load generator process ------------------------------------------------------------


def _client_process() -> None:
    # The generator shares this machine's cores with the server it measures: it yields to it.
    os.nice(10)
    plan = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(asyncio.run(_drive(plan))))


async def _drive(plan: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    shed: dict[str, int] = defaultdict(int)
    examples: list[str] = []
    started = time.monotonic()
    measure_from = started + plan["warmup_s"]
    stop_at = measure_from + plan["duration_s"]
    actions, weights = zip(*MIX, strict=True)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client(number: int) -> None:
            rng = random.Random(number)
            rider = plan["riders"][number % len(plan["riders"])]
            counter = 0
            await asyncio.sleep(rng.uniform(0, min(plan["warmup_s"], plan["think_s"] * 2)))
            while time.monotonic() < stop_at:
                action = rng.choices(actions, weights)[0]
                counter += 1
                method, url, options = _request(plan, rider, action, number, counter, rng)
                sent = time.monotonic()
                try:
                    async with session.request(method, url, **options) as response:
                        await response.read()
                        status = response.status
                        # A node sheds with 503 + Retry-After; haproxy's own 503 (no node
                        # held up by its health checks) has none and counts as an error.
                        if status == 503 and "Retry-After" not in response.headers:
                            status = 599
                except (TimeoutError, aiohttp.ClientError) as error:
                    status = 0
                    if len(examples) < 5:
                        examples.append(f"{action}: {type(error).__name__} {error}")
                elapsed_ms = (time.monotonic() - sent) * 1000
                if sent >= measure_from and time.monotonic() <= stop_at:
                    if status == 503:
                        shed[action] += 1
                    elif status == 0 or status >= 500 or status in (401, 404, 422):
                        errors[action] += 1
                        if len(examples) < 5 and status:
                            seen = "503 from the balancer" if status == 599 else status
                            examples.append(f"{action}: HTTP {seen}")
                    else:
                        latencies[action].append(elapsed_ms)
                await asyncio.sleep(rng.expovariate(1 / plan["think_s"]))

        async def announce() -> None:
            # The parent samples the nodes' CPU at these two lines.
            await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
            print("measuring", file=sys.stderr, flush=True)
            await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
            print("stopped", file=sys.stderr, flush=True)

        await asyncio.gather(announce(), *(client(n) for n in range(plan["clients"])))
    return {
        "latencies": latencies,
        "errors": errors,
        "shed": shed,
        "examples": examples,
        "elapsed_s": plan["duration_s"],
    }


def _request(
    plan: dict[str, Any],
    rider: dict[str, Any],
    action: str,
    number: int,
    counter: int,
    rng: random.Random,
) -> tuple[str, str, dict[str, Any]]:
    base = plan["base"]
    auth = {"Authorization": f"Bearer {rider['token']}"}
    ride = rng.choice(rider["rides"])
    if action == "list":
        return "GET", f"{base}/api/v1/rides?limit=20", {"headers": auth}
    if action == "ride":
        return "GET", f"{base}/api/v1/rides/{ride}", {"headers": auth}
    if action == "streams":
        keys = "time_s,lat_deg,lon_deg,elevation_m,speed_mps"
        url = f"{base}/api/v1/rides/{ride}/streams?keys={keys}&resolution=500"
        return "GET", url, {"headers": auth}
    if action == "stats":
        return "GET", f"{base}/api/v1/rides/stats", {"headers": auth}
    if action == "pull":
        return "GET", f"{base}/api/v1/sync/pull?cursor={rider['cursor']}", {"headers": auth}
    if action == "rename":
        rename = {"name": f"Ride renamed by client {number} ({counter})"}
        return "PATCH", f"{base}/api/v1/rides/{ride}", {"headers": auth, "json": rename}
    if action == "push":
        client_id = f"bench-{number}-{counter}"
        body: dict[str, Any] = {
            "client_id": client_id,
            "mutations": [
                {
                    "counter": 1,
                    "record_type": "ride",
                    "record_id": ride,
                    "fields": {
                        "description": {"value": f"note {counter}", "hlc": hlc_now(client_id)}
                    },
                }
            ],
        }
        return "POST", f"{base}/api/v1/sync/push", {"headers": auth, "json": body}
    if action == "upload":
        start = datetime(2019, 1, 1, 6, tzinfo=UTC) + timedelta(minutes=number * 1000 + counter)
        data, content_type = multipart(
            f"bench-{number}-{counter}.gpx",
            synthetic_gpx(start, points=300, seed=number * 100 + counter),
        )
        headers = auth | {"Content-Type": content_type}
        return "POST", f"{base}/api/v1/uploads", {"headers": headers, "data": data}
    login = {"email": rider["email"], "password": plan["password"]}
    return "POST", f"{base}/api/v1/auth/login", {"json": login}


if __name__ == "__main__":
    main()
