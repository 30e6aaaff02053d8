"""`bikenode db ...`: schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

db_app = typer.Typer(
    help="Database schema: upgrade, show the current revision.", no_args_is_help=True
)


@db_app.command("upgrade")
def upgrade(
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")] = None,
) -> None:
    """Apply all pending migrations (safe to run again)."""
    from bikenode.db.engine import create_db_engine
    from bikenode.db.migrate import current_revision, upgrade_to_head
    from bikenode.encryption import install_key_ring, key_ring_from_settings

    settings = command_settings(data_dir, existing=False)
    install_key_ring(key_ring_from_settings(settings))  # migrations may seal stored values
    engine = create_db_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def current(
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")] = None,
) -> None:
    """Print the database's revision and the newest one the code knows."""
    from bikenode.db.engine import create_db_engine
    from bikenode.db.migrate import current_revision, head_revision

    engine = create_db_engine(command_settings(data_dir, existing=True).effective_database_url)
    typer.echo(f"database: {current_revision(engine)}  code: {head_revision()}")
