"""`bikenode mqtt-config`: mosquitto's configuration, password and ACL files for devices."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bikenode.command_line import command_settings
from bikenode.live import devices, mqtt
from bikenode.live.mqtt_bridge import BRIDGE_PASSWORD_FILE

DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]


def write_mqtt_config(session: Session, *, out: Path, host: str, port: int) -> int:
    """Write mosquitto.conf, passwd, acl and the bridge's password into ``out``; the number
    of devices that may publish. The bridge's password is kept across runs."""
    out.mkdir(parents=True, exist_ok=True)
    secret_path = out / BRIDGE_PASSWORD_FILE
    if not secret_path.exists():
        _write(secret_path, secrets.token_urlsafe(32) + "\n")
    bridge = mqtt.BrokerUser(mqtt.BRIDGE_USER, mqtt.password_hash(secret_path.read_text().strip()))
    users = devices.mqtt_users(session)
    _write(out / "passwd", mqtt.password_file([bridge, *users]))
    _write(out / "acl", mqtt.acl_file())
    _write(out / "mosquitto.conf", mqtt.broker_config(directory=str(out), host=host, port=port))
    return len(users)


def _write(path: Path, text: str) -> None:
    # Replaced whole, never half-written: mosquitto may reload at any moment (SIGHUP).
    part = path.with_name(path.name + ".part")
    part.write_text(text)
    os.chmod(part, 0o600)  # hashes of device tokens and the bridge's password
    part.replace(path)


def mqtt_config_command(
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the files [default: DATA_DIR/mqtt].", show_default=False),
    ] = None,
    host: Annotated[str, typer.Option(help="Address mosquitto listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port mosquitto listens on.")] = 1883,
    data_dir: DataDir = None,
) -> None:
    """Write mosquitto's files for devices over MQTT; run again after adding or revoking one."""
    from bikenode.db.engine import create_db_engine, make_session_factory

    settings = command_settings(data_dir, existing=True)
    folder = (out or settings.data_dir / "mqtt").resolve()
    engine = create_db_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            count = write_mqtt_config(session, out=folder, host=host, port=port)
    finally:
        engine.dispose()
    typer.echo(
        f"wrote {folder}/mosquitto.conf, passwd ({count} devices) and acl; start "
        f"`mosquitto -c {folder}/mosquitto.conf` (or send it SIGHUP), then "
        f"`bikenode serve --mqtt mqtt://{host}:{port}`"
    )
