"""`bikenode backup`: a consistent copy of a running node's data, with what proves it whole.

A backup is a folder:

    manifest.json      format, version, when, the database kind and schema revision, each
                       table's rows and digest as of the copy, the key ids the data needs,
                       and every other file's size and SHA-256
    database.sqlite3   SQLite: the online backup API's copy (readers and writers go on)
    database.pgdump/   PostgreSQL: pg_dump's directory format, taken in the same snapshot
                       as the digests (pg_export_snapshot)
    keys.sealed        only with a passphrase: the key ring and token secret (sealed_keys.py)

It is written under a temporary name and renamed at the end, so a folder with the final
name is always complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404: runs pg_dump, a fixed program with a list of arguments
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bikenode import __version__
from bikenode.config import SECRET_FILE_NAME, Settings
from bikenode.db.base import utcnow
from bikenode.db.engine import create_db_engine
from bikenode.encryption import key_file_path
from bikenode.governance import key_ids_in_use
from bikenode.operations.postgres_tools import client_program, libpq_target
from bikenode.operations.sealed_keys import NodeKeys, seal
from bikenode.operations.snapshot import schema_revision, table_digests

BACKUP_FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
PG_DUMP = "database.pgdump"
SEALED_KEYS = "keys.sealed"
HASH_CHUNK = 1 << 20

Progress = Callable[[str], None]


class BackupInvalid(ValueError):
    """A backup that cannot be trusted; the message says what is wrong."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    database: str
    revision: str | None
    rows: int
    size_bytes: int
    keys_included: bool
    key_ids: list[str]


def create_backup(
    settings: Settings,
    destination: Path,
    *,
    passphrase: str | None = None,
    progress: Progress = lambda _: None,
) -> BackupSummary:
    """Write a backup of the node's data to `destination` (which must not exist yet)."""
    if destination.exists():
        raise BackupInvalid(f"{destination} already exists: choose a new folder for the backup")
    keys = _node_keys(settings) if passphrase is not None else None
    partial = destination.with_name(f".{destination.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        url = settings.effective_database_url
        if url.startswith("sqlite"):
            kind = "sqlite"
            revision, tables, key_ids = _copy_sqlite(url, partial / SQLITE_COPY, progress)
        else:
            kind = "postgresql"
            revision, tables, key_ids = _dump_postgres(url, partial / PG_DUMP, progress)
        if keys is not None and passphrase is not None:
            progress("sealing the keys with the passphrase")
            (partial / SEALED_KEYS).write_bytes(seal(keys, passphrase))
        _owner_only(partial)
        progress("checksumming the files")
        manifest: dict[str, Any] = {
            "format": BACKUP_FORMAT,
            "bikenode_version": __version__,
            "created_at": utcnow().isoformat(),
            "database": kind,
            "revision": revision,
            "tables": tables,
            "key_ids": sorted(key_ids),
            "keys_included": keys is not None,
            "files": file_checksums(partial),
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        os.replace(partial, destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    files: dict[str, dict[str, Any]] = manifest["files"]
    return BackupSummary(
        path=destination,
        database=kind,
        revision=revision,
        rows=sum(table["rows"] for table in tables.values()),
        size_bytes=sum(f["bytes"] for f in files.values()),
        keys_included=keys is not None,
        key_ids=sorted(key_ids),
    )


def _node_keys(settings: Settings) -> NodeKeys:
    path = key_file_path(settings)
    data_keys = settings.data_keys or (path.read_text() if path.is_file() else "")
    if not data_keys.strip():
        raise BackupInvalid(f"no key ring to include: {path} is missing")
    secret = settings.data_dir / SECRET_FILE_NAME
    return NodeKeys(
        data_keys=data_keys,
        secret_key=settings.secret_key or (secret.read_text() if secret.is_file() else None),
    )


def _copy_sqlite(
    url: str, target: Path, progress: Progress
) -> tuple[str | None, dict[str, Any], set[str]]:
    source_path = url.removeprefix("sqlite:///")
    if not Path(source_path).is_file():
        raise BackupInvalid(f"no database at {source_path}")
    progress(f"copying {source_path} (SQLite online backup)")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # One step: the copy reads one snapshot while writers go on (WAL); in several steps
        # every write by another process would restart it.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()
    progress("reading every table of the copy")
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            revision = schema_revision(connection)
            tables = table_digests(connection)
            key_ids = key_ids_in_use(Session(bind=connection))
    finally:
        engine.dispose()
    return revision, tables, key_ids


def _dump_postgres(
    url: str, target: Path, progress: Progress
) -> tuple[str | None, dict[str, Any], set[str]]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                connection.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                progress("dumping with pg_dump in the backup's snapshot")
                target_url, env = libpq_target(url)
                dump = [str(client_program("pg_dump")), "--format=directory", "--no-owner"]
                dump += ["--no-privileges", f"--snapshot={snapshot}", "--file", str(target)]
                completed = subprocess.run(  # noqa: S603  # nosec B603: fixed program, argument list
                    [*dump, target_url], env=env, capture_output=True, text=True, check=False
                )
                if completed.returncode != 0:
                    raise BackupInvalid(f"pg_dump failed: {completed.stderr.strip()[-2000:]}")
                progress("reading every table in the same snapshot")
                revision = schema_revision(connection)
                tables = table_digests(connection)
                key_ids = key_ids_in_use(Session(bind=connection))
    finally:
        engine.dispose()
    return revision, tables, key_ids


def _owner_only(folder: Path) -> None:
    """The backup holds e-mail addresses and sealed health data: only its owner reads it."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


def file_checksums(folder: Path) -> dict[str, dict[str, Any]]:
    """{relative path: {"bytes": n, "sha256": hex}} of every file under folder but the manifest."""
    checksums = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == MANIFEST:
            continue
        digest = hashlib.sha256()
        with path.open("rb") as file:
            while chunk := file.read(HASH_CHUNK):
                digest.update(chunk)
        checksums[name] = {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}
    return checksums


def verify_backup(folder: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file against it; BackupInvalid if any
    file is missing, extra, of another size or content, or the manifest is not ours."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupInvalid(f"{folder} is not a BikeNode backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text())
        listed: dict[str, dict[str, Any]] = manifest["files"]
        tables: dict[str, dict[str, Any]] = manifest["tables"]
    except (ValueError, KeyError, TypeError) as error:
        raise BackupInvalid(f"the manifest cannot be read ({error})") from error
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupInvalid(f"backup format {manifest.get('format')!r} is not {BACKUP_FORMAT}")
    if manifest.get("database") not in ("sqlite", "postgresql") or not tables:
        raise BackupInvalid("the manifest names no database or no tables")
    found = file_checksums(folder)
    missing = sorted(set(listed) - set(found))
    extra = sorted(set(found) - set(listed))
    changed = sorted(name for name in set(listed) & set(found) if listed[name] != found[name])
    problems = [
        *(f"missing: {name}" for name in missing),
        *(f"not in the manifest: {name}" for name in extra),
        *(f"changed since the backup: {name}" for name in changed),
    ]
    if problems:
        shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" * (len(problems) > 5))
        raise BackupInvalid(f"the backup does not match its manifest: {shown}")
    return manifest  # type: ignore[no-any-return]
