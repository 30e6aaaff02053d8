"""The routing graph: built from an extract with the bike profile, searched with A*.

Nodes are the extract's nodes that bike ways use; edges join consecutive nodes of a way, one
per direction a bike may ride. The graph is a compressed sparse row (CSR) table of numpy
arrays, so it is saved and loaded as one .npz file. Waypoints snap to the nearest node of the
largest connected part through a k-d tree (so a waypoint never lands on an island it cannot
leave). Distances are metres on a sphere of radius 6,371,008.8 m. No I/O here.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from bikenode.planner.routing.pbf import Extract, FloatArray, IntArray
from bikenode.planner.routing.profile import bike_way_cost

EARTH_RADIUS_M: Final = 6_371_008.8
MAX_SNAP_M: Final = 500.0  # a waypoint further than this from any bike way is not routed
BIKE_SPEED_MPS: Final = 18 / 3.6  # for the estimated time of a route
MAX_SETTLED: Final = 2_000_000  # an A* search stops past this many settled nodes


class NotRoutable(ValueError):
    """A leg the graph cannot route: a waypoint far from any way, or no path between them."""


@dataclass
class Graph:
    """A bike routing graph as arrays (see the module docstring)."""

    lat_deg: FloatArray
    lon_deg: FloatArray
    offsets: IntArray  # edges of node i are offsets[i]:offsets[i + 1]
    targets: IntArray
    length_m: FloatArray
    cost: FloatArray
    surface: IntArray  # index into surfaces
    highway: IntArray  # index into highways
    surfaces: list[str]
    highways: list[str]
    snappable: npt.NDArray[np.bool_]  # nodes in the largest connected part


@dataclass(frozen=True)
class Leg:
    """A routed leg: positions along it, its length, and metres per surface and road type."""

    path: list[tuple[float, float]]
    distance_m: float
    surfaces_m: dict[str, float]
    highways_m: dict[str, float]


def build_graph(extract: Extract) -> Graph:
    """The bike graph of an extract's ways; nodes no bike way uses are left out."""
    sources: list[IntArray] = []
    targets: list[IntArray] = []
    factors: list[FloatArray] = []
    kinds: list[IntArray] = []
    surfaces: dict[str, int] = {}
    highways: dict[str, int] = {}
    for way in extract.ways:
        cost = bike_way_cost(way.tags)
        if cost is None or len(way.refs) < 2:
            continue
        index = np.searchsorted(extract.node_ids, way.refs)
        index[index >= len(extract.node_ids)] = 0
        if not np.array_equal(extract.node_ids[index], way.refs):
            continue  # a way cut by the extract's edge: its missing nodes have no position
        kind = (surfaces.setdefault(cost.surface, len(surfaces)) << 16) | highways.setdefault(
            cost.highway, len(highways)
        )
        for factor, (a, b) in (
            (cost.forward, (index[:-1], index[1:])),
            (cost.backward, (index[1:], index[:-1])),
        ):
            if factor is not None:
                sources.append(a)
                targets.append(b)
                factors.append(np.full(len(a), factor))
                kinds.append(np.full(len(a), kind, np.int64))
    if not sources:
        raise NotRoutable("expected an extract with ways a bike may use, found none")
    return _compress(extract, sources, targets, factors, kinds, surfaces, highways)


def _compress(
    extract: Extract,
    sources: list[IntArray],
    targets: list[IntArray],
    factors: list[FloatArray],
    kinds: list[IntArray],
    surfaces: dict[str, int],
    highways: dict[str, int],
) -> Graph:
    """Renumber the used nodes 0..n-1 and sort the edges by source (CSR)."""
    source, target = np.concatenate(sources), np.concatenate(targets)
    used, renumbered = np.unique(np.concatenate((source, target)), return_inverse=True)
    source, target = renumbered[: len(source)], renumbered[len(source) :]
    order = np.lexsort((target, source))
    source, target = source[order], target[order]
    lat, lon = extract.lat_deg[used], extract.lon_deg[used]
    length = haversine_m(lat[source], lon[source], lat[target], lon[target])
    kind = np.concatenate(kinds)[order]
    offsets = np.zeros(len(used) + 1, np.int64)
    np.cumsum(np.bincount(source, minlength=len(used)), out=offsets[1:])
    adjacency = csr_matrix((np.ones(len(source)), (source, target)), shape=(len(used),) * 2)
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    return Graph(
        lat_deg=lat,
        lon_deg=lon,
        offsets=offsets,
        targets=target.astype(np.int64),
        length_m=length,
        cost=length * np.concatenate(factors)[order],
        surface=kind >> 16,
        highway=kind & 0xFFFF,
        surfaces=list(surfaces),
        highways=list(highways),
        snappable=labels == np.bincount(labels).argmax(),
    )


def haversine_m(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distances in metres between pairs of positions in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))  # type: ignore[no-any-return]


class Router:
    """A* searches over one graph; snapping through a k-d tree of its snappable nodes."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._candidates = np.flatnonzero(graph.snappable)
        self._cos = math.cos(math.radians(float(np.mean(graph.lat_deg))))
        self._tree = cKDTree(
            self._project(graph.lat_deg[self._candidates], graph.lon_deg[self._candidates])
        )
        # Plain lists: the search loop reads them one item at a time, far faster than numpy.
        self._offsets = graph.offsets.tolist()
        self._targets = graph.targets.tolist()
        self._cost = graph.cost.tolist()
        self._lat = graph.lat_deg.tolist()
        self._lon = graph.lon_deg.tolist()
        self._min_factor = float(np.min(graph.cost / np.maximum(graph.length_m, 1e-9)))

    def _project(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        scale = math.radians(1) * EARTH_RADIUS_M
        return np.column_stack((lat * scale, lon * scale * self._cos))

    def snap(self, lat_deg: float, lon_deg: float) -> int:
        """The graph node nearest a position; NotRoutable past MAX_SNAP_M."""
        point = self._project(np.array([lat_deg]), np.array([lon_deg]))[0]
        distance, found = self._tree.query(point)
        if not distance <= MAX_SNAP_M:
            raise NotRoutable(f"no bike way within {MAX_SNAP_M:.0f} m of ({lat_deg}, {lon_deg})")
        return int(self._candidates[found])

    def leg(self, start: tuple[float, float], end: tuple[float, float]) -> Leg:
        """The cheapest bike path between two positions; NotRoutable if there is none."""
        nodes = self._search(self.snap(*start), self.snap(*end))
        return self._leg(nodes)

    def _estimate(self, node: int, goal_lat: float, goal_lon: float) -> float:
        # Equirectangular distance is within 0.1 % of the great circle at city scale; scaled
        # by the cheapest factor and 0.99 it never overestimates, so A* stays exact.
        dy = math.radians(goal_lat - self._lat[node])
        dx = math.radians(goal_lon - self._lon[node]) * self._cos
        return 0.99 * self._min_factor * EARTH_RADIUS_M * math.hypot(dx, dy)

    def _search(self, start: int, goal: int) -> list[int]:
        # Lists indexed by node, locals for everything the loop reads: this loop is the cost
        # of a leg (bench/routing.py), and attribute and dict look-ups double it.
        lat, lon, cos, hypot, radians = self._lat, self._lon, self._cos, math.hypot, math.radians
        goal_lat, goal_lon = lat[goal], lon[goal]
        scale = 0.99 * self._min_factor * EARTH_RADIUS_M
        best = [math.inf] * len(lat)
        previous = [-1] * len(lat)
        best[start] = 0.0
        queue = [(self._estimate(start, goal_lat, goal_lon), 0.0, start)]
        offsets, targets, cost = self._offsets, self._targets, self._cost
        push, pop, settled = heapq.heappush, heapq.heappop, 0
        while queue:
            _, so_far, node = pop(queue)
            if node == goal:
                return self._unwind(previous, start, goal)
            if so_far > best[node]:
                continue
            settled += 1
            if settled > MAX_SETTLED:
                break
            for edge in range(offsets[node], offsets[node + 1]):
                nxt = targets[edge]
                total = so_far + cost[edge]
                if total < best[nxt]:
                    best[nxt] = total
                    previous[nxt] = node
                    rest = scale * hypot(
                        radians(goal_lon - lon[nxt]) * cos, radians(goal_lat - lat[nxt])
                    )
                    push(queue, (total + rest, total, nxt))
        raise NotRoutable("no bike path joins these waypoints")

    @staticmethod
    def _unwind(previous: list[int], start: int, goal: int) -> list[int]:
        nodes = [goal]
        while nodes[-1] != start:
            nodes.append(previous[nodes[-1]])
        nodes.reverse()
        return nodes

    def _leg(self, nodes: list[int]) -> Leg:
        graph = self.graph
        surfaces: dict[str, float] = {}
        highways: dict[str, float] = {}
        distance = 0.0
        for a, b in itertools.pairwise(nodes):
            edge = self._edge(a, b)
            length = float(graph.length_m[edge])
            distance += length
            surface = graph.surfaces[int(graph.surface[edge])]
            highway = graph.highways[int(graph.highway[edge])]
            surfaces[surface] = surfaces.get(surface, 0.0) + length
            highways[highway] = highways.get(highway, 0.0) + length
        path = [(self._lat[n], self._lon[n]) for n in nodes]
        return Leg(path, distance, surfaces, highways)

    def _edge(self, a: int, b: int) -> int:
        """The cheapest edge from a to b (two ways may join the same nodes)."""
        edges = range(self._offsets[a], self._offsets[a + 1])
        return min((e for e in edges if self._targets[e] == b), key=self._cost.__getitem__)
