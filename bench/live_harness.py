"""Processes and measurements for bench/live.py: BikeNode nodes, the Node.js reference server
and load generator, a redis-server, and per-window CPU, memory and latency figures.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.live.nodes import Node, request, rider_account
from tests.servers import free_port

NODE_DIR = Path(__file__).resolve().parent / "live_node"
NODE_ENV = {
    "BIKENODE_RATE_LIMIT_ENABLED": "false",  # the bench signs up its riders in a burst
    "BIKENODE_ACCESS_TOKEN_TTL_S": "7200",  # tokens outlive the run
}


@dataclass(frozen=True)
class Ride:
    """One live session as the generator needs it: where to ride, where to watch, a token."""

    session_id: str
    token: str


@dataclass
class Server:
    """The server under test: its processes and its base URLs (one per node)."""

    name: str
    pids: list[int]
    hosts: list[str]  # 127.0.0.1:port of each node

    def url(self, node: int, ride: Ride, endpoint: str) -> str:
        return f"ws://{self.hosts[node]}/api/v1/live/sessions/{ride.session_id}/{endpoint}"


def thread_cpu_ns(pid: int) -> dict[int, int]:
    """Nanoseconds on a CPU of each live thread of the process (from schedstat)."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            times[int(task.name)] = int((task / "schedstat").read_text().split()[0])
    return times


def cpu_between(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds the threads used between two thread_cpu_ns readings.

    utime+stime in /proc/<pid>/stat counts 10 ms ticks: too coarse for a server that uses a
    few milliseconds a second. A thread that ended in between loses its share of the window.
    """
    return sum(ns - before.get(tid, 0) for tid, ns in after.items()) / 1e9


def rss_bytes(pid: int) -> int:
    """The process's resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"expected a VmRSS line in /proc/{pid}/status, found none")


class LoadGenerator:
    """The Node.js generator process, driven one JSON command per line."""

    def __init__(self, log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            ["node", str(NODE_DIR / "loadgen.mjs")],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._next_id = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, cmd: str, **fields: Any) -> None:
        """Send a command; `receive` waits for its reply."""
        if self.process.stdin is None:
            raise RuntimeError("the load generator has no stdin")
        self._next_id += 1
        self.process.stdin.write(json.dumps({"id": self._next_id, "cmd": cmd, **fields}) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        """The reply to the last command sent."""
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            raise RuntimeError(f"the load generator exited; see {self._log.name}")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"the load generator failed: {reply.get('error')}")
        return reply

    def call(self, cmd: str, **fields: Any) -> dict[str, Any]:
        """Send a command and wait for its reply."""
        self.send(cmd, **fields)
        return self.receive()

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            self.send("exit")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def call_all(generators: list[LoadGenerator], cmd: str, fields: list[dict[str, Any]]) -> list[Any]:
    """The same command to every generator at once; their replies in order."""
    for generator, each in zip(generators, fields, strict=True):
        generator.send(cmd, **each)
    return [generator.receive() for generator in generators]


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of the values (NaN when there are none)."""
    if not values:
        return (float("nan"),) * 3
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return float(p50), float(p95), float(p99)


@dataclass
class Window:
    """One measuring window: rates per server CPU-second, latencies per viewer tag."""

    positions_per_cpu_s: float
    batches_per_s: float
    deliveries_per_cpu_s: float
    deliveries_per_s: float
    server_cores: float
    generator_cores: float
    ack_p99_ms: float
    latency: dict[str, tuple[float, float, float]]
    lost: int


def measure_window(generators: list[LoadGenerator], pids: list[int], window_s: float) -> Window:
    """Counters and CPU over one window of `window_s` seconds."""
    before = call_all(generators, "snapshot", [{}] * len(generators))
    cpu_before, started = [thread_cpu_ns(pid) for pid in pids], time.monotonic()
    time.sleep(window_s)
    after = call_all(generators, "snapshot", [{}] * len(generators))
    cpu_after = [thread_cpu_ns(pid) for pid in pids]
    server_s = max(sum(map(cpu_between, cpu_before, cpu_after)), 1e-9)
    elapsed = time.monotonic() - started

    def delta(key: str) -> float:
        return float(sum(a[key] - b[key] for a, b in zip(after, before, strict=True)))

    tags = {tag for a in after for tag in a["latency_ms"]}
    return Window(
        positions_per_cpu_s=delta("ackedPositions") / server_s,
        batches_per_s=delta("ackedBatches") / elapsed,
        deliveries_per_cpu_s=delta("delivered") / server_s,
        deliveries_per_s=delta("delivered") / elapsed,
        server_cores=server_s / elapsed,
        generator_cores=delta("cpu_s") / elapsed,
        ack_p99_ms=percentiles([ms for a in after for ms in a["ack_latency_ms"]])[2],
        latency={
            tag: percentiles([ms for a in after for ms in a["latency_ms"].get(tag, [])])
            for tag in tags
        },
        lost=int(delta("violations")),
    )


@dataclass
class Result:
    """Medians over the measuring windows of one step of the load."""

    viewers: int  # asked for
    windows: list[Window]
    connected: int = 0  # viewers that connected within the budget
    bytes_per_connection: float = float("nan")
    connect_s: float = 0.0

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(w, name) for w in self.windows))

    def latency(self, tag: str = "main") -> tuple[float, float, float]:
        """Median p50, p95 and p99 (ms) over the windows for viewers with this tag."""
        rows = [w.latency.get(tag, (float("nan"),) * 3) for w in self.windows]
        p50, p95, p99 = (float(statistics.median(column)) for column in zip(*rows, strict=True))
        return p50, p95, p99

    @property
    def lost(self) -> int:
        return sum(w.lost for w in self.windows)


def measure(
    generators: list[LoadGenerator], pids: list[int], *, windows: int, window_s: float, viewers: int
) -> Result:
    """`windows` windows of `window_s` seconds of the current steady load."""
    return Result(viewers, [measure_window(generators, pids, window_s) for _ in range(windows)])


class RedisProcess:
    """A redis-server on loopback with AOF persistence (fsync every second, the default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: `apt-get install redis-server`")
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root)]
        argv += ["--appendonly", "yes", "--save", "", "--protected-mode", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self) -> None:
        """Stop (SIGTERM: the AOF is flushed) and start again on the same port and data."""
        self.stop()
        time.sleep(0.5)
        self.start()

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0


def wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"expected a server on 127.0.0.1:{port} within {timeout_s} s, found none")


@contextlib.contextmanager
def bikenode_nodes(
    root: Path, count: int, redis_url: str, env: dict[str, str] | None = None
) -> Iterator[list[Node]]:
    """`count` BikeNode processes on one SQLite database (and one Redis, if given)."""
    root.mkdir(parents=True, exist_ok=True)
    settings = {**NODE_ENV, **(env or {})}
    nodes = [Node(root, "sqlite://", redis_url, **settings) for _ in range(count)]
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.kill()


def node_server(name: str, nodes: list[Node], *extra_pids: int) -> Server:
    pids = [node.process.pid for node in nodes if node.process is not None]
    return Server(name, [*pids, *extra_pids], [f"127.0.0.1:{node.port}" for node in nodes])


def make_rides(node: Node, count: int, label: str, riders_per_account: int = 10) -> list[Ride]:
    """`count` public live sessions, started over the REST API by freshly registered riders."""
    accounts = -(-count // riders_per_account)
    tag = uuid.uuid4().hex[:8]
    tokens = [rider_account(node, f"{label}{n}-{tag}@example.org") for n in range(accounts)]
    rides = []
    for n in range(count):
        token = tokens[n % accounts]
        body = {"name": f"bench {label} {n}", "visibility": "public"}
        live = request(f"{node.http}/api/v1/live/sessions", body, token)
        rides.append(Ride(str(live["id"]), token))
    return rides


@contextlib.contextmanager
def reference_server(log: Path) -> Iterator[Server]:
    """The Node.js `ws` broadcast server on a free loopback port."""
    port = free_port()
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            ["node", str(NODE_DIR / "reference_server.mjs"), str(port)],
            cwd=NODE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for_port(port)
        yield Server("reference", [process.pid], [f"127.0.0.1:{port}"])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
