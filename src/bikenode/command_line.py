"""What commands on a data folder share: saying which folder they use, refusing to start an
empty one where they need existing accounts, and the public URL the server there announced."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import typer

from bikenode.config import Settings, load_settings

SQLITE_FILE = "bikenode.sqlite3"
PUBLIC_URL_FILE = "public-url"  # written by `serve`, read by commands that print links


def data_location(settings: Settings) -> str:
    """The data folder (and the database, when it is not SQLite in it), in words."""
    folder = f"data folder {settings.data_dir.resolve()}"
    if not settings.database_url:
        return folder
    parts = urlsplit(settings.database_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""  # never the password
    return (
        f"{folder}, database {urlunsplit((parts.scheme, user + host + port, parts.path, '', ''))}"
    )


def command_settings(data_dir: Path | None, *, existing: bool) -> Settings:
    """The settings of a command, after saying on stderr which data it uses.

    With `existing`, a SQLite data folder without a database is refused (exit 2) before
    anything is created in it: the command needs accounts that only an existing one has.
    """
    settings = load_settings(data_dir=data_dir)
    where = data_location(settings)
    database = settings.data_dir / SQLITE_FILE
    if existing and not settings.database_url and not database.is_file():
        typer.echo(
            f"error: no BikeNode data in {where} (expected {database}); run this from the "
            "folder your server runs in, or pass --data-dir (or set BIKENODE_DATA_DIR) to its "
            "data folder",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(f"using {where}", err=True)
    return settings


def record_public_url(settings: Settings) -> None:
    """Note the server's public URL in its data folder, for commands run beside it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / PUBLIC_URL_FILE).write_text(settings.public_url + "\n")


def public_url(settings: Settings) -> str:
    """Where users reach this node: as configured, else as its server last announced it."""
    if "public_url" in settings.model_fields_set:
        return settings.public_url
    recorded = settings.data_dir / PUBLIC_URL_FILE
    if recorded.is_file():
        return recorded.read_text().strip() or settings.public_url
    return settings.public_url
