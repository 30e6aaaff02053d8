"""A standard tus client (tuspy) uploads an archive, loses the connection, and resumes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tusclient import client as tus

from tests.http import call_json
from tests.servers import free_port
from tests.synthetic import synthetic_archive

CHUNK = 64 * 1024


@pytest.fixture
def server(tmp_path: Path, database_url: str, engine: Engine) -> Iterator[str]:
    env = dict(os.environ, BIKENODE_DATA_DIR=str(tmp_path), BIKENODE_LOG_LEVEL="WARNING")
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bikenode", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                call_json(base, "/readyz")
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_tuspy_upload_resumes_after_an_interruption(server: str, tmp_path: Path) -> None:
    account = {"email": "tus@example.org", "password": "resumable uploads rock"}
    call_json(server, "/api/v1/auth/register", body=account | {"display_name": "T"})
    token = call_json(server, "/api/v1/auth/login", body=account)["access_token"]
    archive = tmp_path / "rides.zip"
    archive.write_bytes(synthetic_archive(12, points=2000))
    assert archive.stat().st_size > 3 * CHUNK
    headers = {"Authorization": f"Bearer {token}"}
    client = tus.TusClient(f"{server}/api/v1/uploads/tus", headers=headers)

    with archive.open("rb") as stream:
        first = client.uploader(
            file_stream=stream, chunk_size=CHUNK, metadata={"filename": "rides.zip"}
        )
        first.upload(stop_at=2 * CHUNK)  # then the "connection drops": this uploader is gone
    assert first.url is not None
    upload_id = first.url.rstrip("/").rsplit("/", 1)[-1]
    partial = call_json(server, f"/api/v1/uploads/{upload_id}", token=token)
    assert partial["status"] == "receiving"
    assert partial["received_bytes"] == 2 * CHUNK

    with archive.open("rb") as stream:
        resumed = client.uploader(file_stream=stream, chunk_size=CHUNK, url=first.url)
        assert resumed.offset == 2 * CHUNK  # asked the server (HEAD) where to go on from
        resumed.upload()

    deadline = time.monotonic() + 60
    upload = partial
    while time.monotonic() < deadline and upload["status"] != "done":
        time.sleep(0.2)
        upload = call_json(server, f"/api/v1/uploads/{upload_id}", token=token)
    assert upload["status"] == "done"
    assert upload["counts"] == {"imported": 12}
