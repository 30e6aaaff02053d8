"""`bikenode import` on the data of a running server: every file is imported once, by one
worker, and no stored error carries SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.base import utcnow
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.queue import Job, JobLease, LeaseLost, claim, enqueue, finish
from tests.load_tools import served_node
from tests.synthetic import synthetic_gpx

EMAIL = "beside@example.org"
FILES = 16


def _bikenode(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bikenode", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr + done.stdout


def _rows(db: Engine, query: str) -> list[tuple[str | None, ...]]:
    with db.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


@pytest.mark.slow
def test_import_beside_a_running_server_processes_each_file_once(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    data_dir = tmp_path / "data"
    files = []
    for n in range(FILES):
        path = tmp_path / f"ride{n:02}.gpx"
        start = datetime(2024, 5, 1, 7, tzinfo=UTC) + timedelta(days=n)
        path.write_bytes(synthetic_gpx(start, points=400, seed=n))
        files.append(str(path))
    with served_node(data_dir, database_url, job_lease_s="5") as node:
        env = {
            **os.environ,
            "BIKENODE_DATA_DIR": str(data_dir),
            "BIKENODE_ARGON2_MEMORY_KIB": "19456",
        }
        if not database_url.startswith("sqlite"):
            env["BIKENODE_DATABASE_URL"] = database_url
        _bikenode(env, "user", "create", EMAIL, "--password-stdin", stdin="beside a server, fine\n")
        output = _bikenode(env, "import", "--user", EMAIL, *files)
        assert node.process.poll() is None
    db = (
        create_db_engine(f"sqlite:///{data_dir / 'bikenode.sqlite3'}")
        if database_url.startswith("sqlite")
        else engine
    )
    try:
        items = _rows(db, "SELECT entry, status, reason FROM rides_upload_items")
        uploads = _rows(db, "SELECT status, error FROM rides_uploads")
        jobs = _rows(db, "SELECT status, last_error FROM jobs WHERE kind = 'rides.process_upload'")
    finally:
        if db is not engine:
            db.dispose()
    assert [status for _, status, _ in items] == ["imported"] * FILES, items
    assert sorted(str(entry) for entry, _, _ in items) == sorted(Path(f).name for f in files)
    assert uploads == [("done", None)] * FILES
    assert jobs == [("done", None)] * FILES
    assert "UNIQUE" not in output and "IntegrityError" not in output


def test_a_worker_that_lost_its_lease_records_and_finishes_nothing(engine: Engine) -> None:
    sessions: sessionmaker[Session] = make_session_factory(engine)
    with sessions() as session:
        enqueue(session, "test.job", {})
        session.commit()
    lease = timedelta(seconds=30)
    with sessions() as session:
        taken = claim(session, worker="slow", lease=lease, now=utcnow())
        assert taken is not None
        job_id = taken.id
    # The slow worker stalls past its lease; another worker takes the job over.
    with sessions() as session:
        assert claim(session, worker="quick", lease=lease, now=utcnow() + 2 * lease) is not None
    slow = JobLease(sessions, job_id, worker="slow", lease=lease)
    with sessions() as session, pytest.raises(LeaseLost):
        slow.hold(session)
    with sessions() as session:
        finish(session, job_id, worker="slow", error=None, now=utcnow())
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.status, job.worker) == ("running", "quick")
        finish(session, job_id, worker="quick", error=None, now=utcnow())
        done = session.get(Job, job_id, populate_existing=True)
        assert done is not None and done.status == "done"
