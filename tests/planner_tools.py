"""Helpers for route-planning tests: a pycrdt replica speaking y-websocket, a Node.js bridge."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Map, Text

from bikenode.planner import protocol
from bikenode.planner.logic import META, NOTES, WAYPOINTS, load_doc, merge
from tests.factories import STRONG_PASSWORD
from tests.servers import free_port

NODE_DIR = Path(__file__).resolve().parent / "node"


class Replica:
    """A pycrdt copy of a route document that answers y-websocket messages.

    It keeps every update it received, in order, and a state-vector exchange (``step1`` /
    ``answer``) repairs what pycrdt failed to integrate from out-of-order updates.
    """

    def __init__(self, client_id: int | None = None) -> None:
        self.doc: Doc[Any] = Doc(client_id=client_id) if client_id else Doc()
        self.outgoing: list[bytes] = []  # updates made here, not yet sent
        self.received: list[bytes] = []
        self._applying = False
        self.doc.observe(self._local)

    def _local(self, event: Any) -> None:
        if not self._applying:
            self.outgoing.append(bytes(event.update))

    @property
    def waypoints(self) -> Array[Any]:
        points: Array[Any] = self.doc.get(WAYPOINTS, type=Array)
        return points

    @property
    def notes(self) -> Text:
        notes: Text = self.doc.get(NOTES, type=Text)
        return notes

    @property
    def meta(self) -> Map[Any]:
        meta: Map[Any] = self.doc.get(META, type=Map)
        return meta

    def apply(self, update: bytes) -> None:
        """Apply a remote update (in whatever order it arrives)."""
        self.received.append(update)
        self._applying = True
        try:
            self.doc.apply_update(update)
        finally:
            self._applying = False

    def take_outgoing(self) -> list[bytes]:
        """The local updates made since the last call."""
        out, self.outgoing = self.outgoing, []
        return out

    def step1(self) -> bytes:
        return protocol.sync_step1(self.doc.get_state())

    def handle(self, frame: bytes) -> bytes | None:
        """Apply a message; the reply to send (a step 2 for a step 1), if any."""
        message = protocol.parse_message(frame)
        if message.kind == "step1":
            return protocol.sync_step2(self.doc.get_update(message.payload))
        if message.kind in ("step2", "update") and message.payload != protocol.EMPTY_UPDATE:
            self.apply(message.payload)
        return None

    def resync(self) -> None:
        """Rebuild the document from everything received and made here, merged at once."""
        own = self.doc.get_update()
        self.doc = load_doc(merge([own, *self.received]))
        self.doc.observe(self._local)

    def add(self, index: int, point_id: str, lat: float, lon: float) -> None:
        self.waypoints.insert(index, Map({"id": point_id, "lat": lat, "lon": lon}))

    def state(self) -> dict[str, Any]:
        """The document as plain values, to compare replicas."""
        return canonical(self.doc)


def canonical(doc: Doc[Any]) -> dict[str, Any]:
    """A route document as plain values (same shape as the Node.js side prints)."""
    names = set(doc.keys())
    # str() of a shared type is its JSON, made by yrs: much faster than to_py().
    return {
        "waypoints": json.loads(str(doc.get(WAYPOINTS, type=Array))) if WAYPOINTS in names else [],
        "notes": str(doc.get(NOTES, type=Text)) if NOTES in names else "",
        "meta": json.loads(str(doc.get(META, type=Map))) if META in names else {},
    }


class NodeWorker:
    """A long-lived Node.js process (tests/node/*.mjs) answering JSON lines on stdin/stdout."""

    def __init__(self, script: str, *args: str) -> None:
        self.process = subprocess.Popen(
            ["node", str(NODE_DIR / script), *args],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def call(self, request: dict[str, Any]) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the node worker exited with {self.process.wait(timeout=10)}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"node worker: {answer['error']}")
        return answer["result"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class Server:
    """A real `python -m bikenode serve` (uvicorn) on a loopback port; restartable on it."""

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.env = dict(
            os.environ,
            BIKENODE_DATA_DIR=str(data_dir),
            BIKENODE_SECRET_KEY="planner-test-secret-key-that-is-long-enough-for-hs256-0123",
            BIKENODE_RUN_WORKER="false",
            BIKENODE_ARGON2_MEMORY_KIB="19456",
            BIKENODE_LOG_LEVEL="INFO",  # the log is kept in the test's folder
            BIKENODE_RATE_LIMIT_ENABLED="false",
        )
        self.env.update(env)
        if not database_url.startswith("sqlite"):
            self.env["BIKENODE_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{self.port}.log"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rooms_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/route-rooms"

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
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.http}/readyz", timeout=2).close()
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)  # the server is starting
        raise RuntimeError("server not ready in 60 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def kill(self) -> None:
        """SIGKILL: no graceful anything (rooms are not written, sockets just drop)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=20)
            self.process = None

    def call(self, method: str, path: str, body: Any = None, token: str = "") -> Any:
        """An API call; the decoded JSON answer (None for 204)."""
        request = urllib.request.Request(
            self.http + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
        )
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:500]!r}") from None
        return json.loads(raw) if raw else None

    def user(self, email: str) -> tuple[str, str]:
        """Register and sign in a user; their id and access token."""
        body = {"email": email, "password": STRONG_PASSWORD, "display_name": email[:20]}
        self.call("POST", "/api/v1/auth/register", body)
        login = {"email": email, "password": STRONG_PASSWORD}
        token = self.call("POST", "/api/v1/auth/login", login)["access_token"]
        return str(self.call("GET", "/api/v1/me", token=token)["id"]), token


def wait_until(check: Any, *, timeout_s: float = 20.0, what: str = "condition") -> Any:
    """Poll a check until it returns something truthy (the other side is another process)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
