"""Maps: routing directions over the imported graph, its status, and proxied base-map tiles."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bikenode.config import Settings
from bikenode.planner import maps
from bikenode.planner.schemas import DirectionsPublic, DirectionsRequest, MapsStatusPublic
from bikenode.planner.tiles import PROXY_PATH, TileProxy
from bikenode.web.dependencies import CurrentUser
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1/maps", tags=["maps"], route_class=StrictJSONRoute)
tiles_router = APIRouter(include_in_schema=False)


def _routers(request: Request) -> maps.Engines:
    return request.app.state.routing  # type: ignore[no-any-return]


@router.post("/directions", response_model=DirectionsPublic)
def directions(request: Request, body: DirectionsRequest, user: CurrentUser) -> DirectionsPublic:
    """Legs between the points, along ways suited to a bike where the graph has them."""
    return maps.directions(
        _routers(request),
        points=[(p.lat_deg, p.lon_deg) for p in body.points],
        straight_legs=frozenset(body.straight_legs),
    )


@router.get("/status", response_model=MapsStatusPublic)
def maps_status(request: Request, user: CurrentUser) -> MapsStatusPublic:
    """The routing graph in use and the base map's tile source."""
    settings: Settings = request.app.state.settings
    return maps.maps_status(_routers(request), settings=settings)


@tiles_router.get(PROXY_PATH)
def proxied_tile(request: Request, z: int, x: int, y: int) -> Response:
    """One base-map tile through this server's cache (map_tile_proxy)."""
    proxy: TileProxy | None = request.app.state.tile_proxy
    if proxy is None:
        return Response(status_code=404)
    tile = proxy.tile(z, x, y)
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(tile.body, media_type=tile.media_type, headers=headers)
