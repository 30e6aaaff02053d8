"""Wire formats of the planner REST API (the room's frames are in docs/sync-protocol.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bikenode.planner.logic import MAX_NAME_CHARS, MAX_NOTES_CHARS, MAX_WAYPOINT_ID_CHARS

MAX_WAYPOINTS = 5_000


class WaypointIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=MAX_WAYPOINT_ID_CHARS)
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    name: str = Field(default="", max_length=MAX_NAME_CHARS)


class RouteCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    notes: str = Field(default="", max_length=MAX_NOTES_CHARS)
    waypoints: list[WaypointIn] = Field(default_factory=list, max_length=MAX_WAYPOINTS)

    @model_validator(mode="after")
    def _name_not_blank(self) -> RouteCreate:
        if not self.name.strip():
            raise ValueError("expected a route name, got only spaces")
        return self


class CollaboratorAdd(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    user_id: uuid.UUID | None = Field(default=None, strict=False)  # a UUID string in JSON
    email: str | None = Field(default=None, min_length=3, max_length=320)

    @model_validator(mode="after")
    def _exactly_one(self) -> CollaboratorAdd:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("expected exactly one of 'user_id' and 'email'")
        return self


class WaypointPublic(BaseModel):
    id: str
    lat_deg: float
    lon_deg: float
    name: str


class RoomPublic(BaseModel):
    """How a y-websocket client joins the route's room."""

    server_path: str = Field(description="the WebsocketProvider serverUrl's path (ws:// or wss://)")
    room: str = Field(description="the WebsocketProvider roomname")
    params: list[str] = Field(description="query parameters to send: token = an access token")
    ticket_path: str = Field(
        description="POST here for a single-use room ticket to send as ?ticket= instead of "
        "?token=, so that no access token travels in a URL"
    )


class RoomTicketPublic(BaseModel):
    """A single-use pass into a route's room: connect with ?ticket= before it expires."""

    ticket: str
    expires_at: datetime
    expires_in_s: int


class RouteListItem(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    role: Literal["owner", "collaborator"]
    created_at: datetime
    updated_at: datetime


class RoutePage(BaseModel):
    items: list[RouteListItem]


class RoutePublic(RouteListItem):
    notes: str
    waypoints: list[WaypointPublic]
    collaborators: list[uuid.UUID]
    room: RoomPublic


class CollaboratorPublic(BaseModel):
    route_id: uuid.UUID
    user_id: uuid.UUID
    added_at: datetime


MAX_DIRECTION_POINTS = 100  # one request routes at most 99 legs


class PointIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    lat_deg: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon_deg: float = Field(ge=-180, le=180, allow_inf_nan=False)


class DirectionsRequest(BaseModel):
    """Points in order; leg i joins points i and i + 1."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "points": [
                        {"lat_deg": 60.165, "lon_deg": 24.937},
                        {"lat_deg": 60.178, "lon_deg": 24.952},
                    ]
                }
            ]
        },
    )

    points: list[PointIn] = Field(min_length=2, max_length=MAX_DIRECTION_POINTS)
    straight_legs: list[int] = Field(
        default_factory=list,
        max_length=MAX_DIRECTION_POINTS,
        description="legs to draw as straight lines on purpose (e.g. a track missing from the map)",
    )

    @model_validator(mode="after")
    def _legs_exist(self) -> DirectionsRequest:
        legs = len(self.points) - 1
        wrong = [i for i in self.straight_legs if not 0 <= i < legs]
        if wrong:
            raise ValueError(f"expected straight_legs between 0 and {legs - 1}, got {wrong}")
        return self


class LegPublic(BaseModel):
    routed: bool = Field(description="true: follows ways of the routing graph; false: straight")
    notice: str = Field(description="why the leg is a straight line; empty when routed")
    distance_m: float
    path: list[tuple[float, float]] = Field(description="[lat, lon] degrees, in order")
    surfaces_m: dict[str, float]
    highways_m: dict[str, float]


class DirectionsPublic(BaseModel):
    engine: Literal["embedded", "valhalla", "none"]
    legs: list[LegPublic]
    distance_m: float
    duration_s: float = Field(description="at the bike profile's 18 km/h")
    ascent_m: float | None = Field(description="climbing; null without elevation data")
    elevation_notice: str
    surfaces_m: dict[str, float]
    highways_m: dict[str, float]


class RoutingGraphPublic(BaseModel):
    source: str
    source_sha256: str
    built_at: str
    nodes: int
    edges: int


class MapsStatusPublic(BaseModel):
    routing: RoutingGraphPublic | None = Field(description="null: no graph is imported")
    tile_url: str = Field(description="the tile URL browsers use; empty: a plain background")
    tile_proxy: bool
