"""Offline sync: a device replays 10,000 queued mutations through a faulty proxy; pulls.

A real server (`bikenode serve` in its own process, as it runs in production, on loopback and
SQLite) sits behind a loopback proxy that drops 20% of
requests (closes the connection before forwarding), drops 20% of answers (forwards, then
closes instead of answering) and sends 10% of requests to the server twice. The device
(bikenode.sync.client) queued 10,000 edits of 1,000 rides while offline and pushes them in
batches; the server must apply each exactly once and the device must see every one
confirmed. Then fresh devices pull 10,000 changed records (median time, bytes on the wire).

Run: .venv/bin/python bench/sync.py [--mutations 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.engine import create_db_engine
from bikenode.rides.models import Ride
from bikenode.sync.client import SyncClient
from bikenode.sync.models import SyncClient as SyncDevice
from bikenode.sync.models import SyncMutation

PASSWORD = "correct horse battery staple"
SPORTS = ["cycling", "gravel", "road", "mtb"]
VISIBILITY = ["private", "followers", "public"]


class FaultyProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: tuple[str, int], seed: int) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {"requests": 0, "dropped_requests": 0, "dropped_answers": 0, "doubled": 0}

    def fate(self) -> str:
        with self.lock:
            roll = self.rng.random()
        if roll < 0.2:
            return "drop_request"
        if roll < 0.4:
            return "drop_answer"
        if roll < 0.5:
            return "double"
        return "ok"


class ProxyHandler(BaseHTTPRequestHandler):
    server: FaultyProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fate = self.server.fate()
        counts = self.server.counts
        counts["requests"] += 1
        if fate == "drop_request":
            counts["dropped_requests"] += 1
            self.close_connection = True
            return
        status, headers, answer = self._forward(body)
        if fate == "double":
            counts["doubled"] += 1
            status, headers, answer = self._forward(body)
        if fate == "drop_answer":
            counts["dropped_answers"] += 1
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.server.upstream, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`bikenode serve` in its own process, the way a device meets it: over the network."""
    port = _free_port()
    env = dict(
        os.environ,
        BIKENODE_DATA_DIR=str(data_dir),
        BIKENODE_RUN_WORKER="false",
        BIKENODE_RATE_LIMIT_ENABLED="false",
        BIKENODE_LOG_LEVEL="WARNING",
    )
    env.pop("BIKENODE_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "bikenode", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bikenode serve exited with {server.returncode}")
        try:
            status, _ = _http("GET", port, "/readyz")
            if status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("bikenode serve was not ready within 60 s")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(
    method: str, port: int, path: str, body: dict[str, Any] | None = None, token: str = ""
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def make_rider(
    sessions: sessionmaker[Session], port: int, rides: int
) -> tuple[uuid.UUID, str, list[str]]:
    """A user with `rides` rides (rows written directly: only their editable fields matter)."""
    account = {"email": "bench@example.org", "password": PASSWORD}
    status, answer = _http("POST", port, "/api/v1/auth/register", {**account, "display_name": "B"})
    assert status == 202, answer  # the same answer whether or not the address was new
    status, tokens = _http("POST", port, "/api/v1/auth/login", account)
    assert status == 200, tokens
    token = tokens["access_token"]
    user_id = uuid.UUID(_http("GET", port, "/api/v1/me", token=token)[1]["id"])
    ride_ids = [uuid.uuid4() for _ in range(rides)]
    with sessions() as session:
        session.add_all(
            Ride(
                id=ride_id,
                owner_id=user_id,
                name=f"Ride {n}",
                description="",
                source_format="gpx",
                source_sha256=f"{n:064x}",
            )
            for n, ride_id in enumerate(ride_ids)
        )
        session.commit()
    return user_id, token, [str(r) for r in ride_ids]


def replay(
    sessions: sessionmaker[Session],
    proxy_url: str,
    token: str,
    ride_ids: list[str],
    count: int,
    folder: Path,
    run: int,
) -> dict[str, Any]:
    device = SyncClient(folder / f"device{run}.db", base_url=proxy_url, token=token)
    device.pull()  # what the device knew before going offline
    rng = random.Random(run)
    targets = ride_ids[:1000]
    last: dict[tuple[str, str], Any] = {}
    for n in range(count):  # queued offline
        ride_id = targets[n % len(targets)]
        field = ("name", "description", "sport", "visibility")[rng.randrange(4)]
        value: Any = {
            "name": f"Ride {ride_id[:8]} edit {n}",
            "description": f"edit {n}: " + "windy " * rng.randrange(1, 20),
            "sport": SPORTS[n % len(SPORTS)],
            "visibility": VISIBILITY[n % len(VISIBILITY)],
        }[field]
        device.edit("ride", ride_id, **{field: value})
        last[(ride_id, field)] = value
    started = time.perf_counter()
    report = device.push(batch=1000)
    elapsed = time.perf_counter() - started
    with sessions() as session:
        applied = session.scalar(
            select(func.count())
            .select_from(SyncMutation)
            .where(SyncMutation.client_id == device.client_id)
        )
        devices = session.scalars(
            select(SyncDevice).where(SyncDevice.client_id == device.client_id)
        ).all()
        wrong = sum(
            getattr(session.get(Ride, uuid.UUID(ride_id)), field) != value
            for (ride_id, field), value in last.items()
        )
    return {
        "seconds": elapsed,
        "confirmed": report.confirmed,
        "pending": device.pending(),
        "applied_rows": applied,
        "last_counter": devices[0].last_counter if devices else 0,
        "wrong_values": wrong,
        "requests": report.requests,
        "retries": report.retries,
    }


def pull_all(base_url: str, token: str, folder: Path, run: int) -> tuple[float, int, int]:
    device = SyncClient(folder / f"fresh{run}.db", base_url=base_url, token=token)
    started = time.perf_counter()
    report = device.pull(limit=2000)
    return time.perf_counter() - started, report.changes, report.bytes_received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mutations", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bikenode-bench-sync-") as tmp:
        folder = Path(tmp)
        server, port = start_server(folder / "data")
        sessions = sessionmaker(
            create_db_engine(f"sqlite:///{folder / 'data' / 'bikenode.sqlite3'}")
        )
        _user_id, token, ride_ids = make_rider(sessions, port, args.records)
        proxy = FaultyProxy(("127.0.0.1", port), seed=7)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        direct = f"http://127.0.0.1:{port}"
        pull_all(direct, token, folder, -1)  # the first pull ever seeds every record once
        runs = [
            replay(sessions, proxy_url, token, ride_ids, args.mutations, folder, n)
            for n in range(args.runs)
        ]
        # Every record changed since the device last pulled: edit each once more.
        with sessions() as session:
            from bikenode.rides.sync_records import record_ride_saved

            for ride in session.scalars(select(Ride)):
                ride.name = f"{ride.name}."
                record_ride_saved(session, ride)
            session.commit()
        pulls = [pull_all(direct, token, folder, n) for n in range(args.runs)]
        proxy.shutdown()
        server.terminate()
        server.wait(timeout=30)
    seconds = statistics.median(r["seconds"] for r in runs)
    rate = args.mutations / seconds
    exact = all(
        r["applied_rows"] == r["confirmed"] == r["last_counter"] == args.mutations
        and r["pending"] == 0
        and r["wrong_values"] == 0
        for r in runs
    )
    print(f"proxy faults over all runs: {proxy.counts}")
    print(f"{'what':<48}{'median':>12}{'runs':>6}")
    print(
        f"{'replay ' + str(args.mutations) + ' offline mutations (s)':<48}{seconds:>12.2f}{len(runs):>6}"
    )
    print(f"{'mutations per second':<48}{rate:>12.0f}{len(runs):>6}")
    print(
        f"{'requests per replay (incl. retries)':<48}{statistics.median(r['requests'] for r in runs):>12.0f}{len(runs):>6}"
    )
    print(
        f"{'pull ' + str(args.records) + ' changes (s)':<48}{statistics.median(p[0] for p in pulls):>12.2f}{len(pulls):>6}"
    )
    print(
        f"{'pull bytes on the wire (gzip)':<48}{statistics.median(p[2] for p in pulls):>12.0f}{len(pulls):>6}"
    )
    print(f"{'changes pulled':<48}{statistics.median(p[1] for p in pulls):>12.0f}{len(pulls):>6}")
    verdict = "PASS" if exact and rate >= 5000 else "FAIL"
    print(
        f"target: each mutation applied exactly once and confirmed ({'yes' if exact else 'NO'}), "
        f">= 5,000 mutations/s ({rate:.0f}) -> {verdict}"
    )


if __name__ == "__main__":
    main()
