"""Maps use cases: directions over the imported routing graph, and what the maps use."""

from __future__ import annotations

from dataclasses import asdict

from bikenode.config import Settings
from bikenode.planner import logic
from bikenode.planner.routing.plan import RoutePlan, plan_route
from bikenode.planner.routing.store import RouterCache
from bikenode.planner.schemas import (
    MAX_DIRECTION_POINTS,
    DirectionsPublic,
    LegPublic,
    MapsStatusPublic,
    RoutingGraphPublic,
)


def directions(
    routers: RouterCache,
    *,
    points: list[tuple[float, float]],
    straight_legs: frozenset[int] = frozenset(),
) -> DirectionsPublic:
    """The route through the points, routed where the graph allows, straight elsewhere."""
    loaded = routers.get()
    plan = plan_route(loaded[0] if loaded else None, points, straight_legs=straight_legs)
    return directions_public(plan, engine="embedded" if loaded else "none")


def route_plan(routers: RouterCache, content: logic.RouteContent) -> RoutePlan:
    """A stored route's plan (for exports): its waypoints routed as the planner shows them.

    Past MAX_DIRECTION_POINTS waypoints the rest are joined by straight lines, marked so.
    """
    loaded = routers.get()
    points = [(p.lat_deg, p.lon_deg) for p in content.waypoints]
    chosen = {i for i, point in enumerate(content.waypoints[:-1]) if point.straight}
    straight = frozenset(range(MAX_DIRECTION_POINTS - 1, max(len(points) - 1, 0))) | chosen
    return plan_route(loaded[0] if loaded else None, points, straight_legs=straight)


def directions_public(plan: RoutePlan, *, engine: str) -> DirectionsPublic:
    """The wire form of a plan."""
    legs = [
        LegPublic(
            routed=leg.routed,
            notice=leg.notice,
            distance_m=round(leg.distance_m, 1),
            path=[(round(lat, 7), round(lon, 7)) for lat, lon in leg.path],
            surfaces_m={k: round(v, 1) for k, v in leg.surfaces_m.items()},
            highways_m={k: round(v, 1) for k, v in leg.highways_m.items()},
        )
        for leg in plan.legs
    ]
    return DirectionsPublic(
        engine="embedded" if engine == "embedded" else "none",
        legs=legs,
        distance_m=round(plan.distance_m, 1),
        duration_s=round(plan.duration_s, 1),
        ascent_m=plan.ascent_m,
        elevation_notice=plan.elevation_notice,
        surfaces_m=plan.surfaces_m,
        highways_m=plan.highways_m,
    )


def maps_status(routers: RouterCache, *, settings: Settings) -> MapsStatusPublic:
    """The routing graph in use and the tile URL browsers are given."""
    loaded = routers.get()
    return MapsStatusPublic(
        routing=RoutingGraphPublic(**asdict(loaded[1])) if loaded else None,
        tile_url=settings.browser_map_tile_url,
        tile_proxy=settings.map_tile_proxy and bool(settings.map_tile_url),
    )
