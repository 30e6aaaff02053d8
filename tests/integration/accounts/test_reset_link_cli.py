"""`bikenode user reset-link EMAIL`: a reset link for sites without mail, audited."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bikenode.app import create_app
from bikenode.audit.models import AuditEvent
from bikenode.config import Settings

BIKENODE = [sys.executable, "-m", "bikenode"]
PASSPHRASE = "a long enough cli passphrase"


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BIKENODE, *args], input=stdin, capture_output=True, text=True, env=env, check=False
    )


def test_reset_link_prints_a_working_single_use_link(
    tmp_path: Path, database_url: str, settings: Settings, engine: Engine
) -> None:
    env = dict(
        os.environ,
        BIKENODE_DATA_DIR=str(tmp_path),
        BIKENODE_ARGON2_MEMORY_KIB="19456",
        BIKENODE_PUBLIC_URL="https://bikes.example.org/",
    )
    own_database = database_url.startswith("sqlite")  # the CLI keeps SQLite in its data dir
    if not own_database:
        env["BIKENODE_DATABASE_URL"] = database_url
    created = _run(
        env, "user", "create", "forgetful@example.org", "--password-stdin", stdin=PASSPHRASE
    )
    assert created.returncode == 0, created.stderr

    printed = _run(env, "user", "reset-link", "Forgetful@Example.org")
    assert printed.returncode == 0, printed.stderr
    found = re.search(
        r"^https://bikes\.example\.org/reset-password#token=(\S+)$", printed.stdout, re.M
    )
    assert found, printed.stdout
    assert "forgetful@example.org" in printed.stdout

    unknown = _run(env, "user", "reset-link", "nobody@example.org")
    assert unknown.returncode == 2 and "nobody@example.org" in unknown.stderr

    app_settings = settings.model_copy(
        update={"data_dir": tmp_path, "database_url": "" if own_database else database_url}
    )
    with TestClient(create_app(app_settings)) as client:
        body = {"token": found.group(1), "new_password": "the password after the reset"}
        assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 204
        assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 400
        signed_in = client.post(
            "/api/v1/auth/login",
            json={"email": "forgetful@example.org", "password": body["new_password"]},
        )
        assert signed_in.status_code == 200
        with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
            events = {
                e.event_type: e.details
                for e in db.scalars(select(AuditEvent).order_by(AuditEvent.seq))
            }
    assert events["auth.password_reset_requested"] == {"by": "operator"}
    assert "auth.password_reset" in events
