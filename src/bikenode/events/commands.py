"""`bikenode events ...`: the outbox's subscribers, their dead letters, retries and replays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bikenode.config import load_settings

events_app = typer.Typer(
    help="Domain events: subscribers' progress, dead letters, retry and replay.",
    no_args_is_help=True,
)
DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]


@contextmanager
def _session(data_dir: Path | None) -> Iterator[Session]:
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.db.migrate import upgrade_to_head

    engine = create_db_engine(load_settings(data_dir=data_dir).effective_database_url)
    upgrade_to_head(engine)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@events_app.command("status")
def status(data_dir: DataDir = None) -> None:
    """Each subscriber's position, events pending and held back, and every dead letter."""
    from bikenode.events import dead_letters, events_status

    with _session(data_dir) as session:
        rows, dead = events_status(session), dead_letters(session)
    typer.echo(
        f"{'subscriber':<32} {'position':>10} {'pending':>8} {'retrying':>8} "
        f"{'blocked':>8} {'dead':>6}  oldest pending"
    )
    for row in rows:
        oldest = row.oldest_pending_at.isoformat() if row.oldest_pending_at else "-"
        typer.echo(
            f"{row.name:<32} {row.after_id:>10} {row.pending:>8} {row.retrying:>8} "
            f"{row.blocked:>8} {row.dead:>6}  {oldest}"
        )
    for letter in dead:
        typer.echo(
            f"dead: event {letter.event_id} ({letter.type}, aggregate {letter.aggregate_id}) "
            f"for {letter.subscriber} after {letter.attempts} attempts: {letter.last_error}"
        )


@events_app.command("retry")
def retry(
    event_id: Annotated[int, typer.Argument(help="The dead letter's event id.")],
    subscriber: Annotated[
        str | None, typer.Option(help="Only this subscriber's dead letter.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Deliver a dead letter again (with fresh attempts) at the dispatcher's next round."""
    from bikenode.errors import NotFound
    from bikenode.events import retry_dead

    with _session(data_dir) as session:
        try:
            count = retry_dead(session, event_id=event_id, subscriber=subscriber)
        except NotFound as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"event {event_id}: {count} dead letter(s) due again")


@events_app.command("replay")
def replay_command(
    subscriber: Annotated[str, typer.Argument(help="The subscriber's name.")],
    from_id: Annotated[int, typer.Option(help="First event to deliver again (0: all).")] = 0,
    data_dir: DataDir = None,
) -> None:
    """Deliver the log again to one subscriber from an event on (a back-fill)."""
    from bikenode.errors import NotFound
    from bikenode.events import replay

    with _session(data_dir) as session:
        try:
            replay(session, subscriber=subscriber, from_id=from_id)
        except NotFound as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"{subscriber}: replaying from event {from_id}")
