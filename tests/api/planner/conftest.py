"""A real server (uvicorn) and a Node.js process of y-websocket clients, for interop tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bikenode.db.base import Base
from bikenode.db.engine import create_db_engine
from bikenode.db.migrate import upgrade_to_head
from tests.planner_tools import NodeWorker, Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """`python -m bikenode serve` on a free port (the suite's database when it is PostgreSQL)."""
    if not database_url.startswith("sqlite"):
        engine = create_db_engine(database_url)
        upgrade_to_head(engine)
        engine.dispose()
    process = Server(tmp_path_factory.mktemp("planner-server"), database_url)
    process.start()
    yield process
    process.stop()
    if not database_url.startswith("sqlite"):
        import bikenode.models  # noqa: F401  (registers every table)

        engine = create_db_engine(database_url)
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(text(f'DELETE FROM "{table.name}"'))
        engine.dispose()


@pytest.fixture(scope="module")
def node_clients() -> Iterator[NodeWorker]:
    """Real npm yjs + y-websocket clients in one Node.js process (tests/node/clients.mjs)."""
    worker = NodeWorker("clients.mjs")
    yield worker
    worker.close()
