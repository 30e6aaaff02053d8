"""Group-ride geometry: who is where, the group's centre and spread, splits and regroups.

Pure functions over the members' latest positions. Distances between riders are measured along
the group's route when it has one (riders 300 m apart on a hairpin road are not together), and
straight-line otherwise. Members silent for longer than the stale time are listed as stale and
left out of the centre, the spread and the clusters, but never dropped.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bikenode.geo import EARTH_RADIUS_M, haversine_m

FloatArray = npt.NDArray[np.float64]
Measure = Literal["route", "straight"]


@dataclass(frozen=True)
class MemberPosition:
    """A member's latest known position (degrees, ms since the epoch, m/s when known)."""

    member: str
    name: str
    lat: float
    lon: float
    time_ms: int
    speed_mps: float | None = None


@dataclass(frozen=True)
class Route:
    """A planned line the group follows: its points and the distance along it at each."""

    lat: FloatArray
    lon: FloatArray
    along_m: FloatArray = field(repr=False)

    @classmethod
    def from_points(cls, points: list[tuple[float, float]]) -> Route:
        """A route from (lat, lon) pairs; at least two points."""
        if len(points) < 2:
            raise ValueError("a route needs at least two points")
        lat = np.array([p[0] for p in points], dtype=np.float64)
        lon = np.array([p[1] for p in points], dtype=np.float64)
        steps = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        return cls(lat, lon, np.concatenate(([0.0], np.cumsum(steps))))


@dataclass(frozen=True)
class GroupState:
    """The group at one moment; ``clusters`` lists member ids, the front cluster first."""

    centre: tuple[float, float] | None
    spread_m: float
    clusters: list[list[str]]
    stale: list[str]
    measured: Measure
    along_m: dict[str, float]

    @property
    def split(self) -> bool:
        """Whether the active riders are in more than one cluster."""
        return len(self.clusters) > 1

    def as_message(self) -> dict[str, Any]:
        """The group-state payload as viewers receive it."""
        return {
            "kind": "group_state",
            "centre": list(self.centre) if self.centre else None,
            "spread_m": round(self.spread_m, 1),
            "clusters": self.clusters,
            "stale": self.stale,
            "measured": self.measured,
        }


def along_route_m(route: Route, lat: float, lon: float) -> float:
    """How far along the route the point's nearest spot on it lies (m)."""
    # A local flat projection is exact enough for the few metres a rider is off the line.
    scale_x = math.cos(math.radians(lat)) * EARTH_RADIUS_M * math.pi / 180
    scale_y = EARTH_RADIUS_M * math.pi / 180
    x, y = (route.lon - lon) * scale_x, (route.lat - lat) * scale_y
    ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    px, py = ax + t * dx, ay + t * dy
    nearest = int(np.argmin(px * px + py * py))
    step = route.along_m[nearest + 1] - route.along_m[nearest]
    return float(route.along_m[nearest] + t[nearest] * step)


def group_state(
    members: list[MemberPosition],
    *,
    now_ms: int,
    split_distance_m: float,
    stale_after_s: float,
    route: Route | None = None,
) -> GroupState:
    """Centre, spread and clusters of the members heard from within the stale time."""
    cutoff = now_ms - stale_after_s * 1000
    active = [m for m in members if m.time_ms >= cutoff]
    stale = sorted(m.member for m in members if m.time_ms < cutoff)
    measured: Measure = "route" if route is not None else "straight"
    if not active:
        return GroupState(None, 0.0, [], stale, measured, {})
    centre = (
        round(sum(m.lat for m in active) / len(active), 7),
        round(sum(m.lon for m in active) / len(active), 7),
    )
    if route is not None:
        along = {m.member: along_route_m(route, m.lat, m.lon) for m in active}
        clusters, spread = _clusters_along(along, split_distance_m)
        return GroupState(centre, spread, clusters, stale, measured, along)
    clusters, spread = _clusters_straight(active, split_distance_m)
    return GroupState(centre, spread, clusters, stale, measured, {})


def _clusters_along(
    along: dict[str, float], split_distance_m: float
) -> tuple[list[list[str]], float]:
    """Riders sorted front first; a gap wider than the split distance starts a new cluster."""
    ordered = sorted(along.items(), key=lambda item: (-item[1], item[0]))
    clusters: list[list[str]] = [[ordered[0][0]]]
    for (_, ahead), (member, behind) in itertools.pairwise(ordered):
        if ahead - behind > split_distance_m:
            clusters.append([])
        clusters[-1].append(member)
    return clusters, ordered[0][1] - ordered[-1][1]


def _clusters_straight(
    active: list[MemberPosition], split_distance_m: float
) -> tuple[list[list[str]], float]:
    """Single-linkage clusters: riders within the split distance of each other, transitively."""
    lat = np.array([m.lat for m in active])
    lon = np.array([m.lon for m in active])
    distances = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    parent = list(range(len(active)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(distances <= split_distance_m), strict=True):
        parent[root(int(i))] = root(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(active)):
        groups.setdefault(root(i), []).append(i)
    # Largest cluster first (the main group), then by who is in it, so the order is stable.
    ordered = sorted(groups.values(), key=lambda g: (-len(g), min(active[i].member for i in g)))
    clusters = [sorted(active[i].member for i in group) for group in ordered]
    return clusters, float(distances.max())


def group_events(previous_clusters: int, state: GroupState) -> list[dict[str, Any]]:
    """A split when the active riders fall into more clusters than before, a regroup when
    into fewer; nothing when all are stale (silence is not a regroup)."""
    now = len(state.clusters)
    if now > max(1, previous_clusters):
        return [{"kind": "group_split", "clusters": state.clusters}]
    if 0 < now < previous_clusters:
        return [{"kind": "group_regroup", "clusters": state.clusters, "complete": now == 1}]
    return []
