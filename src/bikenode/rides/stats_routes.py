"""Read-only ride statistics for the dashboard: volume per week, per year and in all; records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bikenode.db.base import utcnow
from bikenode.rides import service
from bikenode.rides.logic.records import RideEfforts
from bikenode.web.dependencies import CurrentUser, SessionDep

router = APIRouter(prefix="/api/v1", tags=["rides"])


class VolumePublic(BaseModel):
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float


class WeekVolume(VolumePublic):
    week_start: date = Field(description="the Monday the week starts on, in your timezone")


class YearVolume(VolumePublic):
    year: int = Field(description="the calendar year, in your timezone")


class RideStatsPublic(BaseModel):
    timezone: str = Field(description="the timezone that weeks and years are counted in")
    this_week: VolumePublic
    this_year: VolumePublic
    all_time: VolumePublic = Field(description="every ride, untimed ones included")
    weeks: list[WeekVolume] = Field(description="the last 53 weeks, oldest first")
    years: list[YearVolume] = Field(description="every year with a ride, newest first")


class RecordRide(BaseModel):
    id: uuid.UUID
    name: str
    started_at: datetime | None


class PowerRecordPublic(BaseModel):
    duration_s: int
    power_w: float = Field(description="the highest average power held for duration_s")
    ride: RecordRide


class DistanceRecordPublic(BaseModel):
    distance_m: float
    duration_s: float = Field(description="the shortest time to cover distance_m")
    ride: RecordRide


class PersonalRecordsPublic(BaseModel):
    best_power: list[PowerRecordPublic] = Field(description="shortest duration first")
    fastest: list[DistanceRecordPublic] = Field(description="shortest distance first")


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
    """Your riding volume this week, this year, per week over the last year, per year, in all."""
    stats = service.ride_stats(
        session, owner_id=user.id, timezone=user.timezone, now=utcnow(), public=view == "public"
    )
    return RideStatsPublic(
        timezone=user.timezone,
        this_week=_volume(stats.week),
        this_year=_volume(stats.year),
        all_time=_volume(stats.all_time),
        weeks=[
            WeekVolume(week_start=start, **_volume(volume).model_dump())
            for start, volume in stats.weeks
        ],
        years=[
            YearVolume(year=year, **_volume(volume).model_dump()) for year, volume in stats.years
        ],
    )


def _ride(ride: RideEfforts) -> RecordRide:
    return RecordRide(id=ride.ride_id, name=ride.name, started_at=ride.started_at)


class SportCount(BaseModel):
    sport: str
    rides: int


@router.get("/rides/sports", response_model=list[SportCount])
def read_my_sports(user: CurrentUser, session: SessionDep) -> list[SportCount]:
    """The sports of your rides with how many rides each, the most ridden first."""
    rows = service.rider_sports(session, owner_id=user.id)
    return [SportCount(sport=sport, rides=n) for sport, n in rows]


@router.get("/rides/records", response_model=PersonalRecordsPublic)
def read_personal_records(user: CurrentUser, session: SessionDep) -> PersonalRecordsPublic:
    """Your best efforts over all your rides, each with the ride it came from."""
    records = service.personal_records(session, owner_id=user.id)
    return PersonalRecordsPublic(
        best_power=[
            PowerRecordPublic(duration_s=r.duration_s, power_w=r.power_w, ride=_ride(r.ride))
            for r in records.best_power
        ],
        fastest=[
            DistanceRecordPublic(
                distance_m=r.distance_m, duration_s=r.duration_s, ride=_ride(r.ride)
            )
            for r in records.fastest
        ],
    )
