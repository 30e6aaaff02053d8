"""Live tracking: ingest, fan-out, delivery latency and memory per connection, ours beside a
minimal Node.js `ws` broadcast server (the reference peer), under the same load.

One BikeNode node (`python -m bikenode serve`, in-process broker, SQLite in a temporary
folder, worker off) gets R riders, each sending one delta-encoded batch of 10 positions a
second over the ride socket, then 1k, 5k and 10k viewers spread over the rides (riders pause
while viewers connect). The load comes from one Node.js process (bench/live_node/loadgen.mjs,
npm `ws`), the same for both servers, so that the client is not what is measured. Figures per
steady window (the table shows the median of the windows):

- ingest: acknowledged positions per server CPU-second, riders only (no viewers);
- fan-out: messages delivered to viewers per server CPU-second (all server CPU counted);
- latency: from the rider's send to the viewer's receive, both timed in the generator;
- memory per connection: server RSS after connecting the viewers minus before, per viewer.
Server CPU is the on-CPU time of every thread (/proc/<pid>/task/*/schedstat, in ns: the
10 ms ticks of utime+stime are too coarse for the reference), RSS from /proc/<pid>/status.

Then two nodes behind a real redis-server (AOF on): viewers past one process's open-file
limit, the latency the Redis hop adds (a viewer on the other node, compared with one on a
single in-process node) at 1k messages a second and at a rate one node sustains, and no loss
across a Redis restart.

Run: .venv/bin/python bench/live.py [--quick] [--no-deflate]   (needs node, npm, redis-server)
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_harness import (
    NODE_DIR,
    LoadGenerator,
    RedisProcess,
    Result,
    Ride,
    Server,
    bikenode_nodes,
    call_all,
    make_rides,
    measure,
    node_server,
    reference_server,
    rss_bytes,
)


@dataclass(frozen=True)
class Load:
    """The shape of a run: riders, viewer steps and measuring windows."""

    riders: int
    viewer_steps: tuple[int, ...]
    scale_viewers: int
    hop_riders: int
    hop_rates_hz: tuple[float, ...]  # per rider; the Redis restart happens in the last one
    windows: int
    window_s: float
    warmup_s: float
    connect_budget_s: float  # viewers not connected by then are left out (and reported)
    deflate: bool


# The hop is measured at 1,000 messages a second (the target's rate) and at 100, a rate that
# our nodes sustain today (at 1,000 a node saturates and the latency is queueing).
FULL = Load(100, (1_000, 5_000, 10_000), 20_000, 50, (20.0, 2.0), 3, 4.0, 3.0, 120.0, True)
QUICK = Load(10, (200,), 400, 10, (10.0,), 2, 2.0, 1.5, 60.0, True)


def measure_load(
    generators: list[LoadGenerator], pids: list[int], load: Load, viewers: int
) -> Result:
    """The load's windows of the current steady state."""
    return measure(generators, pids, windows=load.windows, window_s=load.window_s, viewers=viewers)


def spread(
    server: Server, rides: list[Ride], viewers: int, node: int, tag: str = "main"
) -> list[Any]:
    """Viewer groups for the generator: `viewers` spread evenly over the rides."""
    per_ride, extra = divmod(viewers, len(rides))
    groups = []
    for index, ride in enumerate(rides):
        count = per_ride + (index < extra)
        if count:
            url = server.url(node, ride, "watch")
            groups.append({"url": url, "ride": index, "count": count, "tag": tag})
    return groups


def rider_specs(server: Server, rides: list[Ride], node: int) -> list[Any]:
    return [
        {"url": server.url(node, ride, "ride"), "token": ride.token, "ride": index}
        for index, ride in enumerate(rides)
    ]


def connect_options(load: Load) -> dict[str, Any]:
    """Riders pause while viewers connect: connecting is not the steady load measured."""
    return {"concurrency": 100, "pause": True, "timeout_s": load.connect_budget_s}


class PhaseFailed(RuntimeError):
    """A part of the run that could not be measured (e.g. no socket could connect)."""


def check_connected(reply: dict[str, Any], what: str) -> None:
    if not reply["connected"]:
        raise PhaseFailed(f"expected {what} to connect, none could (see the node logs)")
    if reply["failed"]:
        print(f"  warning: {reply['failed']} {what} could not connect", file=sys.stderr)


def run_single(server: Server, rides: list[Ride], load: Load, log: Path) -> list[Result]:
    """Ingest with riders only, then fan-out at each viewer step, on one server process."""
    generator = LoadGenerator(log)
    pid = server.pids[0]
    try:
        riders = rider_specs(server, rides, 0)
        reply = generator.call("riders", riders=riders, rate_hz=1, points=10, deflate=load.deflate)
        check_connected(reply, "riders")
        time.sleep(load.warmup_s)
        results = [measure_load([generator], server.pids, load, 0)]
        rss_before, requested, connected = rss_bytes(pid), 0, 0
        for step in load.viewer_steps:
            groups = spread(server, rides, step - requested, 0)
            reply = generator.call("viewers", groups=groups, **connect_options(load))
            check_connected(reply, "viewers")
            requested, connected = step, connected + reply["connected"]
            time.sleep(load.warmup_s)
            result = measure_load([generator], server.pids, load, step)
            result.connected, result.connect_s = connected, reply["seconds"]
            result.bytes_per_connection = (rss_bytes(pid) - rss_before) / max(connected, 1)
            results.append(result)
            print(f"  {server.name}: {step} viewers measured", file=sys.stderr)
        generator.call("close_viewers")
        generator.call("close_riders")
        return results
    finally:
        generator.close()


@dataclass
class Restart:
    """What the viewers saw across a Redis restart in the middle of a run."""

    viewers: int
    complete: int
    gaps: int
    new_epochs: int
    violations: int
    rider_reconnects: int
    viewer_reconnects: int
    unacked: int


def run_hop(
    server: Server,
    rides: list[Ride],
    load: Load,
    rate_hz: float,
    log: Path,
    viewer_nodes: dict[str, int],
    redis: RedisProcess | None = None,
) -> tuple[Result, Restart | None]:
    """Latency with each ride sending rate_hz batches a second to node 0 and one viewer per
    ride on each tagged node; with `redis`, then restart it and check nothing was lost."""
    generator = LoadGenerator(log)
    try:
        riders = rider_specs(server, rides, 0)
        reply = generator.call(
            "riders", riders=riders, rate_hz=rate_hz, points=10, deflate=load.deflate
        )
        check_connected(reply, "riders")
        for tag, node in viewer_nodes.items():
            check_connected(
                generator.call("viewers", groups=spread(server, rides, len(rides), node, tag)),
                "viewers",
            )
        time.sleep(load.warmup_s)
        result = measure_load([generator], server.pids, load, len(rides) * len(viewer_nodes))
        if redis is None:
            return result, None
        time.sleep(1.0)
        redis.restart()
        time.sleep(max(3.0, load.warmup_s * 2))
        unacked = generator.call("stop_riders", timeout_s=60)["unacked"]
        drained = generator.call("drain", timeout_s=60)
        counters = generator.call("snapshot")
        return result, Restart(
            viewers=drained["viewers"],
            complete=drained["complete"],
            gaps=drained["gaps"],
            new_epochs=counters["newEpochs"],
            violations=counters["violations"],
            rider_reconnects=counters["riderReconnects"],
            viewer_reconnects=counters["viewerReconnects"],
            unacked=unacked,
        )
    finally:
        generator.close()


def run_scale_out(server: Server, rides: list[Ride], load: Load, logs: Path) -> Result:
    """scale_viewers viewers over two nodes and two generators; every rider on node 0."""
    halves = [rides[: len(rides) // 2], rides[len(rides) // 2 :]]
    generators = [LoadGenerator(logs / f"loadgen-scale-{n}.log") for n in range(2)]
    try:
        fields = [
            {
                "riders": rider_specs(server, half, 0),
                "rate_hz": 1,
                "points": 10,
                "deflate": load.deflate,
            }
            for half in halves
        ]
        for reply in call_all(generators, "riders", fields):
            check_connected(reply, "riders")
        time.sleep(load.warmup_s)
        rss_before = sum(rss_bytes(pid) for pid in server.pids)
        per_node = load.scale_viewers // 4  # per generator and node
        fields = [
            {
                "groups": spread(server, half, per_node, 0) + spread(server, half, per_node, 1),
                **connect_options(load),
            }
            for half in halves
        ]
        replies = call_all(generators, "viewers", fields)
        for reply in replies:
            check_connected(reply, "viewers")
        time.sleep(load.warmup_s)
        result = measure_load(generators, server.pids, load, per_node * 4)
        result.connected = sum(reply["connected"] for reply in replies)
        result.connect_s = max(reply["seconds"] for reply in replies)
        rss_after = sum(rss_bytes(pid) for pid in server.pids)
        result.bytes_per_connection = (rss_after - rss_before) / max(result.connected, 1)
        call_all(generators, "close_viewers", [{}, {}])
        return result
    finally:
        for generator in generators:
            generator.close()


def prepare() -> None:
    """Raise the open-file limit (inherited by every process started here); install `ws`."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for tool in ("node", "npm", "redis-server"):
        if shutil.which(tool) is None:
            sys.exit(
                f"expected `{tool}` on PATH, found none (apt-get install nodejs npm redis-server)"
            )
    if not (NODE_DIR / "node_modules" / "ws").is_dir():
        subprocess.run(["npm", "ci", "--silent"], cwd=NODE_DIR, check=True)


@dataclass
class Report:
    """Everything one run measured."""

    load: Load
    ours: list[Result]
    reference: list[Result]
    hop_local: list[Result]  # one per hop rate
    redis: RedisResults | str  # or why it could not be measured
    seconds: float = 0.0


@dataclass
class RedisResults:
    """The two-node figures: scale-out, the hop at each rate, the restart check."""

    scale_out: Result
    hop: list[Result]
    restart: Restart


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs and not math.isnan(ours / theirs) else "-"


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def both(ours: float, theirs: float, digits: int = 1) -> str:
    return f"{fmt(ours, digits)} / {fmt(theirs, digits)}"


def print_fan_out(report: Report) -> None:
    print(
        f"{'viewers':>8} {'':>7} | {'deliveries / server CPU-s':^30} | {'p50 ms':^17} | "
        f"{'p95 ms':^17} | {'p99 ms':^25} | {'KB / connection':^15} | {'server cores':^13} | "
        f"{'deliv/s':>7} {'generator':>11} {'lost':>5}"
    )
    print(
        f"{'asked':>8} {'conn.':>7} | {'ours':>9} {'reference':>10} {'ratio':>9} | "
        f"{'ours / ref':^17} | {'ours / ref':^17} | {'ours / ref':^17} {'ratio':>7} | "
        f"{'ours / ref':^15} | {'ours / ref':^13} | {'ours':>7} {'ours / ref':>11} {'msgs':>5}"
    )
    for ours, theirs in zip(report.ours[1:], report.reference[1:], strict=True):
        fan_out = ours.median("deliveries_per_cpu_s"), theirs.median("deliveries_per_cpu_s")
        (p50, p95, p99), (r50, r95, r99) = ours.latency(), theirs.latency()
        memory = ours.bytes_per_connection / 1024, theirs.bytes_per_connection / 1024
        cores = ours.median("server_cores"), theirs.median("server_cores")
        print(
            f"{ours.viewers:>8,} {ours.connected:>7,} | {fan_out[0]:>9,.0f} {fan_out[1]:>10,.0f} "
            f"{ratio(*fan_out):>9} | {both(p50, r50):^17} | {both(p95, r95):^17} | "
            f"{both(p99, r99):^17} {ratio(r99, p99):>7} | {both(*memory):^15} | "
            f"{both(*cores, 2):^13} | {ours.median('deliveries_per_s'):>7,.0f} "
            f"{both(ours.median('generator_cores'), theirs.median('generator_cores'), 2):>11} "
            f"{ours.lost:>5}"
        )
    print(
        "  ratio: ours / reference for fan-out, reference / ours for p99 (above 1x: ours is "
        "better); conn.: our viewers connected (riders paused) within "
        f"{report.load.connect_budget_s:.0f} s; deliv/s: what our viewers received (1 message "
        "a second each when the server keeps up); generator: its CPU in cores; lost: messages out "
        "of order or missing"
    )
    steps = zip(report.ours[1:], report.reference[1:], strict=True)
    print(
        "  connecting (s, ours / reference): "
        + ", ".join(f"{o.viewers:,}: {o.connect_s:.0f} / {r.connect_s:.0f}" for o, r in steps)
    )


def print_redis(report: Report) -> None:
    load, results = report.load, report.redis
    if isinstance(results, str):
        print(f"\ntwo nodes + Redis: not measured: {results}")
        return
    scale = results.scale_out
    p50, p95, p99 = scale.latency()
    print(
        f"\nscale-out: two BikeNode nodes + redis-server (AOF), {load.riders} riders on node A, "
        f"{scale.viewers:,} viewers asked half on each node, {scale.connected:,} connected in "
        f"{scale.connect_s:.0f} s, two generators (past one process's open-file limit):"
    )
    print(
        f"  {scale.median('deliveries_per_cpu_s'):,.0f} deliveries / server CPU-s "
        f"(both nodes + Redis, {scale.median('server_cores'):.2f} cores); "
        f"{scale.median('deliveries_per_s'):,.0f} deliveries/s; latency p50 {fmt(p50)} / "
        f"p95 {fmt(p95)} / p99 {fmt(p99)} ms; {scale.bytes_per_connection / 1024:.1f} KB per "
        f"connection; {scale.lost} lost or out of order"
    )
    print(
        f"\nRedis hop: {load.hop_riders} riders send to node A, one viewer per ride on each side; "
        "latency from the rider's send to the viewer's receive, ms:"
    )
    print(
        f"  {'msgs/s':>7} {'acked/s':>15} | {'p50: one node / via Redis to':^27} | "
        f"{'p99: one node / via Redis to':^27} | {'added by the Redis hop':^26}"
    )
    print(
        f"  {'asked':>7} {'one / Redis':>15} | {'in-proc  other node  own node':^27} | "
        f"{'in-proc  other node  own node':^27} | {'p50':>7} {'p99':>8} {'(<= 2 ms)':>9}"
    )
    for rate_hz, local, redis in zip(load.hop_rates_hz, report.hop_local, results.hop, strict=True):
        acked = f"{local.median('batches_per_s'):,.0f} / {redis.median('batches_per_s'):,.0f}"
        base, other, same = local.latency("same"), redis.latency("other"), redis.latency("same")
        added = other[0] - base[0], other[2] - base[2]
        print(
            f"  {load.hop_riders * rate_hz:>7,.0f} {acked:>15} | {fmt(base[0]):>7} "
            f"{fmt(other[0]):>10} {fmt(same[0]):>9} | {fmt(base[2]):>7} {fmt(other[2]):>10} "
            f"{fmt(same[2]):>9} | {fmt(added[0]):>7} {fmt(added[1]):>8} "
            f"{'met' if added[1] <= 2.0 else 'MISSED':>9}"
        )
    print(
        "  one node: a single node with the in-process broker; other node / own node: a viewer "
        "on the node the rider does not / does send to, both through Redis. p99 differences of a "
        "few ms are within this machine's noise; a node that acknowledges fewer messages/s than "
        "asked is saturated and its latency is queueing"
    )
    restart = results.restart
    lossless = restart.complete == restart.viewers and restart.unacked == 0
    print(
        f"\nRedis restart in the middle of the {load.hop_riders * load.hop_rates_hz[-1]:,.0f} "
        f"messages/s run: {restart.complete}/"
        f"{restart.viewers} viewers ended with every sequence number once and in order (or an "
        f"explicit notice): {'met' if lossless else 'MISSED'}; gap notices {restart.gaps}, "
        f"new epochs {restart.new_epochs}, out of order {restart.violations}, batches never "
        f"acknowledged {restart.unacked}, reconnects riders {restart.rider_reconnects} / "
        f"viewers {restart.viewer_reconnects}"
    )


def print_targets(report: Report) -> None:
    """Each target of the issue at the largest viewer step: met or MISSED."""
    ours, theirs = report.ours[-1], report.reference[-1]
    ingest = report.ours[0].median("positions_per_cpu_s") / report.reference[0].median(
        "positions_per_cpu_s"
    )
    fan_out = ours.median("deliveries_per_cpu_s") / theirs.median("deliveries_per_cpu_s")
    p99, p99_reference = ours.latency()[2], theirs.latency()[2]
    memory_kb = ours.bytes_per_connection / 1024
    rows = [
        ("ingest >= 1.0x the reference", f"{ingest:.2f}x", ingest >= 1.0),
        (f"fan-out >= 1.0x at {ours.viewers:,} viewers", f"{fan_out:.2f}x", fan_out >= 1.0),
        ("p99 <= the reference's", f"{fmt(p99)} vs {fmt(p99_reference)} ms", p99 <= p99_reference),
        ("memory <= 8 KB per connection", f"{memory_kb:.1f} KB", memory_kb <= 8.0),
    ]
    print(f"\ntargets (at {ours.viewers:,} viewers):")
    for what, got, met in rows:
        print(f"  {what:<36} {got:>24}  {'met' if met else 'MISSED'}")


def print_report(report: Report) -> None:
    load = report.load
    print(
        f"\nLive benchmark: medians of {load.windows} windows x {load.window_s:g} s each, on a "
        "shared, noisy 2-core machine (the servers, the generator and other work share it)"
    )
    offer = "offers" if load.deflate else "does not offer"
    print(
        f"load: {load.riders} riders x 1 batch/s x 10 points (delta-encoded); viewers spread "
        f"evenly over the rides; one Node.js `ws` generator, which {offer} permessage-deflate "
        "(browsers do); ours: 1 process, in-process broker, SQLite; reference: Node.js `ws`"
    )
    ingest_ours, ingest_ref = report.ours[0], report.reference[0]
    rates = ingest_ours.median("positions_per_cpu_s"), ingest_ref.median("positions_per_cpu_s")
    print(
        f"\ningest, riders only: {rates[0]:,.0f} acknowledged positions / server CPU-s, "
        f"reference {rates[1]:,.0f}: {ratio(*rates)}; ack p99 "
        f"{both(ingest_ours.median('ack_p99_ms'), ingest_ref.median('ack_p99_ms'))} ms; "
        f"server cores {both(ingest_ours.median('server_cores'), ingest_ref.median('server_cores'), 2)}\n"
    )
    print_fan_out(report)
    print_redis(report)
    print_targets(report)
    print(f"total {report.seconds / 60:.1f} min")


def run_all(load: Load, root: Path, env: dict[str, str]) -> Report:
    """Ours on one node, the reference, then two nodes behind Redis; the whole report."""
    started = time.monotonic()
    with bikenode_nodes(root / "single", 1, "", env) as nodes:
        server = node_server("bikenode", nodes)
        rides = make_rides(nodes[0], load.riders, "rider")
        ours = run_single(server, rides, load, root / "loadgen-ours.log")
        hop_local = []
        for rate_hz in load.hop_rates_hz:
            hop_rides = make_rides(nodes[0], load.hop_riders, "hop")
            log = root / f"loadgen-hop-local-{rate_hz:g}.log"
            hop_local.append(run_hop(server, hop_rides, load, rate_hz, log, {"same": 0})[0])
    with reference_server(root / "reference.log") as peer:
        peer_rides = [Ride(str(uuid.uuid4()), "no token") for _ in range(load.riders)]
        reference = run_single(peer, peer_rides, load, root / "loadgen-reference.log")
    try:
        redis: RedisResults | str = run_redis(load, root, env)
    except PhaseFailed as error:
        redis = str(error)
    return Report(load, ours, reference, hop_local, redis, time.monotonic() - started)


def run_redis(load: Load, root: Path, env: dict[str, str]) -> RedisResults:
    """Two nodes behind a redis-server: scale-out, then the hop at each rate, the restart last."""
    redis = RedisProcess(root / "redis")
    redis.start()
    try:
        with bikenode_nodes(root / "pair", 2, redis.url, env) as nodes:
            server = node_server("bikenode x2 + Redis", nodes, redis.pid)
            rides = make_rides(nodes[0], load.riders, "rider")
            scale_out = run_scale_out(server, rides, load, root)
            hop, restart = [], None
            for n, rate_hz in enumerate(load.hop_rates_hz):
                time.sleep(load.warmup_s)  # let a saturated node settle
                last = n == len(load.hop_rates_hz) - 1
                result, restart = run_hop(
                    server,
                    make_rides(nodes[0], load.hop_riders, "hop"),
                    load,
                    rate_hz,
                    root / f"loadgen-hop-redis-{rate_hz:g}.log",
                    {"same": 0, "other": 1},
                    redis if last else None,
                )
                hop.append(result)
    finally:
        redis.stop()
    if restart is None:
        raise PhaseFailed("expected a Redis restart result, got none")
    return RedisResults(scale_out, hop, restart)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 200 viewers, short windows"
    )
    parser.add_argument(
        "--no-deflate", action="store_true", help="the generator does not offer permessage-deflate"
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and data folder")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for our nodes, e.g. BIKENODE_LIVE_VIEWER_QUEUE=64 (repeatable)",
    )
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    load = QUICK if args.quick else FULL
    if args.no_deflate:
        load = Load(**{**load.__dict__, "deflate": False})
    prepare()
    root = Path(tempfile.mkdtemp(prefix="bikenode-bench-live-"))
    try:
        report = run_all(load, root, env)
    except PhaseFailed as error:
        sys.exit(f"not measured: {error}; logs in {root}")
    except BaseException:
        print(f"logs kept in {root}", file=sys.stderr)
        raise
    print_report(report)
    if args.keep:
        print(f"logs and data in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
