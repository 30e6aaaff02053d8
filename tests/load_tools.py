"""A real `bikenode serve` under concurrent load, for the overload tests and bench/load.py.

The load comes from a separate process (`python -m tests.load_tools`, fed a plan on standard
input), so the process that probes /healthz is never slowed by the load generator's own work.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.http import call_json
from tests.servers import free_port
from tests.synthetic import synthetic_archive, synthetic_gpx

PASSWORD = "a long passphrase for load"


@dataclass
class Node:
    """A running server and the rider the load acts as."""

    base: str
    process: subprocess.Popen[bytes]
    log_path: Path
    token: str = ""
    user_id: str = ""
    ride_ids: list[str] = field(default_factory=list)


@contextlib.contextmanager
def served_node(
    data_dir: Path, database_url: str | None = None, *, workers: int | str = 1, **settings: str
) -> Iterator[Node]:
    """`bikenode serve` in its own process(es) (rate limits off), stopped afterwards.

    settings: BIKENODE_* values by lower-case name (workers is typed for a **settings dict)."""
    env = dict(
        os.environ,
        BIKENODE_DATA_DIR=str(data_dir),
        BIKENODE_LOG_LEVEL="WARNING",
        BIKENODE_RATE_LIMIT_ENABLED="false",
    )
    env.update({f"BIKENODE_{name.upper()}": value for name, value in settings.items()})
    if database_url and not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    port = free_port()
    log_path = data_dir.parent / f"serve-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bikenode", "serve", "--port", str(port)]
            + (["--workers", str(workers)] if int(workers) > 1 else []),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    node = Node(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(node)
        yield node
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(node: Node) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if call_json(node.base, "/readyz", timeout_s=5)["status"] == "ok":
                return
        except OSError:
            pass
        if node.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start: {node.log_path.read_text()[-2000:]}")
        time.sleep(0.2)


def seed_rider(node: Node, *, rides: int, points: int = 300) -> None:
    """Register a rider, sign in and import `rides` synthetic rides (waits until stored)."""
    email = f"load-{uuid.uuid4().hex[:8]}@example.org"
    account = {"email": email, "password": PASSWORD}
    call_json(node.base, "/api/v1/auth/register", body=account | {"display_name": "Load"})
    node.token = call_json(node.base, "/api/v1/auth/login", body=account)["access_token"]
    node.user_id = call_json(node.base, "/api/v1/me", token=node.token)["id"]
    body, content_type = multipart("rides.zip", synthetic_archive(rides, points=points))
    answer = call_json(
        node.base, "/api/v1/uploads", data=body, content_type=content_type, token=node.token
    )
    upload_id = answer["uploads"][0]["id"]
    deadline = time.monotonic() + 300
    while call_json(node.base, f"/api/v1/uploads/{upload_id}", token=node.token)["status"] not in (
        "done",
        "failed",
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the seed upload did not finish in time")
        time.sleep(0.3)
    node.ride_ids = []
    cursor = ""
    while True:
        page = call_json(node.base, f"/api/v1/rides?limit=100{cursor}", token=node.token)
        node.ride_ids += [ride["id"] for ride in page["items"]]
        if not page.get("next_cursor"):
            break
        cursor = f"&cursor={page['next_cursor']}"


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    """One file as a multipart/form-data body under the field name `files`."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


class HealthProbe:
    """Polls /healthz every interval in a thread of its own and keeps each answer's latency."""

    def __init__(self, base: str, *, interval_s: float = 0.05, timeout_s: float = 5.0) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.latencies_ms: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout_s
                )
                connection.request("GET", "/healthz")
                status = connection.getresponse().status
                connection.close()
                if status != 200:
                    self.failures.append(f"status {status}")
            except OSError as error:
                self.failures.append(f"{type(error).__name__}: {error}")
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            self._stop.wait(self.interval_s)


def run_load(plan: dict[str, Any], *, timeout_s: float = 600) -> list[dict[str, Any]]:
    """Send the plan's requests from a separate process, all at once; one outcome each."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.load_tools"],
        input=json.dumps(plan).encode(),
        capture_output=True,
        timeout=timeout_s,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed: {done.stderr.decode()[-3000:]}")
    return list(json.loads(done.stdout))


def hlc_now(client_id: str, step: int = 0) -> str:
    """A hybrid logical clock stamp for a sync mutation made now by this client."""
    return f"{int(time.time() * 1000)}-{step:04x}-{client_id}"


# ---- the load generator process ------------------------------------------------------------


async def _send_all(plan: dict[str, Any]) -> list[dict[str, Any]]:
    import aiohttp

    base, token = plan["base"], plan["token"]
    timeout = aiohttp.ClientTimeout(total=plan.get("timeout_s", 60))
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    start = datetime(2021, 3, 1, 7, tzinfo=UTC)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
    ) as http_session:

        async def one(index: int, request: dict[str, Any]) -> dict[str, Any]:
            kind = request["kind"]
            options: dict[str, Any] = {}
            method = {"get": "GET", "patch": "PATCH", "post": "POST", "upload": "POST"}[kind]
            path = request.get("path", "/api/v1/uploads")
            if "json" in request:
                options["json"] = request["json"]
            if kind == "upload":
                seed = int(request["seed"])
                data, content_type = multipart(
                    f"load-{seed}.gpx",
                    synthetic_gpx(start + timedelta(hours=seed), points=120, seed=seed),
                )
                options["data"] = data
                options["headers"] = {"Content-Type": content_type}
            started = time.perf_counter()
            outcome: dict[str, Any] = {"index": index, "kind": kind, "path": path}
            try:
                async with http_session.request(method, base + path, **options) as response:
                    body = await response.read()
                    outcome["status"] = response.status
                    outcome["retry_after"] = response.headers.get("Retry-After")
                    if response.status >= 500 or kind == "upload":
                        outcome["body"] = body.decode(errors="replace")[:2000]
            except TimeoutError:
                outcome["error"] = "timeout"
            except aiohttp.ClientError as error:
                outcome["error"] = f"{type(error).__name__}: {error}"
            outcome["elapsed_ms"] = (time.perf_counter() - started) * 1000
            return outcome

        return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(plan["requests"]))))


def main() -> None:
    # The generator shares this machine's cores with the server it measures: it yields to it.
    os.nice(10)
    plan = json.loads(sys.stdin.buffer.read())
    outcomes = asyncio.run(_send_all(plan))
    sys.stdout.write(json.dumps(outcomes))


if __name__ == "__main__":
    main()
