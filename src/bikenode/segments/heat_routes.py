"""The heatmaps API: your own heatmap tiles, the community's, and your heatmap settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from bikenode.segments import club_heat, community_heat, heatmaps
from bikenode.segments.schemas import HeatmapSettings
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

# Included by app.py on its own, not nested in segments' router: a nested route's path in the
# request scope lacks the outer prefix, and the app-token scope check reads that path.
router = APIRouter(prefix="/api/v1/heatmaps", tags=["heatmaps"], route_class=StrictJSONRoute)

PNG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "A 256 px PNG tile"}
}


def _tile_response(tile: heatmaps.Tile, cache_control: str) -> Response:
    headers = {"ETag": tile.etag, "Cache-Control": cache_control}
    if tile.png is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content=tile.png, media_type="image/png", headers=headers)


@router.get("/me/{z}/{x}/{y}.png", response_class=Response, responses=PNG)
def my_heatmap_tile(
    z: int,
    x: int,
    y: int,
    user: CurrentUser,
    session: SessionDep,
    bike: Annotated[uuid.UUID | None, Query()] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    if_none_match: Annotated[str | None, Header(max_length=2_000)] = None,
) -> Response:
    """A tile of your own heatmap: all your rides, or one bike's, or one year's."""
    tile = heatmaps.personal_tile(
        session,
        owner_id=user.id,
        z=z,
        x=x,
        y=y,
        tile_filter=heatmaps.TileFilter(bike_id=bike, year=year),
        if_none_match=if_none_match,
    )
    return _tile_response(tile, heatmaps.PERSONAL_CACHE_CONTROL)


@router.get("/community/{z}/{x}/{y}.png", response_class=Response, responses=PNG)
def community_heatmap_tile(
    z: int,
    x: int,
    y: int,
    user: CurrentUser,
    session: SessionDep,
    club: Annotated[uuid.UUID | None, Query(description="a club of yours")] = None,
    if_none_match: Annotated[str | None, Header(max_length=2_000)] = None,
) -> Response:
    """A tile of the community heatmap, or of a club's (differentially private)."""
    now = datetime.now(UTC)
    if club is not None:
        tile = club_heat.club_tile(
            session,
            club_id=club,
            viewer_id=user.id,
            place=(z, x, y),
            now=now,
            if_none_match=if_none_match,
        )
        return _tile_response(tile, club_heat.CLUB_CACHE_CONTROL)
    tile = community_heat.community_tile(
        session, z=z, x=x, y=y, now=now, if_none_match=if_none_match
    )
    return _tile_response(tile, community_heat.COMMUNITY_CACHE_CONTROL)


@router.get("/settings", response_model=HeatmapSettings)
def get_heatmap_settings(user: CurrentUser, session: SessionDep) -> HeatmapSettings:
    """Your heatmap settings."""
    return HeatmapSettings(community_opt_out=heatmaps.heat_settings(session, owner_id=user.id))


@router.put("/settings", response_model=HeatmapSettings)
def put_heatmap_settings(
    body: HeatmapSettings, user: CurrentUser, session: SessionDep
) -> HeatmapSettings:
    """Keep out of (or join) the community heatmap from its next weekly release."""
    opt_out = heatmaps.set_community_opt_out(
        session, owner_id=user.id, opt_out=body.community_opt_out
    )
    return HeatmapSettings(community_opt_out=opt_out)
