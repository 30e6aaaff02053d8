"""`bikenode maps`: import an OpenStreetMap extract as the routing graph, and show it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bikenode.command_line import command_settings

DataDir = Annotated[Path | None, typer.Option(help="Data folder (SQLite default).")]
maps_app = typer.Typer(help="Maps: the routing graph the route planner snaps to.")


@maps_app.command("import")
def import_command(
    extract: Annotated[Path, typer.Argument(help="An OpenStreetMap extract (.osm.pbf).")],
    data_dir: DataDir = None,
) -> None:
    """Build the bike routing graph of an .osm.pbf extract; a running server uses it at once."""
    from bikenode.planner.routing.graph import NotRoutable
    from bikenode.planner.routing.pbf import PbfError
    from bikenode.planner.routing.store import graph_path, import_extract

    settings = command_settings(data_dir, existing=False)
    try:
        info = import_extract(settings.data_dir, extract)
    except (OSError, PbfError, NotRoutable, ValueError) as error:
        typer.echo(f"error: {extract}: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"routing graph from {info.source}: {info.nodes} nodes, {info.edges} edges,"
        f" in {graph_path(settings.data_dir)}"
    )


@maps_app.command("status")
def status_command(data_dir: DataDir = None) -> None:
    """Say which routing graph the data folder holds."""
    from bikenode.planner.routing.store import graph_path, load_graph

    path = graph_path(command_settings(data_dir, existing=False).data_dir)
    if not path.is_file():
        typer.echo("no routing graph: import one with `bikenode maps import EXTRACT.osm.pbf`")
        raise typer.Exit(1)
    _, info = load_graph(path)
    typer.echo(f"routing graph from {info.source} ({info.built_at}): {info.nodes} nodes")
