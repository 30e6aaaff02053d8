"""`bikenode heatmap-release`: the weekly community heatmap releases (instance, clubs)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]


def heatmap_release_command(data_dir: DataDir = None) -> None:
    """Release every ended week of the last year not released yet (each week only once),
    for the instance and for each club."""
    from bikenode.db.base import utcnow
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.segments.club_heat import release_due_club_weeks
    from bikenode.segments.community_heat import release_due_weeks

    settings = command_settings(data_dir, existing=True)
    # The zone buffers' key: derived from the instance secret, so it survives restarts and
    # never leaves the server; a separate label keeps it apart from token signing.
    key = hmac.new(
        settings.effective_secret_key.encode(), b"bikenode heatmap zone buffers", hashlib.sha256
    ).digest()
    engine = create_db_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            now = utcnow()
            cells = release_due_weeks(session, key=key, now=now)
            club_cells = release_due_club_weeks(session, key=key, now=now)
    finally:
        engine.dispose()
    typer.echo(f"released {cells} community heatmap cells and {club_cells} club heatmap cells")
