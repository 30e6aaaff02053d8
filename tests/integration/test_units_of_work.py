"""Read and write units of work: readers never take the write lock, and never write."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.engine import begin_read, begin_write, make_session_factory
from bikenode.db.queue import Job, Worker
from tests.conftest import backend
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

_START = datetime(2022, 5, 1, 8, tzinfo=UTC)


def _count_jobs(session: Session) -> int:
    return len(session.scalars(select(Job.id)).all())


def test_a_read_only_session_refuses_any_write(engine: Engine) -> None:
    with make_session_factory(engine, read_only=True)() as session:
        with pytest.raises(DBAPIError) as refused:
            session.execute(insert(Job).values(kind="k", payload={}))
        message = str(refused.value).lower()
        assert "readonly" in message or "read-only" in message, message
        session.rollback()
        assert _count_jobs(session) == 0


def test_begin_write_and_begin_read_switch_the_next_unit_of_work(engine: Engine) -> None:
    with make_session_factory(engine, read_only=True)() as session:
        assert _count_jobs(session) == 0  # a read transaction is open
        begin_write(session)
        session.execute(insert(Job).values(kind="audited", payload={}))
        session.commit()
        begin_read(session)
        with pytest.raises(DBAPIError):
            session.execute(insert(Job).values(kind="refused", payload={}))
        session.rollback()
        assert [job.kind for job in session.scalars(select(Job))] == ["audited"]


def test_readers_do_not_wait_for_a_writer_holding_the_lock(engine: Engine) -> None:
    writer = make_session_factory(engine)()
    writer.execute(insert(Job).values(kind="uncommitted", payload={}))  # holds the write lock
    try:
        started = time.perf_counter()
        with make_session_factory(engine, read_only=True)() as reader:
            assert _count_jobs(reader) == 0  # the uncommitted row is not seen
        assert time.perf_counter() - started < 1.0
    finally:
        writer.rollback()
        writer.close()


@pytest.fixture
def lock_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_lock_timeout_s": 0.3})


@pytest.fixture
def lock_client(lock_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(lock_settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.mark.skipif(backend() != "sqlite", reason="the database-wide write lock is SQLite's")
def test_a_write_that_cannot_get_the_lock_answers_503_and_reads_go_on(
    lock_client: TestClient, database_url: str
) -> None:
    _, headers = signed_in(lock_client)
    upload_files(lock_client, headers, [("ride.gpx", synthetic_gpx(_START, seed=3))])
    ride = lock_client.get("/api/v1/rides", headers=headers).json()["items"][0]
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        refused = lock_client.patch(
            f"/api/v1/rides/{ride['id']}", json={"name": "never stored"}, headers=headers
        )
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"].isdigit()
        assert "nothing was changed" in refused.json()["detail"]
        assert "sql" not in refused.text.lower()
        read = lock_client.get(f"/api/v1/rides/{ride['id']}", headers=headers)
        assert read.status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (
        lock_client.get(f"/api/v1/rides/{ride['id']}", headers=headers).json()["name"]
        == (ride["name"])
    )


def test_a_get_that_reads_from_many_threads_never_waits_for_the_write_lock(
    client: TestClient, engine: Engine
) -> None:
    _, headers = signed_in(client)
    writer = make_session_factory(engine)()
    writer.execute(text("UPDATE jobs SET status = status"))  # takes the lock (SQLite)
    statuses: list[int] = []
    try:

        def read() -> None:
            statuses.append(client.get("/api/v1/rides", headers=headers).status_code)

        threads = [threading.Thread(target=read) for _ in range(8)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        writer.rollback()
        writer.close()
    assert statuses == [200] * 8
    assert elapsed < 5.0, f"reads waited {elapsed:.1f} s behind a writer"


def test_an_idle_workers_poll_does_not_wait_for_a_writer_holding_the_lock(engine: Engine) -> None:
    writer = make_session_factory(engine)()
    writer.execute(insert(Job).values(kind="uncommitted", payload={}))  # holds the write lock
    try:
        started = time.perf_counter()
        assert Worker(make_session_factory(engine), {}).run_until_idle() == 0
        assert time.perf_counter() - started < 1.0
    finally:
        writer.rollback()
        writer.close()
