"""Killing the server in the middle of a large import loses nothing: the worker resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.http import call_json
from tests.servers import free_port
from tests.synthetic import synthetic_archive

RIDES = 240


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = dict(
        os.environ,
        BIKENODE_DATA_DIR=str(data_dir),
        BIKENODE_JOB_LEASE_S="3",
        BIKENODE_LOG_LEVEL="WARNING",
    )
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    return env


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bikenode", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(base: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if call_json(base, "/readyz")["status"] == "ok":
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server not ready")


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


@pytest.mark.slow
def test_sigkill_mid_import_then_restart_imports_everything_once(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env, port = _env(tmp_path / "data", database_url), free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(port, env)
    try:
        _wait_ready(base)
        account = {
            "email": "kill@example.org",
            "password": "survives a sigkill fine",
            "display_name": "K",
        }
        call_json(base, "/api/v1/auth/register", body=account)
        credentials = {"email": account["email"], "password": account["password"]}
        token = call_json(base, "/api/v1/auth/login", body=credentials)["access_token"]
        body, content_type = _multipart("archive.zip", synthetic_archive(RIDES, points=1500))
        upload_id = call_json(
            base, "/api/v1/uploads", token=token, data=body, content_type=content_type
        )["uploads"][0]["id"]
        seen = _wait_for_items(base, upload_id, token, at_least=10)
        assert seen < RIDES, "the import finished before the kill; make it larger"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        server = _serve(port, env)
        _wait_ready(base)
        final = _wait_for_status(base, upload_id, token, "done", timeout_s=180)
        stored_rides = _count_rides(base, token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    entries = [item["entry"] for item in final["items"]]
    assert len(entries) == len(set(entries)) == RIDES
    assert final["counts"] == {"imported": RIDES}
    assert stored_rides == RIDES


def _count_rides(base: str, token: str) -> int:
    count, cursor = 0, ""
    while True:
        page = call_json(base, f"/api/v1/rides?limit=200{cursor}", token=token)
        count += len(page["items"])
        if not page["next_cursor"]:
            return count
        cursor = f"&cursor={page['next_cursor']}"


def _wait_for_items(base: str, upload_id: str, token: str, *, at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        upload = call_json(base, f"/api/v1/uploads/{upload_id}", token=token)
        if len(upload["items"]) >= at_least:
            return len(upload["items"])
        time.sleep(0.1)
    raise RuntimeError("the import did not start")


def _wait_for_status(
    base: str, upload_id: str, token: str, status: str, *, timeout_s: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        upload: dict[str, Any] = call_json(base, f"/api/v1/uploads/{upload_id}", token=token)
        if upload["status"] == status:
            return upload
        time.sleep(0.3)
    raise RuntimeError(f"upload not {status} after {timeout_s} s")
