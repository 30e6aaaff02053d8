"""`bikenode health`: enter, import and list a rider's daily values from the command line
(the same rules as the API: one value per day, metric and source; alerts recomputed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bikenode.command_line import command_settings
from bikenode.errors import DomainError

health_app = typer.Typer(
    help="A rider's daily health values: resting heart rate, HRV, weight, sleep, scores.",
    no_args_is_help=True,
)
DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]
User = Annotated[str, typer.Option("--user", help="The rider's e-mail address.")]


@contextmanager
def _rider_session(data_dir: Path | None, email: str) -> Iterator[tuple[Session, uuid.UUID]]:
    """A session on the data folder's database, with the keys health values are sealed with."""
    from bikenode.accounts import find_user_id_by_email
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.encryption import install_key_ring, key_ring_from_settings

    settings = command_settings(data_dir, existing=True)
    install_key_ring(key_ring_from_settings(settings))
    engine = create_db_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            owner_id = find_user_id_by_email(session, email)
            if owner_id is None:
                typer.echo(f"error: no user with the e-mail address {email}", err=True)
                raise typer.Exit(2)
            try:
                yield session, owner_id
            except DomainError as error:  # the rule broken, and nothing written
                session.rollback()
                typer.echo(f"error: {error.detail}", err=True)
                raise typer.Exit(1) from None
    finally:
        engine.dispose()


@health_app.command("add")
def add(
    user: User,
    metric: Annotated[
        str, typer.Argument(help="e.g. resting_hr_bpm, weight_kg, sleep_h, mood_1_5.")
    ],
    value: Annotated[float, typer.Argument(help="The value in the metric's unit.")],
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD; today if left out.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Enter one day's value (it replaces an earlier manual value of that day and metric)."""
    from bikenode.health import service

    with _rider_session(data_dir, user) as (session, owner_id):
        when = _day(day) if day else service.rider_today_of(session, owner_id=owner_id)
        entry = service.MetricEntry(when, metric, value)
        [stored] = service.record_metrics(session, owner_id=owner_id, entries=[entry])
    typer.echo(f"{stored.day}  {stored.metric}  {stored.value:g}  ({stored.source})")


@health_app.command("import")
def import_file(
    user: User,
    path: Annotated[Path, typer.Argument(help="CSV (day,metric,value[,source]) or FIT file.")],
    data_dir: DataDir = None,
) -> None:
    """Import a CSV file (all of its lines or none) or a device's FIT monitoring, weight or
    sleep file."""
    from bikenode.health import service
    from bikenode.health.logic.csv_rows import MAX_CSV_BYTES
    from bikenode.health.logic.device_files import MAX_FIT_BYTES, is_fit

    try:
        with path.open("rb") as file:
            data = file.read(max(MAX_CSV_BYTES, MAX_FIT_BYTES) + 1)
    except OSError as error:
        typer.echo(f"error: cannot read {path}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    limit = MAX_FIT_BYTES if is_fit(data) else MAX_CSV_BYTES
    if len(data) > limit:
        typer.echo(f"error: {path} is over the {limit}-byte limit; nothing imported", err=True)
        raise typer.Exit(1)
    with _rider_session(data_dir, user) as (session, owner_id):
        try:
            if is_fit(data):
                count, source = service.import_fit(session, owner_id=owner_id, data=data)
            else:
                count, source = service.import_csv(session, owner_id=owner_id, data=data), None
        except service.ImportRejected as rejected:
            session.rollback()
            for wrong in rejected.errors:
                typer.echo(f"{path}:{wrong.line}: {wrong.error}", err=True)
            typer.echo(f"error: {rejected.detail}", err=True)
            raise typer.Exit(1) from None
    origin = f" from {source}" if source else ""
    typer.echo(f"{count} value{'' if count == 1 else 's'} imported{origin}")


@health_app.command("list")
def list_values(
    user: User,
    days: Annotated[int, typer.Option(help="How many days back from today.")] = 30,
    metric: Annotated[str | None, typer.Option(help="Only this metric.")] = None,
    data_dir: DataDir = None,
) -> None:
    """List the rider's values of the last days, oldest first."""
    from bikenode.health import service

    with _rider_session(data_dir, user) as (session, owner_id):
        end = service.rider_today_of(session, owner_id=owner_id)
        start = end - timedelta(days=max(days, 0))
        values = service.list_metrics(
            session, owner_id=owner_id, start=start, end=end, metric=metric
        )
    for value in values:
        shown = "(sealed: key gone)" if value.value is None else f"{value.value:g}"
        typer.echo(f"{value.day}  {value.metric}  {shown}  ({value.source})")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"expected a day as YYYY-MM-DD, got {text!r}") from None
