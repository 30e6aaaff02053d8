"""A database's content as numbers that two copies can be compared by: rows and a digest
per table, read in primary-key order inside one snapshot.

Tables are read as the database has them (reflected), not as this version's models describe
them, so a backup taken by an older version compares with its own restore."""

from __future__ import annotations

import hashlib
import json
import math
import struct
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, select

ROWS_PER_FETCH = 1_000


def table_digests(connection: Connection) -> dict[str, dict[str, Any]]:
    """{table: {"rows": n, "sha256": hex}} of every table in the database, read in the
    connection's current transaction (the caller holds the snapshot)."""
    present = MetaData()
    present.reflect(connection)
    return {name: _digest(connection, present.tables[name]) for name in sorted(present.tables)}


def schema_revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _digest(connection: Connection, table: Table) -> dict[str, Any]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(yield_per=ROWS_PER_FETCH).execute(
        select(table).order_by(*order)
    )
    digest = hashlib.sha256()
    rows = 0
    for row in result:
        for value in row:
            digest.update(_canonical(value))
        rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def _canonical(value: Any) -> bytes:
    """One unambiguous encoding per value: a type tag, a length, the bytes."""
    if value is None:
        return b"N"
    if isinstance(value, bytes | bytearray | memoryview):
        raw, tag = bytes(value), b"b"
    elif isinstance(value, bool):
        raw, tag = (b"1" if value else b"0"), b"?"
    elif isinstance(value, float):
        raw, tag = (b"nan" if math.isnan(value) else repr(value).encode()), b"f"
    elif isinstance(value, datetime | date):
        raw, tag = value.isoformat().encode(), b"t"
    elif isinstance(value, dict | list):
        raw, tag = json.dumps(value, sort_keys=True, default=str).encode(), b"j"
    elif isinstance(value, Decimal | int):
        raw, tag = str(value).encode(), b"i"
    else:
        raw, tag = str(value).encode(), b"s"
    return tag + struct.pack(">Q", len(raw)) + raw
