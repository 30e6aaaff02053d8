"""The routing graph on disk: data_dir/routing/graph.npz and what it was built from.

Serving processes load it once and keep it while the file is unchanged; `bikenode maps
import` writes a new file beside it and renames it into place, so a running server never
reads half a graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np

from bikenode.planner.routing.graph import Graph, Router, build_graph
from bikenode.planner.routing.pbf import read_extract

GRAPH_FILE: Final = "graph.npz"
MAX_EXTRACT_BYTES: Final = 256 * 1024 * 1024  # read whole into memory: a region, not a planet
_ARRAYS: Final = ("lat_deg", "lon_deg", "offsets", "targets", "length_m", "cost")
_ARRAYS_ALSO: Final = ("surface", "highway", "snappable")


@dataclass(frozen=True)
class GraphInfo:
    """What the loaded graph was built from, and its size."""

    source: str
    source_sha256: str
    built_at: str
    nodes: int
    edges: int


def graph_path(data_dir: Path) -> Path:
    """Where the routing graph of this data folder lives."""
    return data_dir / "routing" / GRAPH_FILE


def import_extract(data_dir: Path, extract: Path) -> GraphInfo:
    """Build the bike graph of an .osm.pbf extract and store it as the data folder's graph."""
    size = extract.stat().st_size
    if size > MAX_EXTRACT_BYTES:
        raise ValueError(f"expected an extract of at most {MAX_EXTRACT_BYTES} bytes, got {size}")
    data = extract.read_bytes()
    graph = build_graph(read_extract(data))
    info = GraphInfo(
        source=extract.name,
        source_sha256=hashlib.sha256(data).hexdigest(),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        nodes=len(graph.lat_deg),
        edges=len(graph.targets),
    )
    path = graph_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    arrays = {name: getattr(graph, name) for name in _ARRAYS + _ARRAYS_ALSO}
    np.savez(
        partial,
        **arrays,
        surfaces=np.array(graph.surfaces, dtype=str),
        highways=np.array(graph.highways, dtype=str),
        info=np.array(json.dumps(asdict(info))),
    )
    os.replace(partial, path)
    return info


def load_graph(path: Path) -> tuple[Graph, GraphInfo]:
    """A stored graph and its description."""
    with np.load(path, allow_pickle=False) as stored:
        graph = Graph(
            **{name: stored[name] for name in _ARRAYS + _ARRAYS_ALSO},
            surfaces=[str(s) for s in stored["surfaces"]],
            highways=[str(h) for h in stored["highways"]],
        )
        info = GraphInfo(**json.loads(str(stored["info"])))
    return graph, info


class RouterCache:
    """The data folder's router, loaded on first use and again when the file changes."""

    def __init__(self, data_dir: Path) -> None:
        self.path = graph_path(data_dir)
        self._lock = threading.Lock()
        self._loaded: tuple[float, Router, GraphInfo] | None = None

    def get(self) -> tuple[Router, GraphInfo] | None:
        """The router and its graph's description, or None when no graph was imported."""
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return None
        with self._lock:
            if self._loaded is None or self._loaded[0] != mtime:
                graph, info = load_graph(self.path)
                self._loaded = (mtime, Router(graph), info)
            return self._loaded[1], self._loaded[2]
