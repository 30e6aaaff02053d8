"""Read-only ride statistics for the dashboard: volume this week, this year and per week."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bikenode.db.base import utcnow
from bikenode.rides import service
from bikenode.web.dependencies import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["rides"])


class VolumePublic(BaseModel):
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float


class WeekVolume(VolumePublic):
    week_start: date = Field(description="the Monday the week starts on, in your timezone")


class RideStatsPublic(BaseModel):
    timezone: str = Field(description="the timezone that weeks and years are counted in")
    this_week: VolumePublic
    this_year: VolumePublic
    weeks: list[WeekVolume] = Field(description="the last 53 weeks, oldest first")


def _volume(volume: service.Volume) -> VolumePublic:
    return VolumePublic(
        rides=volume.rides,
        distance_m=volume.distance_m,
        moving_time_s=volume.moving_time_s,
        elevation_gain_m=volume.elevation_gain_m,
    )


@router.get("/rides/stats", response_model=RideStatsPublic)
def read_ride_stats(
    user: CurrentUser, session: SessionDep, view: Literal["own", "public"] = "own"
) -> RideStatsPublic:
    """Your riding volume this week, this year and per week over the last year."""
    stats = service.ride_stats(
        session, owner_id=user.id, timezone=user.timezone, now=utcnow(), public=view == "public"
    )
    return RideStatsPublic(
        timezone=user.timezone,
        this_week=_volume(stats.week),
        this_year=_volume(stats.year),
        weeks=[
            WeekVolume(week_start=start, **_volume(volume).model_dump())
            for start, volume in stats.weeks
        ],
    )
