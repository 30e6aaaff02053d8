"""`bikenode audit ...`: check the audit log from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

audit_app = typer.Typer(help="The security audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(help="A head hash noted earlier: also detects removal of the newest entries."),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")] = None,
) -> None:
    """Check every entry of the hash chain; exit 1 and name each entry edited, removed or moved."""
    from sqlalchemy import inspect

    from bikenode.audit.service import verify_log
    from bikenode.db.engine import create_db_engine, make_session_factory

    engine = create_db_engine(command_settings(data_dir, existing=True).effective_database_url)
    if not inspect(engine).has_table("audit_events"):
        typer.echo("error: this database has no audit log yet: run `bikenode db upgrade`", err=True)
        raise typer.Exit(2)
    with make_session_factory(engine)() as session:
        count, head, findings = verify_log(session, expected_head=expect_head)
    for finding in findings:
        typer.echo(f"entry {finding.seq}: {finding.problem}: {finding.detail}")
    if findings:
        typer.echo(f"audit log: {len(findings)} problem(s) in {count} entries", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {count} entries, head {head}")
