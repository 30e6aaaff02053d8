"""Several riders upload at once while the worker imports: every upload is stored and done."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from tests.http import call_json
from tests.load_tools import multipart
from tests.servers import free_port
from tests.synthetic import synthetic_archive, synthetic_gpx

UPLOADS = 8


def test_concurrent_uploads_during_an_import_all_succeed(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env = dict(os.environ, BIKENODE_DATA_DIR=str(tmp_path), BIKENODE_LOG_LEVEL="WARNING")
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bikenode", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                call_json(base, "/readyz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        account = {"email": "many@example.org", "password": "many uploads at once"}
        call_json(base, "/api/v1/auth/register", body=account | {"display_name": "M"})
        token = call_json(base, "/api/v1/auth/login", body=account)["access_token"]
        # A large archive keeps the worker busy while the small uploads arrive.
        big, big_type = multipart("big.zip", synthetic_archive(60, points=1500))
        first = datetime(2020, 1, 1, 7, tzinfo=UTC)
        smalls = [
            multipart(f"{n}.gpx", synthetic_gpx(first + timedelta(days=n), seed=n))
            for n in range(UPLOADS)
        ]

        def send(part: tuple[bytes, str]) -> str:
            answer = call_json(
                base, "/api/v1/uploads", data=part[0], content_type=part[1], token=token
            )
            return str(answer["uploads"][0]["id"])

        with ThreadPoolExecutor(max_workers=UPLOADS + 1) as pool:
            ids = list(pool.map(send, [(big, big_type), *smalls]))
        deadline = time.monotonic() + 180
        pending = set(ids)
        while pending and time.monotonic() < deadline:
            for upload_id in list(pending):
                if call_json(base, f"/api/v1/uploads/{upload_id}", token=token)["status"] == "done":
                    pending.discard(upload_id)
            time.sleep(0.2)
        assert not pending
        page = call_json(base, "/api/v1/rides?limit=200", token=token)
        assert len(page["items"]) == 60 + UPLOADS
    finally:
        server.terminate()
        server.wait(timeout=20)
