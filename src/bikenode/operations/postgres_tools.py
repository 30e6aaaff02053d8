"""pg_dump and pg_restore: where they are and how to hand them a database URL safely."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from sqlalchemy import make_url


class ToolMissing(RuntimeError):
    """A PostgreSQL client program is not installed."""


def client_program(name: str) -> Path:
    """The newest installed `name` (Debian keeps them per version under /usr/lib/postgresql)."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} is not installed: install PostgreSQL's client programs")
    return Path(found)


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection string for a SQLAlchemy URL, and the environment carrying its
    password (so it never appears in a process list)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env
