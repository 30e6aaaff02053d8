"""Durability: SQLite's settings, a PostgreSQL restart under a serving node, and an import
whose worker is killed again and again.

A write the server acknowledged (2xx) is never lost; during an outage the server answers 503
with Retry-After (never 500) and serves again by itself once the database is back.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from bikenode.db.engine import READ_ONLY_OPTION, create_db_engine
from tests.http import call_json
from tests.load_tools import Node, served_node
from tests.serve_tools import (
    count_rides,
    serve,
    serve_env,
    wait_for_items,
    wait_for_upload_status,
    wait_ready,
    zip_multipart,
)
from tests.servers import free_port, restartable_postgres_server
from tests.synthetic import synthetic_archive


def _pragma(connection: Connection, name: str) -> Any:
    return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_every_sqlite_connection_has_wal_normal_sync_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'node.sqlite3'}", lock_timeout_s=7)
    try:
        reading = {READ_ONLY_OPTION: True}  # two at once: a writer would wait for the other
        with (
            engine.connect().execution_options(**reading) as first,
            engine.connect().execution_options(**reading) as second,
        ):
            for connection in (first, second):  # every pooled connection, not just one
                assert _pragma(connection, "journal_mode") == "wal"
                # NORMAL: with WAL, a crash of the process never loses a commit nor corrupts
                assert _pragma(connection, "synchronous") == 1
                assert _pragma(connection, "foreign_keys") == 1
                assert _pragma(connection, "busy_timeout") == 7000
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            connection.exec_driver_sql(
                "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id))"
            )
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO child (parent_id) VALUES (42)")
    finally:
        engine.dispose()


# ---- a PostgreSQL restart while serving -----------------------------------------------------


@dataclass
class Writes:
    """Creates routes one after another from a thread; keeps every answer."""

    node: Node
    answers: list[dict[str, Any]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        host, port = self.node.base.removeprefix("http://").split(":")
        number = 0
        while not self.stop.is_set():
            number += 1
            name = f"write {number}"
            started = time.monotonic()
            answer: dict[str, Any] = {"name": name, "at": started}
            try:
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                connection.request(
                    "POST",
                    "/api/v1/routes",
                    body=json.dumps({"name": name}),
                    headers={
                        "Authorization": f"Bearer {self.node.token}",
                        "Content-Type": "application/json",
                    },
                )
                response = connection.getresponse()
                answer["status"] = response.status
                answer["retry_after"] = response.getheader("Retry-After")
                answer["body"] = response.read().decode(errors="replace")
                connection.close()
            except OSError as error:
                answer["error"] = f"{type(error).__name__}: {error}"
            self.answers.append(answer)
            if answer.get("status") == 503:
                time.sleep(0.05)

    def acknowledged(self) -> dict[str, str]:
        """Route id -> name of every write answered 201."""
        return {
            json.loads(a["body"])["id"]: a["name"] for a in self.answers if a.get("status") == 201
        }


@contextlib.contextmanager
def _writing(node: Node) -> Iterator[Writes]:
    writes = Writes(node)
    thread = threading.Thread(target=writes.run, daemon=True)
    thread.start()
    try:
        yield writes
    finally:
        writes.stop.set()
        thread.join(timeout=60)


def _sign_in(node: Node) -> None:
    account = {"email": "restart@example.org", "password": "a long passphrase for restarts"}
    call_json(node.base, "/api/v1/auth/register", body=account | {"display_name": "R"})
    node.token = call_json(node.base, "/api/v1/auth/login", body=account)["access_token"]


def _wait_for(writes: Writes, count: int, *, status: int, after: float = 0.0) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = [a for a in writes.answers if a.get("status") == status and a["at"] >= after]
        if len(seen) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} writes answered {status}: {writes.answers[-5:]}")


@pytest.mark.slow
def test_a_postgresql_restart_while_serving_loses_no_acknowledged_write(tmp_path: Path) -> None:
    with (
        restartable_postgres_server() as database,
        served_node(tmp_path / "data", database.url) as node,
    ):
        _sign_in(node)
        with _writing(node) as writes:
            _wait_for(writes, 20, status=201)
            down_at = time.monotonic()
            database.restart(down_s=1.0)
            up_at = time.monotonic()
            _wait_for(writes, 20, status=201, after=up_at)
        assert node.process.poll() is None, "the server stopped"
        acknowledged = writes.acknowledged()
        stored = {
            route_id: call_json(node.base, f"/api/v1/routes/{route_id}", token=node.token)["name"]
            for route_id in acknowledged
        }
        ready = call_json(node.base, "/readyz")["status"]
    answers = writes.answers
    refused = [a for a in answers if a.get("status") != 201]
    assert all(a.get("status") == 503 and a["retry_after"] for a in refused), refused[:5]
    assert any(down_at <= a["at"] <= up_at for a in refused), "no write met the outage"
    assert stored == acknowledged
    assert ready == "ok"


# ---- the import worker killed again and again -----------------------------------------------

RIDES = 240
KILL_AFTER_ITEMS = (10, 50, 100, 150)


def _database_is_intact(database_url: str, data_dir: Path) -> None:
    """SQLite's own checks of the file the killed server left; PostgreSQL's of its indexes."""
    if database_url.startswith("sqlite"):
        file = sqlite3.connect(data_dir / "bikenode.sqlite3")
        try:
            assert file.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert file.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            file.close()
        return
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
            indexes = connection.execute(
                text(
                    "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE a.amname = 'btree' AND n.nspname = 'public'"
                )
            ).scalars()
            for oid in indexes:
                connection.execute(text("SELECT bt_index_check(:oid, true)"), {"oid": oid})
    finally:
        engine.dispose()


@pytest.mark.slow
def test_an_import_killed_four_times_is_intact_after_each_kill_and_imports_every_file_once(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    data_dir = tmp_path / "data"
    env, port = serve_env(data_dir, database_url), free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(port, env)
    try:
        wait_ready(base)
        account = {"email": "kills@example.org", "password": "survives many sigkills"}
        call_json(base, "/api/v1/auth/register", body=account | {"display_name": "K"})
        token = call_json(base, "/api/v1/auth/login", body=account)["access_token"]
        body, content_type = zip_multipart("archive.zip", synthetic_archive(RIDES, points=1500))
        upload_id = call_json(
            base, "/api/v1/uploads", token=token, data=body, content_type=content_type
        )["uploads"][0]["id"]
        for at_least in KILL_AFTER_ITEMS:
            seen = wait_for_items(base, upload_id, token, at_least=at_least)
            assert seen < RIDES, "the import finished before this kill; make it larger"
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            _database_is_intact(database_url, data_dir)
            server = serve(port, env)
            wait_ready(base)
        final = wait_for_upload_status(base, upload_id, token, "done", timeout_s=300)
        stored_rides = count_rides(base, token)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    _database_is_intact(database_url, data_dir)
    entries = [item["entry"] for item in final["items"]]
    assert len(entries) == len(set(entries)) == RIDES
    assert final["counts"] == {"imported": RIDES}
    assert stored_rides == RIDES
