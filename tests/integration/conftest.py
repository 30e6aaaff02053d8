"""Fixtures for integration tests that need a database of their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from bikenode.db.engine import create_db_engine


@pytest.fixture
def empty_database(database_url: str) -> Iterator[Engine]:
    """A database of its own (not the suite's, which is already migrated)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = f"{url.database}.migration-{uuid.uuid4().hex}"
        engine = create_db_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        os.unlink(path)
        return
    name = f"migration_{uuid.uuid4().hex}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(url.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()
