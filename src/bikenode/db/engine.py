"""Engine and session factories: read units of work apart from write units of work.

SQLite in WAL mode lets any number of readers run beside one writer, so only a unit of work
that writes takes the write lock (BEGIN IMMEDIATE); a read-only one opens a deferred
transaction and is refused any write (PRAGMA query_only), so a GET that writes fails in the
tests instead of queueing behind every writer in production. PostgreSQL gets the same rule
through READ ONLY transactions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

# The execution option that marks a read-only unit of work (see make_session_factory).
READ_ONLY_OPTION = "bikenode_read_only"

# WAL lets readers run beside the one writer; busy_timeout makes writers queue instead of
# failing; NORMAL sync is safe with WAL (a power cut may lose the last commit, never corrupt).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
)


def create_db_engine(
    url: str, *, pool_size: int = 48, pool_timeout_s: float = 10.0, lock_timeout_s: float = 10.0
) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, creating the SQLite file's folder.

    pool_size should cover every request a process handles at once plus a headroom
    (settings.effective_db_pool_size): a request that waits for a connection holds a handler
    thread another request may need to give its connection back. A request that still finds
    no connection after pool_timeout_s fails with sqlalchemy's TimeoutError (answered 503).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, pool_size, pool_timeout_s, lock_timeout_s)
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=8, pool_timeout=pool_timeout_s
    )


def create_probe_engine(url: str) -> Engine:
    """An engine without a pool for health probes: they never wait behind busy requests."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return create_engine(parsed, poolclass=NullPool, connect_args={"timeout": 2})
    return create_engine(parsed, poolclass=NullPool, connect_args={"connect_timeout": 2})


def _sqlite_engine(
    url: str, database: str | None, pool_size: int, pool_timeout_s: float, lock_timeout_s: float
) -> Engine:
    in_memory = not database or database == ":memory:"
    if not in_memory:
        Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = {}
    if not in_memory:
        pool = {"pool_size": pool_size, "max_overflow": 8, "pool_timeout": pool_timeout_s}
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": lock_timeout_s}, **pool
    )
    busy_ms = int(lock_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN badly; take control of it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout={busy_ms}"):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A writer takes the lock up front (IMMEDIATE): a deferred transaction that reads and
        # then writes fails at once ("database is locked") if another connection wrote
        # meanwhile, and busy_timeout cannot help it. Readers never take it.
        read_only = bool(conn.get_execution_options().get(READ_ONLY_OPTION))
        info = conn.connection.info
        if info.get("query_only") != read_only:
            conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            info["query_only"] = read_only
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit.

    read_only: for units of work that only read (GET requests, probes, exports). They never
    wait for the write lock, and any write in them fails.
    """
    bind = engine
    if read_only:
        options: dict[str, Any] = {READ_ONLY_OPTION: True}
        if engine.dialect.name == "postgresql":
            options["postgresql_readonly"] = True
        bind = engine.execution_options(**options)
    return sessionmaker(bind=bind, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Turn the session's next unit of work into one that writes (an audited read, say).

    A read-only request session is refused writes; a GET that must record something (an audit
    entry) ends its read here and writes in a short transaction of its own. No-op in a session
    whose transaction already writes.
    """
    _begin_unit(session, read_only=False)


def begin_read(session: Session) -> None:
    """Turn the session's next unit of work into a read-only one (a job's long read, say).

    In a writing session this ends the current transaction first, so a job can read and
    compute without holding the write lock, then call begin_write to store the result.
    """
    _begin_unit(session, read_only=True)


def _begin_unit(session: Session, *, read_only: bool) -> None:
    if session.in_transaction():
        current = session.connection().get_execution_options().get(READ_ONLY_OPTION, False)
        if bool(current) == read_only:
            return
        session.commit()
    options: dict[str, Any] = {READ_ONLY_OPTION: read_only}
    if session.get_bind().dialect.name == "postgresql":
        options["postgresql_readonly"] = read_only
    session.connection(execution_options=options)
