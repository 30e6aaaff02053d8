"""The clubs API's wire format, apart from the tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bikenode.social.logic import clubs as rules

# Text limits are checked on the cleaned text (rules); the wire allows room for trimming.
Sport = Literal["cycling", "road", "gravel", "mountain", "track", "indoor", "running", "other"]


class StrictModel(BaseModel):
    """Request bodies: strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class ClubCreate(StrictModel):
    name: str = Field(min_length=1, max_length=rules.MAX_NAME_CHARS * 2)
    description: str = Field(default="", max_length=rules.MAX_DESCRIPTION_CHARS * 2)
    sport: Sport = "cycling"
    place_name: str | None = Field(default=None, max_length=rules.MAX_PLACE_CHARS * 2)
    lat_deg: float | None = Field(default=None, ge=-90, le=90, description="rounded to ~1 km")
    lon_deg: float | None = Field(default=None, ge=-180, le=180, description="rounded to ~1 km")
    private: bool = Field(default=False, description="members only; join by request or invite")


class ClubUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=rules.MAX_NAME_CHARS * 2)
    description: str | None = Field(default=None, max_length=rules.MAX_DESCRIPTION_CHARS * 2)
    sport: Sport | None = None
    place_name: str | None = Field(default=None, max_length=rules.MAX_PLACE_CHARS * 2)
    lat_deg: float | None = Field(default=None, ge=-90, le=90)
    lon_deg: float | None = Field(default=None, ge=-180, le=180)
    private: bool | None = None


class ClubPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    sport: str
    place_name: str | None
    lat_deg: float | None
    lon_deg: float | None
    private: bool
    members: int = Field(description="active members")
    role: Literal["owner", "admin", "member"] | None = Field(description="your role, if a member")
    status: Literal["pending", "active"] | None = Field(description="your membership, if any")
    created_at: datetime
    avatar_url: str | None = Field(default=None, description="the club's avatar (PNG), if set")


class ClubList(BaseModel):
    items: list[ClubPublic]


class MembershipAnswer(BaseModel):
    status: Literal["pending", "active"]


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    display_name: str
    role: Literal["owner", "admin", "member"]
    status: Literal["pending", "active"]
    since: datetime


class MemberList(BaseModel):
    items: list[MemberPublic]


class InviteCreate(StrictModel):
    hours: int = Field(default=168, ge=1, le=24 * 30, description="how long the link works")


class InviteIssued(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    token: str = Field(description="shown once: whoever holds it may join")
    expires_at: datetime


class InvitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    expires_at: datetime


class InviteList(BaseModel):
    items: list[InvitePublic]


class InviteUse(StrictModel):
    token: str = Field(min_length=1, max_length=200)


class EventCreate(StrictModel):
    title: str = Field(min_length=1, max_length=rules.MAX_TITLE_CHARS * 2)
    starts_at: datetime = Field(strict=False, description="with a timezone; year 2100 at most")
    place_name: str | None = Field(default=None, max_length=rules.MAX_PLACE_CHARS * 2)
    lat_deg: float | None = Field(default=None, ge=-90, le=90, description="rounded to ~1 km")
    lon_deg: float | None = Field(default=None, ge=-180, le=180, description="rounded to ~1 km")
    route_id: uuid.UUID | None = Field(default=None, strict=False)
    live: bool = Field(default=False, description="open a live group ride with it")
    members_only: bool = Field(default=False, description="shown to the club's members only")


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    club_id: uuid.UUID
    title: str
    starts_at: datetime
    place_name: str | None
    lat_deg: float | None
    lon_deg: float | None
    route_id: uuid.UUID | None
    created_by: uuid.UUID
    going: int
    maybe: int
    no: int
    rsvp: Literal["going", "maybe", "no"] | None = Field(description="your answer, if any")
    members_only: bool = False
    live_group_id: uuid.UUID | None = Field(
        default=None, description="its live group ride (/live/groups/{id}); going riders join it"
    )


class EventList(BaseModel):
    items: list[EventPublic]


class RsvpBody(StrictModel):
    answer: Literal["going", "maybe", "no"]


class PostCreate(StrictModel):
    body: str = Field(min_length=1, max_length=rules.MAX_POST_CHARS * 2)


class PostPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    club_id: uuid.UUID
    user_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime


class PostPage(BaseModel):
    items: list[PostPublic]
    next_cursor: str | None


class LeaderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    place: int = Field(description="1 the first; the first 50 and your own are listed")
    user_id: uuid.UUID
    display_name: str
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float


class LeaderboardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    week: str = Field(description="ISO week, e.g. 2026-W49 (UTC)")
    starts_at: datetime
    board: Literal["distance", "time", "elevation"]
    rides: int = Field(description="the club's shared rides this week")
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float
    rows: list[LeaderPublic]
