"""Maps use cases: directions over the imported routing graph, and what the maps use."""

from __future__ import annotations

from dataclasses import asdict

from bikenode.config import Settings
from bikenode.planner import logic
from bikenode.planner.routing.plan import LegRouter, RoutePlan, plan_route
from bikenode.planner.routing.store import RouterCache
from bikenode.planner.routing.valhalla import ValhallaRouter
from bikenode.planner.schemas import (
    MAX_DIRECTION_POINTS,
    DirectionsPublic,
    LegPublic,
    MapsStatusPublic,
    RoutingGraphPublic,
)


def directions(
    routers: Engines,
    *,
    points: list[tuple[float, float]],
    straight_legs: frozenset[int] = frozenset(),
) -> DirectionsPublic:
    """The route through the points, routed where the graph allows, straight elsewhere."""
    router, engine = _engine(routers)
    plan = plan_route(router, points, straight_legs=straight_legs)
    return directions_public(plan, engine=engine)


def route_plan(routers: Engines, content: logic.RouteContent) -> RoutePlan:
    """A stored route's plan (for exports): its waypoints routed as the planner shows them.

    Past MAX_DIRECTION_POINTS waypoints the rest are joined by straight lines, marked so.
    """
    router, _ = _engine(routers)
    points = [(p.lat_deg, p.lon_deg) for p in content.waypoints]
    chosen = {i for i, point in enumerate(content.waypoints[:-1]) if point.straight}
    straight = frozenset(range(MAX_DIRECTION_POINTS - 1, max(len(points) - 1, 0))) | chosen
    return plan_route(router, points, straight_legs=straight)


Engines = RouterCache | ValhallaRouter


def routing_engine(settings: Settings) -> Engines:
    """The configured engine: the data folder's graph, or a Valhalla server."""
    if settings.routing_engine == "valhalla":
        return ValhallaRouter(settings.routing_url, timeout_s=settings.routing_timeout_s)
    return RouterCache(settings.data_dir)


def _engine(routers: Engines) -> tuple[LegRouter | None, str]:
    if isinstance(routers, ValhallaRouter):
        return routers, "valhalla"
    loaded = routers.get()
    return (loaded[0], "embedded") if loaded else (None, "none")


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
        engine="embedded"
        if engine == "embedded"
        else "valhalla"
        if engine == "valhalla"
        else "none",
        legs=legs,
        distance_m=round(plan.distance_m, 1),
        duration_s=round(plan.duration_s, 1),
        ascent_m=plan.ascent_m,
        elevation_notice=plan.elevation_notice,
        surfaces_m=plan.surfaces_m,
        highways_m=plan.highways_m,
    )


def maps_status(routers: Engines, *, settings: Settings) -> MapsStatusPublic:
    """The routing graph in use and the tile URL browsers are given."""
    loaded = routers.get() if isinstance(routers, RouterCache) else None
    return MapsStatusPublic(
        routing=RoutingGraphPublic(**asdict(loaded[1])) if loaded else None,
        tile_url=settings.browser_map_tile_url,
        tile_proxy=settings.map_tile_proxy and bool(settings.map_tile_url),
    )
