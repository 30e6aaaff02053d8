"""`bikenode import`: bring files, folders and archives in from the command line."""

from __future__ import annotations

import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from bikenode.command_line import command_settings
from bikenode.config import Settings
from bikenode.rides.imports import EntryResult

ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz", ".gz", ".zip")


def find_activity_files(paths: list[Path]) -> list[Path]:
    """The files to import: given files as they are, folders searched recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.name.lower().endswith(ACTIVITY_SUFFIXES)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise typer.BadParameter(f"expected a file or folder, got {path} (it does not exist)")
    return found


def estimated_entries(path: Path) -> int:
    """How many activity files a path holds, for the progress bar (1 unless a zip)."""
    if not zipfile.is_zipfile(path):
        return 1
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(ACTIVITY_SUFFIXES)]
    except (zipfile.BadZipFile, OSError):
        return 1
    return max(1, len(names))


def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or zip archives.")],
    user: Annotated[
        str, typer.Option("--user", metavar="EMAIL", help="E-mail of the rider who owns the rides.")
    ],
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")] = None,
) -> None:
    """Import activity files (FIT, GPX, TCX, .gz, zip, Strava or Garmin exports)."""
    from bikenode.accounts import find_user_id_by_email
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.db.migrate import upgrade_to_head
    from bikenode.encryption import install_key_ring, key_ring_from_settings

    console = Console(stderr=True)
    settings = command_settings(data_dir, existing=True)
    install_key_ring(key_ring_from_settings(settings))  # heart rate is stored encrypted
    engine = create_db_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        owner_id = find_user_id_by_email(session, user)
    if owner_id is None:
        console.print(
            f"error: no user with e-mail {user!r}; create one with `bikenode user create`"
        )
        raise typer.Exit(2)
    files = find_activity_files(paths)
    results: list[tuple[str, EntryResult]] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("importing", total=sum(estimated_entries(f) for f in files))
        for file in files:
            progress.update(task, description=file.name)

            def on_entry(entry: str, result: EntryResult, prefix: str = str(file)) -> None:
                results.append(
                    (f"{prefix}:{entry}" if entry != Path(prefix).name else prefix, result)
                )
                progress.advance(task)

            _import_file(sessions, file, owner_id, settings, on_entry)
    _print_summary(console, results)
    engine.dispose()
    if any(result.status == "failed" for _, result in results):
        raise typer.Exit(1)


def _import_file(
    sessions: sessionmaker[Session],
    file: Path,
    owner_id: uuid.UUID,
    settings: Settings,
    on_entry: Callable[[str, EntryResult], None],
) -> None:
    """Store one file as an upload whose queue job this process holds, then import it.

    A server running on the same data leaves the job alone: its lease is ours until the
    import ends (or this process dies and the lease runs out; then the server finishes it).
    """
    from bikenode.db.base import utcnow
    from bikenode.db.queue import JobLease, LeaseLost, finish, job_error, new_worker_name
    from bikenode.rides.repo import get_upload
    from bikenode.rides.tasks import process_upload
    from bikenode.rides.uploads import store_upload_to_run

    worker, span = new_worker_name(), timedelta(seconds=settings.job_lease_s)
    with sessions() as session, file.open("rb") as source:
        upload, job_id = store_upload_to_run(
            session,
            owner_id=owner_id,
            filename=file.name,
            source=source,
            max_bytes=settings.max_upload_bytes,
            worker=worker,
            lease=span,
        )
    if job_id is None:  # refused as it was stored (an empty file)
        on_entry(file.name, EntryResult("failed", upload.error))
        return
    error = None
    try:
        process_upload(
            sessions,
            upload.id,
            lease=JobLease(sessions, job_id, worker=worker, lease=span),
            on_entry=on_entry,
        )
    except LeaseLost:
        return  # this process stalled past its lease; the worker that took over finishes
    except Exception as exc:
        error = job_error(exc)
        on_entry(file.name, EntryResult("failed", error))
    with sessions() as session:
        finish(session, job_id, worker=worker, error=error, now=utcnow())
        failed = get_upload(session, upload.id)
        if error is None and failed is not None and failed.status == "failed":
            on_entry(file.name, EntryResult("failed", failed.error))  # the archive as a whole


def _print_summary(console: Console, results: list[tuple[str, EntryResult]]) -> None:
    counts = Counter(result.status for _, result in results)
    table = Table(title="Import summary")
    for column in ("imported", "duplicate", "failed"):
        table.add_column(column, justify="right")
    table.add_row(*(str(counts.get(c, 0)) for c in ("imported", "duplicate", "failed")))
    console.print(table)
    failed = [
        (name, getattr(result, "reason", ""))
        for name, result in results
        if getattr(result, "status", "") == "failed"
    ]
    # One line per file, never a table: a table cuts long names to fit the terminal.
    if failed:
        console.print("Failed files:")
    for name, reason in failed:
        console.print(f"  {name}", soft_wrap=True, markup=False, highlight=False)
        console.print(f"    {reason or 'unknown'}", soft_wrap=True, markup=False, highlight=False)
