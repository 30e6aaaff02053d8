"""Killing the server in the middle of a large import loses nothing: the worker resumes."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.http import call_json
from tests.serve_tools import (
    count_rides,
    serve,
    serve_env,
    wait_for_items,
    wait_for_upload_status,
    wait_ready,
    zip_multipart,
)
from tests.servers import free_port
from tests.synthetic import synthetic_archive

RIDES = 240


@pytest.mark.slow
def test_sigkill_mid_import_then_restart_imports_everything_once(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env, port = serve_env(tmp_path / "data", database_url), free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(port, env)
    try:
        wait_ready(base)
        account = {
            "email": "kill@example.org",
            "password": "survives a sigkill fine",
            "display_name": "K",
        }
        call_json(base, "/api/v1/auth/register", body=account)
        credentials = {"email": account["email"], "password": account["password"]}
        token = call_json(base, "/api/v1/auth/login", body=credentials)["access_token"]
        body, content_type = zip_multipart("archive.zip", synthetic_archive(RIDES, points=1500))
        upload_id = call_json(
            base, "/api/v1/uploads", token=token, data=body, content_type=content_type
        )["uploads"][0]["id"]
        seen = wait_for_items(base, upload_id, token, at_least=10)
        assert seen < RIDES, "the import finished before the kill; make it larger"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        server = serve(port, env)
        wait_ready(base)
        final = wait_for_upload_status(base, upload_id, token, "done", timeout_s=180)
        stored_rides = count_rides(base, token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    entries = [item["entry"] for item in final["items"]]
    assert len(entries) == len(set(entries)) == RIDES
    assert final["counts"] == {"imported": RIDES}
    assert stored_rides == RIDES
