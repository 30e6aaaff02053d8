"""Moving a test's own database up or down the migrations."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine

from bikenode.db.migrate import alembic_config


def migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the engine's database to the target revision."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)
