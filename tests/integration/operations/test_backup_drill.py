"""The backup drill: back up a serving node under write load, restore into a fresh data
folder (or database), and find every ride whole, its health data readable, the copy checked.

Runs on the database under test (BIKENODE_TEST_DB): SQLite's online backup API, or pg_dump
in an exported snapshot on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.http import call_json
from tests.load_tools import PASSWORD, Node, multipart, seed_rider, served_node
from tests.synthetic import synthetic_gpx

PASSPHRASE = "a passphrase for the drill"


def _cli(*args: str, data_dir: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BIKENODE_DATA_DIR=str(data_dir), BIKENODE_BACKUP_PASSPHRASE=PASSPHRASE)
    env.pop("BIKENODE_DATABASE_URL", None)
    if database_url and not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bikenode", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


class WriteLoad:
    """Renames rides and uploads new ones until stopped, counting what the node accepted."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.stop = threading.Event()
        self.applied = 0
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WriteLoad:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)

    def _run(self) -> None:
        step = 0
        while not self.stop.is_set():
            step += 1
            try:
                if step % 4 == 0:
                    start = datetime(2026, 5, 1, tzinfo=UTC) + timedelta(hours=step)
                    body, content_type = multipart(
                        f"load-{step}.gpx", synthetic_gpx(start, points=120, seed=step)
                    )
                    call_json(
                        self.node.base,
                        "/api/v1/uploads",
                        data=body,
                        content_type=content_type,
                        token=self.node.token,
                    )
                else:
                    ride_id = self.node.ride_ids[step % len(self.node.ride_ids)]
                    _patch(self.node, ride_id, {"name": f"Renamed {step}"})
                self.applied += 1
            except Exception as error:  # counted: the test fails on any
                self.failures.append(repr(error))


def _patch(node: Node, ride_id: str, body: dict[str, Any]) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{node.base}/api/v1/rides/{ride_id}", data=json.dumps(body).encode(), method="PATCH"
    )
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {node.token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


@contextlib.contextmanager
def _empty_target(tmp_path: Path, database_url: str) -> Iterator[str | None]:
    """Where to restore: a new SQLite data folder, or a new database on the same server."""
    if database_url.startswith("sqlite"):
        yield None
        return
    name = f"restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _streams_by_ride(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM rides_streams"))
        columns = list(rows.keys())
        key = columns.index("ride_id")
        return {str(uuid.UUID(str(row[key]))): tuple(row) for row in rows}


def _restored_engine(data_dir: Path, restored_url: str | None) -> Engine:
    return create_engine(restored_url or f"sqlite:///{data_dir / 'bikenode.sqlite3'}")


def test_a_backup_taken_under_write_load_restores_to_an_equal_verified_copy(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    data_dir = tmp_path / "data"
    backup = tmp_path / "backup"
    with served_node(data_dir, database_url) as node:
        seed_rider(node, rides=12, points=400)
        with WriteLoad(node) as load:
            while load.applied < 10 and not load.failures:
                threading.Event().wait(0.05)
            taken = _cli(
                "backup", str(backup), "--with-keys", data_dir=data_dir, database_url=database_url
            )
            applied_during = load.applied
        assert taken.returncode == 0, taken.stderr
        assert not load.failures, load.failures[:3]
        assert load.applied > applied_during  # the node kept taking writes throughout
        email = call_json(node.base, "/api/v1/me", token=node.token)["email"]
        some_ride = node.ride_ids[0]
        source_streams = call_json(
            node.base, f"/api/v1/rides/{some_ride}/streams", token=node.token
        )
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["keys_included"] and manifest["key_ids"]  # heart rate is sealed
    assert oct(backup.stat().st_mode & 0o777) == "0o700"

    restored_dir = tmp_path / "restored"
    with _empty_target(tmp_path, database_url) as restored_url:
        done = _cli("restore", str(backup), data_dir=restored_dir, database_url=restored_url)
        assert done.returncode == 0, done.stderr
        assert "verified against the backup" in done.stdout
        checked = _cli("check", data_dir=restored_dir, database_url=restored_url)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.count("ok ") >= 4, checked.stdout

        # Every ride in the copy has the very streams the node stored for it; the copy holds
        # every ride seeded before the backup and no more rides than exist after the load.
        restored = _restored_engine(restored_dir, restored_url)
        try:
            copied = _streams_by_ride(restored)
            with restored.connect() as connection:
                users = connection.scalar(text("SELECT count(*) FROM accounts_users"))
        finally:
            restored.dispose()
        source = engine if restored_url else _restored_engine(data_dir, None)
        original = _streams_by_ride(source)
        assert set(node.ride_ids) <= set(copied) <= set(original)
        assert all(copied[ride_id] == original[ride_id] for ride_id in copied)
        assert manifest["tables"]["rides_streams"]["rows"] == len(copied)
        assert users == 1

        # The restored node serves: the rider signs in and reads sealed heart rate back.
        with served_node(restored_dir, restored_url) as again:
            token = call_json(
                again.base, "/api/v1/auth/login", body={"email": email, "password": PASSWORD}
            )["access_token"]
            streams = call_json(again.base, f"/api/v1/rides/{some_ride}/streams", token=token)
    assert streams == source_streams
    assert streams["streams"]["hr_bpm"]  # sealed at rest: read with the restored keys


@pytest.fixture
def small_backup(tmp_path: Path) -> tuple[Path, Path]:
    """A SQLite data folder with a rider's sealed heart rate, and a backup of it."""
    data_dir = tmp_path / "data"
    with served_node(data_dir) as node:
        seed_rider(node, rides=2, points=120)
    backup = tmp_path / "backup"
    taken = _cli("backup", str(backup), data_dir=data_dir, database_url=None)
    assert taken.returncode == 0, taken.stderr
    assert "the backup holds no keys" in taken.stderr
    return data_dir, backup


def test_restore_refuses_a_damaged_backup_and_writes_nothing(
    tmp_path: Path, small_backup: tuple[Path, Path]
) -> None:
    _, backup = small_backup
    copy = backup / "database.sqlite3"
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    target = tmp_path / "target"
    refused = _cli("restore", str(backup), data_dir=target, database_url=None)
    assert refused.returncode == 1
    assert "changed since the backup: database.sqlite3" in refused.stderr
    assert not (target / "bikenode.sqlite3").exists()


def test_restore_needs_the_keys_the_data_is_sealed_under(
    tmp_path: Path, small_backup: tuple[Path, Path]
) -> None:
    data_dir, backup = small_backup
    target = tmp_path / "target"
    target.mkdir()
    (target / "data.keys").write_text("other:" + "A" * 43 + "=\n")
    refused = _cli("restore", str(backup), data_dir=target, database_url=None)
    assert refused.returncode == 1
    assert "which the key ring does not hold" in refused.stderr
    assert not (target / "bikenode.sqlite3").exists()

    (target / "data.keys").write_text((data_dir / "data.keys").read_text())
    done = _cli("restore", str(backup), data_dir=target, database_url=None)
    assert done.returncode == 0, done.stderr
    again = _cli("restore", str(backup), data_dir=target, database_url=None)
    assert again.returncode == 1 and "restore into a new, empty data folder" in again.stderr
    checked = _cli("check", data_dir=target, database_url=None)
    assert checked.returncode == 0, checked.stdout
    (target / "data.keys").write_text("other:" + "A" * 43 + "=\n")  # the node's key is lost
    lost = _cli("check", data_dir=target, database_url=None)
    assert lost.returncode == 1
    assert "FAIL keys: values sealed under" in lost.stdout
