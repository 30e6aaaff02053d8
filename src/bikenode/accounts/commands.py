"""`bikenode user ...`: manage accounts from the command line."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings, public_url
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
    from bikenode.encryption import install_key_ring, key_ring_from_settings

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (at least 15 characters): ")
    settings = command_settings(data_dir, existing=False)
    install_key_ring(key_ring_from_settings(settings))  # migrations may seal stored values
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


@user_app.command("reset-link")
def reset_link(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")] = None,
) -> None:
    """Print a password-reset link (works once, for 30 minutes; audited), for sites without mail."""
    from bikenode.accounts.password_reset import operator_reset_link
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.db.migrate import upgrade_to_head
    from bikenode.encryption import install_key_ring, key_ring_from_settings

    settings = command_settings(data_dir, existing=True)
    install_key_ring(key_ring_from_settings(settings))  # migrations may seal stored values
    engine = create_db_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    with make_session_factory(engine)() as session:
        try:
            issued = operator_reset_link(session, public_url=public_url(settings), email=email)
        except DomainError as error:
            typer.echo(f"error: {error.detail}", err=True)
            raise typer.Exit(2) from None
    engine.dispose()
    typer.echo(
        f"password-reset link for {issued.email}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC:"
    )
    typer.echo(issued.link)
