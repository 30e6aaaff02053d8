"""Real PostgreSQL, Redis and haproxy servers on loopback for the tests, in temporary folders."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served_app(app: Any) -> Iterator[str]:
    """The app on a real uvicorn server in a thread: answers leave before background work."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _postgres_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found = candidates[-1] if candidates else shutil.which("initdb")
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `apt-get install postgresql` (scripts/test does it)"
        )
    return Path(found).parent


def _as_postgres_user(argv: list[str]) -> list[str]:
    # initdb refuses to run as root; the Debian package creates a `postgres` user for this.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class PostgresServer:
    """A real PostgreSQL on 127.0.0.1 in a folder of its own, which a test may restart."""

    def __init__(self, root: Path, *, durable: bool = False) -> None:
        self.bin_dir = _postgres_bin()
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://bikenode@127.0.0.1:{self.port}/bikenode"
        # Throw-away servers skip flushing; a durable one keeps PostgreSQL's defaults, so
        # that a commit it acknowledged survives its restart.
        fast = "" if durable else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.options = (
            f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200" + fast
        )

    def create(self) -> None:
        """initdb, start, and create the `bikenode` database."""
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        initdb = [str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "bikenode"]
        initdb += ["-A", "trust", "-E", "UTF8", "--no-sync"]
        subprocess.run(_as_postgres_user(initdb), check=True, capture_output=True)
        self._pg_ctl("start", "-o", self.options, "-l", str(self.root / "log"), "-w", "-t", "60")
        _wait_for_port(self.port)
        createdb = [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
        subprocess.run([*createdb, "-U", "bikenode", "bikenode"], check=True, capture_output=True)

    def restart(self, down_s: float = 0.0) -> None:
        """Stop (mode fast: clients' connections are cut), wait down_s, start again."""
        self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        time.sleep(down_s)
        self._pg_ctl("start", "-o", self.options, "-l", str(self.root / "log"), "-w", "-t", "60")
        _wait_for_port(self.port)

    def destroy(self) -> None:
        subprocess.run(
            _as_postgres_user(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, action: str, *options: str) -> None:
        argv = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *options, action]
        subprocess.run(_as_postgres_user(argv), check=True, capture_output=True)


@contextlib.contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[str]:
    """Start a throw-away PostgreSQL on 127.0.0.1 and yield a SQLAlchemy URL to it."""
    with restartable_postgres_server(durable=durable) as server:
        yield server.url


@contextlib.contextmanager
def restartable_postgres_server(*, durable: bool = True) -> Iterator[PostgresServer]:
    """Start a throw-away PostgreSQL on 127.0.0.1 and yield it (with restart())."""
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="bikenode-pg-")), durable=durable)
    try:
        server.create()
        yield server
    finally:
        server.destroy()


def _wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a throw-away redis-server on 127.0.0.1 (no persistence) and yield its URL."""
    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("Redis is not installed: `apt-get install redis-server`")
    root = Path(tempfile.mkdtemp(prefix="bikenode-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(root),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


class RedisServer:
    """A real redis-server on loopback with its data on disk (AOF), so a restart keeps it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: `apt-get install redis-server`")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.root),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self, down_s: float = 0.5) -> None:
        """Stop and start again on the same port and data (clients see a dropped connection)."""
        self.stop()
        time.sleep(down_s)
        self.start()


@contextlib.contextmanager
def persistent_redis_server() -> Iterator[RedisServer]:
    """Start a throw-away redis-server with AOF on 127.0.0.1 and yield it (with restart())."""
    root = Path(tempfile.mkdtemp(prefix="bikenode-redis-"))
    server = RedisServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Balancer:
    """A running haproxy: its front address, and its per-server counters from the stats page."""

    base: str
    stats_url: str

    def served(self) -> dict[str, int]:
        """HTTP requests each node has answered so far (failing open included), by name."""
        served: dict[str, int] = defaultdict(int)
        for name, count in self.counter("req_tot").items():
            served[name.removesuffix("-open")] += count
        return dict(served)

    def counter(self, name: str) -> dict[str, int]:
        """One of haproxy's per-server counters (req_tot, chkdown...), by server name."""
        return {row["svname"]: int(row[name] or 0) for row in self._servers()}

    def up(self) -> dict[str, bool]:
        """Whether haproxy's health checks (GET /readyz) hold each checked node up."""
        return {
            row["svname"]: row["status"].startswith("UP")
            for row in self._servers()
            if row["bck"] == "0"
        }

    def _servers(self) -> list[dict[str, str]]:
        with urllib.request.urlopen(self.stats_url, timeout=10) as response:
            lines = response.read().decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return [
            row
            for row in rows
            if row["pxname"] == "nodes" and row["svname"] not in ("FRONTEND", "BACKEND")
        ]


HAPROXY_CONFIG = """\
global
    maxconn 8192
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-request 30s
    option http-keep-alive
frontend api
    bind 127.0.0.1:{port}
    default_backend nodes
frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
backend nodes
    balance roundrobin
    # /readyz turns 503 while a node is saturated or its database is unreachable: haproxy
    # then sends the next requests to the other node until it answers 200 again.
    option httpchk GET /readyz
    http-check expect status 200
    # Fail open: when every node is held down (all saturated), send to all of them anyway,
    # so each sheds with its own 503 + Retry-After rather than haproxy answering a bare 503.
    option allbackups
    default-server inter 1s fall 3 rise 2 maxconn 1000
{servers}
"""


def haproxy_binary() -> str | None:
    """haproxy's path, also when /usr/sbin (where Debian puts it) is not on a user's PATH."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")


@contextlib.contextmanager
def haproxy_balancer(backends: list[str]) -> Iterator[Balancer]:
    """Start haproxy on loopback in front of these http://host:port nodes, round-robin with
    health checks on /readyz, and yield it once every backend is held up."""
    binary = haproxy_binary()
    if binary is None:
        raise RuntimeError("haproxy is not installed: `apt-get install haproxy`")
    root = Path(tempfile.mkdtemp(prefix="bikenode-haproxy-"))
    port, stats_port = free_port(), free_port()
    servers = "\n".join(
        f"    server node{n} {address} check\n    server node{n}-open {address} backup"
        for n, address in enumerate((base.removeprefix("http://") for base in backends), 1)
    )
    config = root / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(port=port, stats_port=stats_port, servers=servers), encoding="utf-8"
    )
    log = (root / "haproxy.log").open("wb")
    # -db: stay in the foreground, so terminating the process we started stops haproxy.
    process = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=log, stderr=log)
    balancer = Balancer(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{stats_port}/stats;csv")
    try:
        _wait_for_port(port)
        _wait_for_port(stats_port)
        deadline = time.monotonic() + 30
        while not all((up := balancer.up()).values()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"haproxy holds backends down ({up}): {(root / 'haproxy.log').read_text()}"
                )
            time.sleep(0.2)
        yield balancer
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
