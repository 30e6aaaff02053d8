"""A route's legs: routed over the graph where it can, straight lines where it cannot.

A leg that cannot be routed (no graph imported, a waypoint far from any way, no path) is a
straight line with the reason, never a failure of the whole route; a rider may also ask for
a straight leg on purpose (a gravel track missing from the map). No I/O here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np

from bikenode.planner.routing.graph import BIKE_SPEED_MPS, Leg, NotRoutable, haversine_m

NO_ELEVATION: Final = (
    "no elevation data: the routing graph has none and no elevation model is configured"
)
NO_GRAPH: Final = "no routing graph is imported on this server (bikenode maps import)"
ON_PURPOSE: Final = "a straight line, as asked"


class LegRouter(Protocol):
    """An engine that routes one leg (the embedded Router, or an external engine's client)."""

    def leg(self, start: tuple[float, float], end: tuple[float, float]) -> Leg:
        """The leg between two positions; NotRoutable when there is none."""
        ...


@dataclass(frozen=True)
class PlanLeg:
    """One leg: its path, length, whether it follows ways, and why not when it does not."""

    path: list[tuple[float, float]]
    distance_m: float
    routed: bool
    notice: str = ""
    surfaces_m: dict[str, float] = field(default_factory=dict)
    highways_m: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutePlan:
    """All legs in order, with totals; climbing is None without elevation data."""

    legs: list[PlanLeg]
    distance_m: float
    duration_s: float
    ascent_m: float | None
    elevation_notice: str
    surfaces_m: dict[str, float]
    highways_m: dict[str, float]

    @property
    def path(self) -> list[tuple[float, float]]:
        """The whole route's positions, each leg's first one left out after the first leg."""
        points: list[tuple[float, float]] = []
        for leg in self.legs:
            points.extend(leg.path[1:] if points else leg.path)
        return points


def plan_route(
    router: LegRouter | None,
    points: list[tuple[float, float]],
    *,
    straight_legs: frozenset[int] = frozenset(),
) -> RoutePlan:
    """The legs between consecutive points; leg i joins points i and i + 1."""
    legs = [
        _leg(router, start, end, straight=index in straight_legs)
        for index, (start, end) in enumerate(itertools.pairwise(points))
    ]
    distance = sum(leg.distance_m for leg in legs)
    return RoutePlan(
        legs=legs,
        distance_m=distance,
        duration_s=distance / BIKE_SPEED_MPS,
        ascent_m=None,
        elevation_notice=NO_ELEVATION,
        surfaces_m=_sum([leg.surfaces_m for leg in legs]),
        highways_m=_sum([leg.highways_m for leg in legs]),
    )


def _leg(
    router: LegRouter | None,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    straight: bool,
) -> PlanLeg:
    if straight or router is None:
        return _straight(start, end, ON_PURPOSE if straight else NO_GRAPH)
    try:
        leg = router.leg(start, end)
    except NotRoutable as error:
        return _straight(start, end, str(error))
    # The path runs from the snapped nodes; the waypoints themselves start and end it.
    path = [start, *leg.path, end]
    ends = haversine_m(
        np.array([start[0], end[0]]),
        np.array([start[1], end[1]]),
        np.array([leg.path[0][0], leg.path[-1][0]]),
        np.array([leg.path[0][1], leg.path[-1][1]]),
    )
    return PlanLeg(
        path, leg.distance_m + float(ends.sum()), True, "", leg.surfaces_m, leg.highways_m
    )


def _straight(start: tuple[float, float], end: tuple[float, float], notice: str) -> PlanLeg:
    distance = haversine_m(
        np.array([start[0]]), np.array([start[1]]), np.array([end[0]]), np.array([end[1]])
    )
    return PlanLeg([start, end], float(distance[0]), False, notice)


def _sum(parts: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for part in parts:
        for key, metres in part.items():
            total[key] = total.get(key, 0.0) + metres
    return {key: round(metres, 1) for key, metres in sorted(total.items(), key=lambda kv: -kv[1])}
