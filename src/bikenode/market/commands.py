"""`bikenode market`: check the ledger, run due timers, print the job state machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

market_app = typer.Typer(help="The repair market: ledger checks and timers.", no_args_is_help=True)
DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]


@market_app.command("ledger-verify")
def ledger_verify(data_dir: DataDir = None) -> None:
    """Replay every transfer and compare with the stored balances; exit 1 on any violation."""
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.market import ledger

    engine = create_db_engine(command_settings(data_dir, existing=True).effective_database_url)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            found = ledger.verify(session)
    finally:
        engine.dispose()
    for violation in found:
        typer.echo(f"violation: {violation}", err=True)
    if found:
        raise typer.Exit(1)
    typer.echo("ledger ok: every currency sums to zero, balances match their transfers")


@market_app.command("timers")
def run_timers(data_dir: DataDir = None) -> None:
    """Run every job's due time-based transitions now (expiry, lapsed quotes, auto-invoice)
    and delete idempotency keys past their 24 h."""
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.market import idempotency, service

    engine = create_db_engine(command_settings(data_dir, existing=True).effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            count = service.run_due_timers(session)
            keys = idempotency.purge_expired(session)
    finally:
        engine.dispose()
    typer.echo(f"{count} jobs had timers due; {keys} expired idempotency keys deleted")


@market_app.command("diagram")
def diagram() -> None:
    """Print the job state machine as a Mermaid diagram (docs/market.md holds the same)."""
    from bikenode.market.logic.states import mermaid_diagram

    typer.echo(mermaid_diagram(), nl=False)
