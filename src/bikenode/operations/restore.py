"""`bikenode restore`: a backup back into an empty data folder or database, proven equal.

Nothing is written before the backup's files match its manifest and the keys its data needs
are at hand. The database is restored under a temporary name (SQLite) or in one transaction
(PostgreSQL), then every table is read back and compared with the digests taken at backup
time; a difference undoes the restore. Only then is the schema brought up to this version.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404: runs pg_restore, a fixed program with a list of arguments
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from bikenode.config import SECRET_FILE_NAME, Settings
from bikenode.db.engine import create_db_engine
from bikenode.db.migrate import upgrade_to_head
from bikenode.encryption import (
    KeyRing,
    install_key_ring,
    key_file_path,
    key_ring_from_settings,
    parse_data_keys,
)
from bikenode.operations.backup import (
    PG_DUMP,
    SEALED_KEYS,
    SQLITE_COPY,
    BackupInvalid,
    Progress,
    verify_backup,
)
from bikenode.operations.postgres_tools import client_program, libpq_target
from bikenode.operations.sealed_keys import NodeKeys, unseal
from bikenode.operations.snapshot import table_digests


class RestoreRefused(ValueError):
    """The restore cannot go ahead; nothing was changed. The message says why."""


@dataclass(frozen=True)
class RestoreSummary:
    database: str
    rows: int
    tables: int
    backup_revision: str | None
    keys_restored: bool


def restore_backup(
    folder: Path,
    settings: Settings,
    *,
    passphrase: str | None = None,
    progress: Progress = lambda _: None,
) -> RestoreSummary:
    progress(f"checking {folder} against its manifest")
    try:
        manifest = verify_backup(folder)
    except BackupInvalid as error:
        raise RestoreRefused(str(error)) from error
    url = settings.effective_database_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if kind != manifest["database"]:
        raise RestoreRefused(
            f"this is a {manifest['database']} backup and the target is {kind}: restore it to "
            "the same kind of database"
        )
    keys = _keys_for(folder, manifest, settings, passphrase)
    _refuse_non_empty_target(settings)
    if keys is not None:
        _write_keys(settings, keys)
    install_key_ring(key_ring_from_settings(settings))
    if kind == "sqlite":
        _restore_sqlite(folder / SQLITE_COPY, url, manifest["tables"], progress)
    else:
        _restore_postgres(folder / PG_DUMP, url, manifest["tables"], progress)
    progress("bringing the schema up to this version")
    engine = create_db_engine(url)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    return RestoreSummary(
        database=kind,
        rows=sum(table["rows"] for table in manifest["tables"].values()),
        tables=len(manifest["tables"]),
        backup_revision=manifest["revision"],
        keys_restored=keys is not None,
    )


def _keys_for(
    folder: Path, manifest: dict[str, Any], settings: Settings, passphrase: str | None
) -> NodeKeys | None:
    """The sealed keys if the backup has them (the passphrase must open them), else None
    once the target's own key ring is checked to hold every key id the data needs."""
    needed = set(manifest.get("key_ids", []))
    if manifest.get("keys_included"):
        if passphrase is None:
            raise RestoreRefused("this backup's keys are sealed: give its passphrase")
        keys = unseal((folder / SEALED_KEYS).read_bytes(), passphrase)
        ring = KeyRing(parse_data_keys(keys.data_keys))
    else:
        keys = None
        if not settings.data_keys and not key_file_path(settings).is_file():
            raise RestoreRefused(
                f"this backup holds no keys and the target has none: put the node's "
                f"{key_file_path(settings).name} in {settings.data_dir} or set "
                "BIKENODE_DATA_KEYS, then restore again"
            )
        ring = key_ring_from_settings(settings)
    missing = sorted(needed - set(ring.key_ids))
    if missing:
        raise RestoreRefused(
            f"the data is sealed under key ids {', '.join(missing)}, which the key ring does "
            "not hold: restore with the keys the backup was taken with"
        )
    return keys


def _refuse_non_empty_target(settings: Settings) -> None:
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        present = [p for p in (database, Path(f"{database}-wal")) if p.exists()]
        if present:
            raise RestoreRefused(
                f"{present[0]} exists: restore into a new, empty data folder (nothing "
                "is ever restored over live data)"
            )
        return
    engine = create_db_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise RestoreRefused(
            f"the target database already has {len(tables)} tables: restore into an empty one"
        )


def _write_keys(settings: Settings, keys: NodeKeys) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    targets = [(key_file_path(settings), keys.data_keys)]
    if keys.secret_key and not settings.secret_key:
        targets.append((settings.data_dir / SECRET_FILE_NAME, keys.secret_key))
    for path, content in targets:
        if path.exists() and path.read_text().strip() != content.strip():
            raise RestoreRefused(f"{path} exists with other keys: move it away first")
    for path, content in targets:
        draft = path.with_name(f".{path.name}.restoring")
        draft.touch(mode=0o600)
        draft.write_text(content)
        os.replace(draft, path)


def _restore_sqlite(copy: Path, url: str, expected: dict[str, Any], progress: Progress) -> None:
    database = Path(url.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    draft = database.with_name(f".{database.name}.restoring")
    progress(f"copying the database to {database}")
    shutil.copyfile(copy, draft)
    try:
        engine = create_engine(f"sqlite:///{draft}")
        try:
            with engine.connect() as connection:
                progress("comparing every table with the backup's digests")
                _compare(table_digests(connection), expected)
        finally:
            engine.dispose()
        os.replace(draft, database)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise


def _restore_postgres(dump: Path, url: str, expected: dict[str, Any], progress: Progress) -> None:
    progress("restoring with pg_restore in one transaction")
    target_url, env = libpq_target(url)
    command = [str(client_program("pg_restore")), "--no-owner", "--no-privileges"]
    command += ["--exit-on-error", "--single-transaction", "--dbname", target_url, str(dump)]
    completed = subprocess.run(  # noqa: S603  # nosec B603: fixed program, argument list
        command, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RestoreRefused(f"pg_restore failed: {completed.stderr.strip()[-2000:]}")
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            progress("comparing every table with the backup's digests")
            try:
                _compare(table_digests(connection), expected)
            except RestoreRefused:
                connection.rollback()
                _empty_database(connection)
                raise
    finally:
        engine.dispose()


def _empty_database(connection: Any) -> None:
    """Undo a restore that did not verify: the target was empty before it."""
    with connection.begin():
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def _compare(found: dict[str, Any], expected: dict[str, Any]) -> None:
    different = sorted(name for name in expected if found.get(name) != expected[name])
    if different:
        raise RestoreRefused(
            "the restored data differs from what was backed up in "
            f"{', '.join(different[:5])}; the restore was undone"
        )
