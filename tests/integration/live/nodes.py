"""Real `python -m bikenode serve` nodes sharing one database and one Redis, for live tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.servers import free_port

SECRET = "live-test-secret-key-that-is-long-enough-for-hs256-0123456789"


class Node:
    """One BikeNode process on loopback; it can be killed and started again on the same port."""

    def __init__(self, data_dir: Path, database_url: str, redis_url: str, **env: str) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.env = dict(
            os.environ,
            BIKENODE_DATA_DIR=str(data_dir),
            BIKENODE_SECRET_KEY=SECRET,
            BIKENODE_REDIS_URL=redis_url,
            BIKENODE_RUN_WORKER="false",
            BIKENODE_ARGON2_MEMORY_KIB="19456",
            BIKENODE_LOG_LEVEL="WARNING",
            BIKENODE_LIVE_BATCHES_PER_S="10000",
            BIKENODE_LIVE_BATCH_BURST="10000",
        )
        self.env.update(env)
        if not database_url.startswith("sqlite"):
            self.env["BIKENODE_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"node-{self.port}.log"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bikenode", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node exited with {self.process.returncode}: {self.log}")
            try:
                urllib.request.urlopen(f"{self.http}/healthz", timeout=2).close()
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("node not ready in 60 s")

    def kill(self) -> None:
        """SIGKILL: no graceful anything, as a crash or an OOM kill."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=20)
            self.process = None

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None


def request(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    import json

    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())


def rider_account(node: Node, email: str) -> str:
    """Register and sign in a rider through the node's API; the access token."""
    password = "a long enough live test passphrase"
    request(
        f"{node.http}/api/v1/auth/register",
        {"email": email, "password": password, "display_name": "Live"},
    )
    tokens = request(f"{node.http}/api/v1/auth/login", {"email": email, "password": password})
    return str(tokens["access_token"])
