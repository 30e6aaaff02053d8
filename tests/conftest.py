"""Shared fixtures: the database under test (SQLite or a real PostgreSQL), the app, a client.

The backend comes from BIKENODE_TEST_DB: "sqlite" (default) or "postgresql" (a real server
is started on loopback for the session), or BIKENODE_TEST_DATABASE_URL for one you run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.base import Base
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from tests.corpus import CORPUS, MISSING, in_ci
from tests.servers import postgres_server

# Fast hashing in tests (the production minimum is enforced in Settings for real runs).
TEST_ARGON2_MEMORY_KIB = 19 * 1024


def backend() -> str:
    return os.environ.get("BIKENODE_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    explicit = os.environ.get("BIKENODE_TEST_DATABASE_URL")
    if explicit:
        yield explicit
    elif backend() == "postgresql":
        with postgres_server() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'bikenode.sqlite3'}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """The migrated test database, emptied after each test."""
    yield migrated_engine
    _empty_all_tables(migrated_engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as db_session:
        yield db_session


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256-0123456789",
        argon2_memory_kib=TEST_ARGON2_MEMORY_KIB,
        log_json=True,
        run_worker=False,  # tests run queued jobs explicitly with worker.run_until_idle()
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    # The app's own pool, also when no lifespan ran: a PostgreSQL connection left for the
    # garbage collector warns in whichever later test happens to collect it.
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(MISSING)
    return CORPUS


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI a missing corpus stops the run: its tests must never skip there unnoticed."""
    if in_ci() and not CORPUS.is_dir():
        pytest.exit(f"error: {MISSING} (CI=true: corpus tests may not be skipped)", returncode=4)


@pytest.fixture(autouse=True, scope="session")
def data_key_ring() -> Iterator[None]:
    """A key ring for code that seals health data outside an app (create_app installs its own)."""
    import base64

    from bikenode.encryption import KeyRing, install_key_ring

    install_key_ring(KeyRing([("test-key", base64.b64decode(base64.b64encode(bytes(range(32)))))]))
    yield
