"""Wire formats of the rides API (kept apart from the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Visibility = Literal["private", "followers", "public"]
SortKey = Literal["started_at", "distance_m", "moving_time_s", "elevation_gain_m", "name"]


class RideUpdate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    sport: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9_]+$",
        examples=["gravel_cycling"],
        description="cycling, virtual_cycling, ebike, gravel_cycling, mountain_biking, ...",
    )
    visibility: Visibility | None = None
    commute: bool | None = None
    started_at: AwareDatetime | None = Field(
        default=None,
        strict=False,  # an ISO 8601 string in JSON
        description="when an untimed ride took place (a ride with timestamps keeps its own)",
    )
    share_health: bool | None = Field(
        default=None,
        description="show this ride's heart rate and power to others: true, false, or null "
        "to follow your share_health_by_default",
    )


class BoundingBox(BaseModel):
    min_lat_deg: float
    min_lon_deg: float
    max_lat_deg: float
    max_lon_deg: float


class RideListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    sport: str
    commute: bool
    visibility: Visibility
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elapsed_time_s: float | None
    elevation_gain_m: float | None
    has_position: bool


class RidePublic(RideListItem):
    """A ride as its owner sees it: everything."""

    owner_id: uuid.UUID
    description: str
    sub_sport: str | None
    source: str
    device: str | None
    point_count: int
    source_format: str
    summary: dict[str, Any] = Field(description="analytics: speeds, heart rate, power, efforts...")
    import_notes: list[str] = Field(description="what the import cleaned or tolerated")
    created_at: datetime
    share_health: bool | None = Field(
        description="this ride's choice of showing heart rate and power to others (null: "
        "your default)"
    )
    health_shared: bool = Field(description="whether others see heart rate and power now")


class RidePublicView(BaseModel):
    """A ride as anyone but its owner sees it: no ids of the owner, their uploads or devices,
    figures cut by privacy zones, heart rate and power only if the rider shares them."""

    id: uuid.UUID
    owner_name: str = Field(description="the rider's display name")
    name: str
    description: str
    sport: str
    sub_sport: str | None
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elapsed_time_s: float | None
    elevation_gain_m: float | None
    has_position: bool
    point_count: int
    source_format: str
    health_shared: bool = Field(description="whether heart rate and power are shown")
    summary: dict[str, Any] = Field(description="analytics others may see")


class RidePage(BaseModel):
    items: list[RideListItem]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class StreamsPublic(BaseModel):
    point_count: int = Field(description="points in the stored ride")
    returned_points: int
    streams: dict[str, list[float | None]]
    withheld: dict[str, str] = Field(
        description="streams kept from you, with the reason (heart rate and power of a rider "
        "who does not share them)"
    )


class UploadItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entry: str
    status: Literal["imported", "duplicate", "failed"]
    reason: str | None
    ride_id: uuid.UUID | None
    duplicate_of: uuid.UUID | None
    mergeable_streams: list[str]
    warnings: list[str]


class UploadSummary(BaseModel):
    id: uuid.UUID
    filename: str
    status: Literal["receiving", "queued", "processing", "done", "failed"]
    size_bytes: int
    received_bytes: int
    archive_kind: str | None
    note: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    counts: dict[str, int] = Field(description="how many of its files ended in each status")


class UploadPublic(UploadSummary):
    items: list[UploadItemPublic]


class UploadPage(BaseModel):
    items: list[UploadSummary] = Field(description="newest first; each file's result: GET one")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class UploadsCreated(BaseModel):
    uploads: list[UploadPublic]
