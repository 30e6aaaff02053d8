"""`bikenode backup`, `bikenode restore`, `bikenode check`: an operator's safety net."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]
PASSPHRASE_ENV = "BIKENODE_BACKUP_PASSPHRASE"  # noqa: S105 (a variable name)


def _say(message: str) -> None:
    typer.echo(f"  {message}", err=True)


def _passphrase(*, confirm: bool) -> str:
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    return str(typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm))


def backup(
    destination: Annotated[Path, typer.Argument(help="A new folder to write the backup to.")],
    data_dir: DataDir = None,
    with_keys: Annotated[
        bool,
        typer.Option(
            "--with-keys",
            help=f"Include the key ring and token secret, sealed with a passphrase "
            f"(asked for, or from {PASSPHRASE_ENV}). Without it, keep data.keys safe apart.",
        ),
    ] = False,
) -> None:
    """Back up the node's data while it serves: database, and the keys if asked."""
    from bikenode.operations.backup import BackupInvalid, create_backup

    settings = command_settings(data_dir, existing=True)
    passphrase = _passphrase(confirm=True) if with_keys else None
    try:
        summary = create_backup(settings, destination, passphrase=passphrase, progress=_say)
    except (BackupInvalid, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"backed up {summary.rows} rows ({summary.size_bytes / 1e6:.1f} MB, {summary.database}, "
        f"schema {summary.revision}) to {summary.path}"
    )
    if not summary.keys_included and summary.key_ids:
        typer.echo(
            f"the backup holds no keys: the data needs key ids {', '.join(summary.key_ids)}; "
            "keep the node's data.keys (or BIKENODE_DATA_KEYS) safe, apart from the backup",
            err=True,
        )


def restore(
    source: Annotated[Path, typer.Argument(help="A folder written by `bikenode backup`.")],
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into an empty data folder (or empty PostgreSQL database)."""
    from bikenode.operations.backup import SEALED_KEYS
    from bikenode.operations.restore import RestoreRefused, restore_backup
    from bikenode.operations.sealed_keys import WrongPassphrase

    settings = command_settings(data_dir, existing=False)
    passphrase = _passphrase(confirm=False) if (source / SEALED_KEYS).is_file() else None
    try:
        summary = restore_backup(source, settings, passphrase=passphrase, progress=_say)
    except (RestoreRefused, WrongPassphrase) as error:
        typer.echo(f"error: {error}; nothing was restored", err=True)
        raise typer.Exit(1) from error
    keys = "with its keys" if summary.keys_restored else "using the key ring already in place"
    typer.echo(
        f"restored {summary.rows} rows in {summary.tables} tables ({summary.database}), "
        f"verified against the backup, {keys}"
    )


def check(data_dir: DataDir = None) -> None:
    """Verify a data folder: schema, SQLite file, audit chain, keys for sealed data."""
    from bikenode.operations.check import check_data

    findings = check_data(command_settings(data_dir, existing=True))
    for finding in findings:
        typer.echo(f"{'ok  ' if finding.ok else 'FAIL'} {finding.check}: {finding.detail}")
    if not all(finding.ok for finding in findings):
        raise typer.Exit(1)


def retention(
    data_dir: DataDir = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete what the retention settings (BIKENODE_RETENTION_*) say has expired."""
    from bikenode.db.base import utcnow
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.operations.retention import apply_retention

    settings = command_settings(data_dir, existing=True)
    engine = create_db_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            lines = apply_retention(session, settings, now=utcnow(), dry_run=dry_run)
    finally:
        engine.dispose()
    verb = "would delete" if dry_run else "deleted"
    for line in lines:
        if line.days == 0:
            typer.echo(f"kept forever: {line.what}")
        else:
            typer.echo(
                f"{verb} {line.items} {line.what} older than {line.days} days "
                f"({line.size_bytes / 1e6:.1f} MB)"
            )
