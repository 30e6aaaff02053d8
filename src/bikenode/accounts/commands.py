"""`bikenode user ...`: manage accounts from the command line."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from bikenode.config import load_settings
from bikenode.errors import DomainError

user_app = typer.Typer(help="User accounts.", no_args_is_help=True)


@user_app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The new user's e-mail address.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    admin: Annotated[bool, typer.Option("--admin", help="Give the user the admin role.")] = False,
    display_name: Annotated[str | None, typer.Option(help="Name shown to others.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")] = None,
) -> None:
    """Create a user (the database is upgraded first if needed)."""
    from bikenode.accounts.config import build_accounts_config
    from bikenode.accounts.service import register_user
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.db.migrate import upgrade_to_head

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (at least 15 characters): ")
    settings = load_settings(data_dir=data_dir)
    engine = create_db_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    with make_session_factory(engine)() as session:
        try:
            user = register_user(
                session,
                build_accounts_config(settings),
                email=email,
                password=password,
                display_name=display_name or email.split("@")[0],
                role="admin" if admin else "rider",
            )
        except DomainError as error:
            typer.echo(f"error: {error.detail}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"created {user.role} {user.email} ({user.id})")
