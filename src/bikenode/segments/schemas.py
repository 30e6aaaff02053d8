"""The segments API's wire format."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bikenode.segments.logic.geometry import MAX_POINTS

SegmentVisibility = Literal["public", "private"]
Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-100_000, le=100_000)]
# [lat, lon] or [lat, lon, elevation_m]; ranges are checked by the service with a reason.
Point = Annotated[list[Coordinate], Field(min_length=2, max_length=3)]
Period = Literal["all", "year", "month"]


class SegmentFromRide(BaseModel):
    """A stretch of one of your rides: sample indices, or metres from the ride's start."""

    model_config = ConfigDict(strict=True, extra="forbid")

    ride_id: uuid.UUID = Field(strict=False)
    start_index: int | None = Field(default=None, ge=0, le=10_000_000)
    end_index: int | None = Field(default=None, ge=0, le=10_000_000)
    start_m: float | None = Field(default=None, ge=0, le=2_000_000, allow_inf_nan=False)
    end_m: float | None = Field(default=None, ge=0, le=2_000_000, allow_inf_nan=False)


class SegmentCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Old mill climb"])
    visibility: SegmentVisibility = "public"
    sport: str = Field(default="cycling", min_length=1, max_length=40)
    from_ride: SegmentFromRide | None = None
    points: list[Point] | None = Field(
        default=None,
        min_length=2,
        max_length=MAX_POINTS,
        description="[[lat, lon] or [lat, lon, elevation_m], ...] when not from a ride",
        examples=[[[46.0, 14.5], [46.0, 14.503], [46.001, 14.506]]],
    )


class SegmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    sport: str
    visibility: str
    distance_m: float
    elevation_gain_m: float | None
    avg_grade_pct: float | None
    start_lat: float
    start_lon: float
    end_lat: float
    end_lon: float
    points: list[list[float | None]]
    created_at: datetime


class SegmentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    sport: str
    visibility: str
    distance_m: float
    avg_grade_pct: float | None
    start_lat: float
    start_lon: float


class SegmentList(BaseModel):
    segments: list[SegmentSummary]


class EffortPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    segment_id: uuid.UUID
    ride_id: uuid.UUID
    started_at: datetime
    elapsed_s: float
    moving_s: float
    avg_power_w: float | None
    avg_hr_bpm: float | None


class RideEffort(EffortPublic):
    segment_name: str
    segment_distance_m: float


class RideEffortList(BaseModel):
    efforts: list[RideEffort]


class EffortList(BaseModel):
    efforts: list[EffortPublic]


class HistoryEffort(EffortPublic):
    personal_best: bool = Field(description="faster than every earlier effort of yours here")


class BestHistory(BaseModel):
    efforts: list[HistoryEffort]


class BoardEntry(BaseModel):
    rank: int
    rider_id: uuid.UUID
    rider_name: str
    effort: EffortPublic


class Leaderboard(BaseModel):
    segment_id: uuid.UUID
    period: Period
    entries: list[BoardEntry]


class HeatmapSettings(BaseModel):
    """The rider's heatmap settings: whether they keep out of the community heatmap."""

    model_config = ConfigDict(strict=True, extra="forbid")

    community_opt_out: bool
