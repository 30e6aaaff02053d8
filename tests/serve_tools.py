"""A real `bikenode serve` that a test kills and starts again on the same port and data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tests.http import call_json


def serve_env(data_dir: Path, database_url: str) -> dict[str, str]:
    """The environment of a server on this data folder and database, with 3 s job leases."""
    env = dict(
        os.environ,
        BIKENODE_DATA_DIR=str(data_dir),
        BIKENODE_JOB_LEASE_S="3",
        BIKENODE_LOG_LEVEL="WARNING",
    )
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    return env


def serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`bikenode serve` on the port, in a process of its own (its output discarded)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bikenode", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, timeout_s: float = 60) -> None:
    """Return once /readyz answers ok."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if call_json(base, "/readyz")["status"] == "ok":
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not ready")


def zip_multipart(name: str, data: bytes) -> tuple[bytes, str]:
    """A zip archive as a multipart/form-data body under the field name `files`."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def count_rides(base: str, token: str) -> int:
    """How many rides the rider has, counted page by page."""
    count, cursor = 0, ""
    while True:
        page = call_json(base, f"/api/v1/rides?limit=200{cursor}", token=token)
        count += len(page["items"])
        if not page["next_cursor"]:
            return count
        cursor = f"&cursor={page['next_cursor']}"


def wait_for_items(base: str, upload_id: str, token: str, *, at_least: int) -> int:
    """How many files of the upload are done, once at least `at_least` are."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        upload = call_json(base, f"/api/v1/uploads/{upload_id}", token=token)
        if len(upload["items"]) >= at_least:
            return len(upload["items"])
        time.sleep(0.1)
    raise RuntimeError(f"fewer than {at_least} files of the upload were done after 120 s")


def wait_for_upload_status(
    base: str, upload_id: str, token: str, status: str, *, timeout_s: float
) -> dict[str, Any]:
    """The upload, once it has the status."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        upload: dict[str, Any] = call_json(base, f"/api/v1/uploads/{upload_id}", token=token)
        if upload["status"] == status:
            return upload
        time.sleep(0.3)
    raise RuntimeError(f"upload not {status} after {timeout_s} s")
