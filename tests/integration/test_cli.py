"""The `bikenode` command as a newcomer runs it: help, db upgrade, user create, serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.servers import free_port

BIKENODE = [sys.executable, "-m", "bikenode"]


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ, BIKENODE_DATA_DIR=str(data_dir), BIKENODE_ARGON2_MEMORY_KIB="19456")
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    return env


def _request(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_help_lists_the_commands() -> None:
    result = subprocess.run([*BIKENODE, "--help"], capture_output=True, text=True, check=True)
    for command in ("serve", "db", "user"):
        assert command in result.stdout


def test_user_create_with_password_from_stdin(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env = _env(tmp_path, database_url)
    created = subprocess.run(
        [*BIKENODE, "user", "create", "cli@example.org", "--password-stdin", "--admin"],
        input="a long enough cli passphrase\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "created admin cli@example.org" in created.stdout
    again = subprocess.run(
        [*BIKENODE, "user", "create", "cli@example.org", "--password-stdin"],
        input="a long enough cli passphrase\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = subprocess.run(
        [*BIKENODE, "user", "create", "short@example.org", "--password-stdin"],
        input="short\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert short.returncode == 1
    assert "at least 15 characters" in short.stderr


@pytest.fixture
def server(tmp_path: Path, database_url: str, engine: Engine) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*BIKENODE, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        env=_env(tmp_path / "data", database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        assert process.stderr is not None and process.stdout is not None
        process.stderr.close()
        process.stdout.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bikenode serve exited with {process.returncode}")
        try:
            if _request(f"{base}/readyz")["status"] == "ok":
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError("bikenode serve was not ready within 60 s")


def test_serve_then_register_login_and_me_as_the_readme_shows(server: str) -> None:
    _request(
        f"{server}/api/v1/auth/register",
        {
            "email": "newcomer@example.org",
            "password": "my first bikenode password",
            "display_name": "Newcomer",
        },
    )
    tokens = _request(
        f"{server}/api/v1/auth/login",
        {"email": "newcomer@example.org", "password": "my first bikenode password"},
    )
    me = _request(f"{server}/api/v1/me", token=tokens["access_token"])
    assert me["email"] == "newcomer@example.org"


def test_serve_with_two_workers_shares_one_signing_key_and_the_data_dir_flag(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    data_dir = tmp_path / "flagged"
    env = _env(tmp_path / "not-this-one", database_url)
    del env["BIKENODE_DATA_DIR"]  # only the flag names the folder; workers must get it too
    port = free_port()
    process = subprocess.Popen(
        [*BIKENODE, "serve", "--port", str(port), "--data-dir", str(data_dir), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        account = {"email": "two@example.org", "password": "two workers, one signing key"}
        _request(f"{base}/api/v1/auth/register", {**account, "display_name": "Two"})
        token = _request(f"{base}/api/v1/auth/login", account)["access_token"]
        # A new connection per request: the kernel spreads them over both workers, and a
        # token signed by one must be accepted by the other.
        for _ in range(20):
            assert _request(f"{base}/api/v1/me", token=token)["email"] == account["email"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        process.stderr.close()
    assert process.returncode == 0, errors
    assert (data_dir / "secret.key").exists()
    assert not (tmp_path / "not-this-one").exists()
    assert "import string" not in errors


def _bikenode(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return subprocess.run(
        [*BIKENODE, *args], input=stdin, capture_output=True, text=True, env=env, check=False
    )


def test_import_refuses_a_data_folder_that_does_not_exist_and_creates_nothing(
    tmp_path: Path,
) -> None:
    ride = tmp_path / "ride.gpx"
    ride.write_text("<gpx/>")
    env = _env(tmp_path / "bikenode-data", "sqlite://")  # SQLite: found in the folder or not
    refused = _bikenode(env, "import", "--user", "ada@example.org", str(ride))
    assert refused.returncode == 2
    assert f"no BikeNode data in data folder {tmp_path / 'bikenode-data'}" in refused.stderr
    assert not (tmp_path / "bikenode-data").exists()


def test_usage_lines_read_as_words() -> None:
    for command in (["import"], ["gdpr", "export"], ["user", "create"], ["serve"]):
        shown = subprocess.run(
            [*BIKENODE, *command, "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert "{" not in shown and "<" not in shown, shown
    usage = subprocess.run([*BIKENODE, "import", "--help"], capture_output=True, text=True).stdout
    assert "[OPTIONS] PATHS..." in usage and "--user EMAIL" in usage


def test_commands_say_which_data_they_use_and_failed_names_are_shown_whole(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env = _env(tmp_path / "data", database_url)
    created = _bikenode(env, "user", "create", "w@example.org", "--password-stdin", stdin="a" * 20)
    assert created.returncode == 0, created.stderr
    assert f"using data folder {tmp_path / 'data'}" in created.stderr
    long_name = "a-ride-file-with-a-rather-long-name-that-a-narrow-terminal-would-cut-" * 2
    broken = tmp_path / f"{long_name}.gpx"
    broken.write_text("not a gpx file at all")
    imported = _bikenode({**env, "COLUMNS": "60"}, "import", "--user", "w@example.org", str(broken))
    assert imported.returncode == 1
    assert str(broken) in imported.stderr


def test_reset_link_points_at_the_server_running_on_the_data(
    server: str, tmp_path: Path, database_url: str
) -> None:
    env = _env(tmp_path / "data", database_url)
    created = _bikenode(env, "user", "create", "r@example.org", "--password-stdin", stdin="b" * 20)
    assert created.returncode == 0, created.stderr
    link = _bikenode(env, "user", "reset-link", "r@example.org")
    assert link.returncode == 0, link.stderr
    assert link.stdout.splitlines()[-1].startswith(f"{server}/reset-password#token=")
