"""`bikenode gdpr ...` and `bikenode keys ...`: data requests and key rotation."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bikenode.command_line import command_settings
from bikenode.config import Settings

gdpr_app = typer.Typer(help="GDPR requests: export or erase a user's data.", no_args_is_help=True)
keys_app = typer.Typer(help="The keys that encrypt health data at rest.", no_args_is_help=True)
DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]


def _open(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.db.migrate import upgrade_to_head
    from bikenode.encryption import install_key_ring, key_ring_from_settings

    install_key_ring(key_ring_from_settings(settings))
    engine = create_db_engine(settings.effective_database_url)
    upgrade_to_head(engine)
    return engine, make_session_factory(engine)


def _user_id(session: Session, email: str) -> uuid.UUID:
    from bikenode.accounts import find_user_id_by_email

    user_id = find_user_id_by_email(session, email)
    if user_id is None:
        typer.echo(f"error: no user with e-mail {email!r}", err=True)
        raise typer.Exit(2)
    return user_id


@gdpr_app.command("export")
def export(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    out: Annotated[Path, typer.Argument(help="The zip file to write.")],
    data_dir: DataDir = None,
) -> None:
    """Write everything stored about a user to a zip (audited)."""
    from bikenode.governance import export_user_data

    engine, sessions = _open(command_settings(data_dir, existing=True))
    with sessions() as session:
        user_id = _user_id(session, email)
        partial = out.with_name(out.name + ".part")
        with partial.open("wb") as stream:
            files = export_user_data(session, user_id=user_id, out=stream, actor_id=None)
        partial.replace(out)  # a reader never finds half an export under the final name
    engine.dispose()
    typer.echo(f"exported {files} files for {email} to {out}")


@gdpr_app.command("erase")
def erase(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Delete a user and all their data for good (an audit entry is kept)."""
    from bikenode.governance import erase_user

    if not yes:
        typer.echo("error: erasure cannot be undone; add --yes to confirm", err=True)
        raise typer.Exit(2)
    engine, sessions = _open(command_settings(data_dir, existing=True))
    with sessions() as session:
        report = erase_user(session, user_id=_user_id(session, email), actor_id=None)
    engine.dispose()
    typer.echo(f"erased {email} ({report.user_id}) and {report.rides} rides")


@keys_app.command("rotate")
def rotate(
    data_dir: DataDir = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Re-encrypt here and now instead of in the server.")
    ] = False,
) -> None:
    """Make a new key current and re-seal health data and TOTP secrets in the background."""
    from bikenode.encryption import add_key_to_file
    from bikenode.governance.service import start_reencryption
    from bikenode.governance.tasks import (
        reencrypt_health,
        reseal_body_metrics,
        reseal_live_health,
        reseal_totp_secrets,
        reseal_webhook_secrets,
    )

    settings = command_settings(data_dir, existing=True)
    if settings.data_keys:
        typer.echo("keys come from BIKENODE_DATA_KEYS: the first one there is current")
    else:
        typer.echo(f"new current key {add_key_to_file(settings)}")
    engine, sessions = _open(settings)
    if wait:
        changed = reencrypt_health(sessions)
        typer.echo(f"re-encrypted the health data of {changed} rides")
        typer.echo(f"re-sealed the heart rate of {reseal_live_health(sessions)} live batches")
        typer.echo(f"re-sealed {reseal_totp_secrets(sessions)} TOTP secrets")
        typer.echo(f"re-sealed the weight and resting HR of {reseal_body_metrics(sessions)} users")
        typer.echo(f"re-sealed the secrets of {reseal_webhook_secrets(sessions)} webhooks")
    else:
        with sessions() as session:
            job_id = start_reencryption(session, actor="cli")
        typer.echo(f"queued re-encryption job {job_id}; the server's worker runs it")
    engine.dispose()


@keys_app.command("status")
def status(data_dir: DataDir = None) -> None:
    """Show the current key and how much health data and how many TOTP secrets each seals."""
    from bikenode.accounts import body_metrics_key_counts, totp_key_counts
    from bikenode.encryption import current_key_ring
    from bikenode.live import health_key_counts as live_key_counts
    from bikenode.rides import health_key_counts
    from bikenode.webhooks import secret_key_counts

    engine, sessions = _open(command_settings(data_dir, existing=True))
    ring = current_key_ring()
    with sessions() as session:
        counts = health_key_counts(session)
        live_counts = live_key_counts(session)
        totp_counts = totp_key_counts(session)
        body_counts = body_metrics_key_counts(session)
        webhook_counts = secret_key_counts(session)
    engine.dispose()
    typer.echo(f"current key: {ring.current_key_id}; known keys: {', '.join(ring.key_ids)}")
    for key_id, count in sorted(counts.items()):
        typer.echo(f"{key_id or '(no health data)'}: {count} rides")
    for key_id, count in sorted(live_counts.items()):
        typer.echo(f"{key_id}: {count} live batches' heart rate")
    for key_id, count in sorted(totp_counts.items()):
        typer.echo(f"{key_id}: {count} TOTP secrets")
    for key_id, count in sorted(body_counts.items()):
        typer.echo(f"{key_id}: {count} users' weight and resting HR")
    for key_id, count in sorted(webhook_counts.items()):
        typer.echo(f"{key_id}: {count} webhooks' signing secrets")
