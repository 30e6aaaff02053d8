"""Real PostgreSQL (and later Redis) servers on loopback for the tests, in temporary folders."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found = candidates[-1] if candidates else shutil.which("initdb")
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `apt-get install postgresql` (scripts/test does it)"
        )
    return Path(found).parent


def _as_postgres_user(argv: list[str]) -> list[str]:
    # initdb refuses to run as root; the Debian package creates a `postgres` user for this.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL on 127.0.0.1 and yield a SQLAlchemy URL to it."""
    bin_dir = _postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="bikenode-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    run = subprocess.run
    run(
        _as_postgres_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "bikenode",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    run(
        _as_postgres_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        _wait_for_port(port)
        run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "bikenode",
                "bikenode",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://bikenode@127.0.0.1:{port}/bikenode"
    finally:
        run(
            _as_postgres_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")
