"""`bikenode bikes`: a rider's garage and the parts due, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]


def bikes_command(
    user: Annotated[str, typer.Option("--user", help="The rider's e-mail address.")],
    data_dir: DataDir = None,
) -> None:
    """List a rider's bikes, and each part's service interval with the parts due first."""
    from bikenode.accounts import find_user_id_by_email
    from bikenode.bikes import maintenance, service
    from bikenode.db.base import utcnow
    from bikenode.db.engine import create_db_engine, make_session_factory

    engine = create_db_engine(command_settings(data_dir, existing=True).effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            owner_id = find_user_id_by_email(session, user)
            if owner_id is None:
                typer.echo(f"error: no user with the e-mail address {user}", err=True)
                raise typer.Exit(2)
            bikes = service.list_bikes(session, owner_id=owner_id)
            names = {bike.id: bike.name for bike in bikes}
            due = maintenance.due_list(session, owner_id=owner_id)
    finally:
        engine.dispose()
    if not bikes:
        typer.echo("no bikes yet: add one on the Bikes page or with POST /api/v1/bikes")
        return
    for bike in bikes:
        retired = "  (retired)" if bike.retired_at else ""
        typer.echo(f"{bike.name}  {bike.type}{retired}")
    typer.echo("")
    today = utcnow().date()
    for report in due:
        status = report.status
        if status.fraction is None:
            state = "no interval"
        else:
            word = "DUE" if status.due else "soon" if status.warn else "ok"
            state = f"{status.fraction:4.0%} {word}"
        where = names.get(report.bike_id, "not fitted") if report.bike_id else "not fitted"
        kind = report.component.type
        label = " ".join(filter(None, [kind, report.component.brand, report.component.model]))
        predicted = f"  {report.prediction.summary(today)}" if report.prediction else ""
        typer.echo(f"{state:>14}  {label}  on {where}{predicted}")


def reminders_command(data_dir: DataDir = None) -> None:
    """Record the service reminders that time alone has made due (a part's calendar
    interval); run it daily from cron or a systemd timer. Each is recorded and announced once."""
    from bikenode.bikes.reminders import record_calendar_crossings
    from bikenode.db.engine import create_db_engine, make_session_factory

    engine = create_db_engine(command_settings(data_dir, existing=True).effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            recorded = record_calendar_crossings(session)
    finally:
        engine.dispose()
    typer.echo(f"{recorded} reminder{'' if recorded == 1 else 's'} recorded")
