"""The `bikenode` command: one group per domain, plus serve and db."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from bikenode.accounts.commands import user_app
from bikenode.audit.commands import audit_app
from bikenode.bikes.commands import bikes_command, reminders_command
from bikenode.command_line import data_location, record_public_url
from bikenode.config import Settings, load_settings
from bikenode.db.commands import db_app
from bikenode.events.commands import events_app
from bikenode.governance.commands import gdpr_app, keys_app
from bikenode.health.commands import health_app
from bikenode.live.commands import mqtt_config_command
from bikenode.market.commands import market_app
from bikenode.operations import commands as operations_commands
from bikenode.planner.commands import maps_app
from bikenode.rides.commands import import_command
from bikenode.segments.commands import heatmap_release_command

if TYPE_CHECKING:
    from fastapi import FastAPI


def _usage_in_words() -> None:
    """Help in words: `import [OPTIONS] PATH...` and `--user TEXT`, not Typer's own
    `{paths}...`, `<list[Path]>` and `<str>`."""
    words = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH"}

    def word(param: Any) -> str:
        name = str(param.metavar or (param.name or "").upper())
        return name + ("..." if param.nargs != 1 and not name.endswith("...") else "")

    def usage_name(argument: Any) -> str:
        return word(argument) if argument.required else f"[{word(argument)}]"

    def option_type(option: Any, ctx: Any = None) -> str:
        if option.metavar:
            return str(option.metavar)
        label = str(typer.core.TyperOption.display_type(option, ctx)).strip("<>")
        return words.get(label, label.upper())

    setattr(typer.core.TyperArgument, "_usage_display_name", usage_name)  # noqa: B010
    setattr(typer.core.TyperArgument, "_rich_display_name", word)  # noqa: B010
    setattr(typer.core.TyperArgument, "display_type_rich", lambda *_a, **_k: None)  # noqa: B010
    setattr(typer.core.TyperOption, "display_type_rich", option_type)  # noqa: B010


_usage_in_words()
app = typer.Typer(
    help="BikeNode: a self-hostable cycling platform. Import, analyse and share your rides.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(gdpr_app, name="gdpr")
app.add_typer(keys_app, name="keys")
app.add_typer(events_app, name="events")
app.add_typer(market_app, name="market")
app.add_typer(maps_app, name="maps")
app.add_typer(health_app, name="health")
app.command("import")(import_command)
app.command("bikes")(bikes_command)
app.command("reminders")(reminders_command)
app.command("heatmap-release")(heatmap_release_command)
app.command("backup")(operations_commands.backup)
app.command("restore")(operations_commands.restore)
app.command("check")(operations_commands.check)
app.command("retention")(operations_commands.retention)
app.command("mqtt-config")(mqtt_config_command)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the SQLite database and uploads live [env: BIKENODE_DATA_DIR; "
        "default: ./bikenode-data].",
        show_default=False,
    ),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDirOption = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    mqtt: Annotated[
        str,
        typer.Option(
            help="Take device positions from this MQTT broker: mqtt://host:port "
            "(see `bikenode mqtt-config`) [env: BIKENODE_MQTT_URL].",
            show_default=False,
        ),
    ] = "",
) -> None:
    """Upgrade the database and serve the web app and API."""
    import uvicorn

    from bikenode.db.engine import create_db_engine
    from bikenode.db.migrate import upgrade_to_head
    from bikenode.encryption import install_key_ring, key_ring_from_settings
    from bikenode.logs import configure_logging

    settings = load_settings(data_dir=data_dir)
    if mqtt:
        settings = settings.model_copy(update={"mqtt_url": mqtt})
    if settings.mqtt_url and workers > 1:
        # One bridge, one persistent broker session: workers would take it from each other.
        raise typer.BadParameter("expected --workers 1 with --mqtt", param_hint="--mqtt")
    if "public_url" not in settings.model_fields_set:  # links in e-mails point at this server
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104  # nosec B104 (a comparison, not a bind)
        settings = settings.model_copy(update={"public_url": f"http://{shown}:{port}"})
    configure_logging(settings.log_level, json_lines=settings.log_json)
    install_key_ring(key_ring_from_settings(settings))  # migrations may seal stored values
    upgrade_to_head(create_db_engine(settings.effective_database_url))
    record_public_url(settings)
    typer.echo(
        f"BikeNode on http://{host}:{port} (API docs at /docs, links in e-mails to "
        f"{settings.public_url}), using {data_location(settings)}",
        err=True,
    )
    # Live viewers are served by a fast path straight from the socket (see bikenode.live.fastws).
    ws = "bikenode.live.fastws:LiveWebSocketProtocol" if settings.live_fast_path else "auto"
    settings.effective_secret_key  # noqa: B018 (created here once, before any worker reads it)
    if workers > 1:
        # Each worker process builds its own app (uvicorn needs an import string for that)
        # from the environment, so the data folder of the flag travels through it.
        os.environ["BIKENODE_DATA_DIR"] = str(settings.data_dir)
        os.environ["BIKENODE_PUBLIC_URL"] = settings.public_url
    # No per-message deflate: live frames are small and compressing each costs more CPU.
    uvicorn.run(
        "bikenode.cli:served_app" if workers > 1 else served_app(settings),
        factory=workers > 1,
        host=host,
        port=port,
        log_config=None,
        workers=workers,
        ws=ws,
        ws_per_message_deflate=False,
        # Request heads arriving too slowly are cut off (bikenode.web.slow_clients).
        http="bikenode.web.slow_clients:TimedHttpProtocol",
        timeout_keep_alive=settings.keep_alive_s,
        # X-Forwarded-For and -Proto only from the configured proxies; none by default
        # (uvicorn's own default trusts 127.0.0.1, i.e. anyone on this host).
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or None,
    )


def served_app(settings: Settings | None = None) -> FastAPI:
    """The app as `serve` runs it: built, then everything alive at start frozen.

    Modules, routes and the app live as long as the process; freezing them keeps the cyclic
    garbage collector from walking them again at every collection (measured: a 1,000-mutation
    sync push took 0.28 s before and 0.175 s after, median of 8).
    """
    from bikenode.app import create_app

    served = create_app(settings)
    gc.collect()
    gc.freeze()
    # Fewer, not longer, collections: at the default thresholds a burst of 1,000 requests set
    # off several full collections of 60-90 ms each, every one a pause of the event loop.
    gc.set_threshold(10_000, 50, 100)
    return served


def main() -> None:
    """Entry point of the `bikenode` console script."""
    app()
