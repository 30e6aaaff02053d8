"""The segments API: segments, their leaderboards, a ride's efforts and your own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from bikenode.errors import InvalidInput
from bikenode.segments import service
from bikenode.segments.access import OwnSegment, VisibleRide, VisibleSegment
from bikenode.segments.logic.boards import AGE_BANDS, WEIGHT_BANDS, parse_band
from bikenode.segments.schemas import (
    BestHistory,
    BoardEntry,
    EffortList,
    EffortPublic,
    HistoryEffort,
    Leaderboard,
    Period,
    RideEffort,
    RideEffortList,
    SegmentCreate,
    SegmentList,
    SegmentPublic,
    SegmentSummary,
)
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["segments"], route_class=StrictJSONRoute)


@router.post("/segments", status_code=status.HTTP_201_CREATED, response_model=SegmentPublic)
def create_segment(body: SegmentCreate, user: CurrentUser, session: SessionDep) -> SegmentPublic:
    """Create a segment from a stretch of one of your rides, or along a polyline."""
    if (body.from_ride is None) == (body.points is None):
        raise InvalidInput("expected either from_ride or points, got both or neither")
    if body.from_ride is not None:
        stretch = service.RideStretch(
            body.from_ride.start_index,
            body.from_ride.end_index,
            body.from_ride.start_m,
            body.from_ride.end_m,
        )
        segment = service.create_segment_from_ride(
            session,
            owner_id=user.id,
            ride_id=body.from_ride.ride_id,
            stretch=stretch,
            name=body.name,
            visibility=body.visibility,
        )
    else:
        segment = service.create_segment_from_points(
            session,
            owner_id=user.id,
            points=body.points or [],
            name=body.name,
            sport=body.sport,
            visibility=body.visibility,
        )
    return SegmentPublic.model_validate(segment)


@router.get("/segments", response_model=SegmentList)
def list_segments(
    user: CurrentUser,
    session: SessionDep,
    bbox: Annotated[
        str | None, Query(max_length=100, description="min_lon,min_lat,max_lon,max_lat")
    ] = None,
    near: Annotated[str | None, Query(max_length=60, description="lat,lon")] = None,
    radius_m: Annotated[float, Query(gt=0, le=50_000, allow_inf_nan=False)] = 2_000.0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SegmentList:
    """Segments starting in a bbox or near a point; yours without either."""
    box, point = _box(bbox), _point(near)
    rows = service.find_segments(
        session,
        viewer_id=user.id,
        box=box,
        near=(point[0], point[1], radius_m) if point else None,
        limit=limit,
    )
    return SegmentList(segments=[SegmentSummary.model_validate(r) for r in rows])


@router.get("/segments/efforts/mine", response_model=EffortList)
def my_efforts(
    user: CurrentUser, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> EffortList:
    """Your efforts, newest first."""
    rows = service.my_efforts(session, owner_id=user.id, limit=limit)
    return EffortList(efforts=[EffortPublic.model_validate(r) for r in rows])


@router.get("/segments/{segment_id}", response_model=SegmentPublic)
def get_segment(segment: VisibleSegment) -> SegmentPublic:
    """A public segment, or one of yours."""
    return SegmentPublic.model_validate(segment)


@router.delete("/segments/{segment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_segment(segment: OwnSegment, session: SessionDep) -> Response:
    """Delete one of your segments and every effort on it."""
    service.delete_segment(session, segment=segment)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/segments/{segment_id}/leaderboard", response_model=Leaderboard)
def get_leaderboard(
    segment: VisibleSegment,
    user: OptionalUser,
    session: SessionDep,
    period: Period = "all",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    club: Annotated[uuid.UUID | None, Query(description="only this club's members")] = None,
    age: Annotated[str | None, Query(max_length=8, description=", ".join(AGE_BANDS))] = None,
    weight: Annotated[
        str | None, Query(max_length=8, description="kg: " + ", ".join(WEIGHT_BANDS))
    ] = None,
) -> Leaderboard:
    """Each rider's best effort on the segment you may see, fastest first."""
    rows = service.leaderboard(
        session,
        segment=segment,
        viewer_id=user.id if user else None,
        period=period,
        limit=limit,
        club_id=club,
        classes=_classes(age, weight),
    )
    entries = [
        BoardEntry(
            rank=row.rank,
            rider_id=row.effort.owner_id,
            rider_name=row.rider_name,
            effort=EffortPublic.model_validate(row.effort),
        )
        for row in rows
    ]
    return Leaderboard(segment_id=segment.id, period=period, entries=entries)


@router.get("/segments/{segment_id}/efforts/mine", response_model=BestHistory)
def my_segment_history(
    segment: VisibleSegment, user: CurrentUser, session: SessionDep
) -> BestHistory:
    """Your efforts on the segment in the order ridden, personal bests marked."""
    rows = service.best_history(session, segment=segment, owner_id=user.id)
    return BestHistory(
        efforts=[
            HistoryEffort(**EffortPublic.model_validate(e).model_dump(), personal_best=best)
            for e, best in rows
        ]
    )


@router.get("/rides/{ride_id}/efforts", response_model=RideEffortList)
def ride_efforts(ride: VisibleRide, user: OptionalUser, session: SessionDep) -> RideEffortList:
    """The segments this ride passed, with each effort's times."""
    pairs = service.ride_efforts(session, access=ride, viewer_id=user.id if user else None)
    efforts = [
        RideEffort(
            **EffortPublic.model_validate(e).model_dump(),
            segment_name=s.name,
            segment_distance_m=s.distance_m,
        )
        for e, s in pairs
    ]
    return RideEffortList(efforts=efforts)


def _classes(age: str | None, weight: str | None) -> service.BoardClass | None:
    """The age and weight class asked, or None for the board of everyone."""
    if age is None and weight is None:
        return None
    try:
        return service.BoardClass(
            age=None if age is None else parse_band(age, AGE_BANDS, "age"),
            weight=None if weight is None else parse_band(weight, WEIGHT_BANDS, "weight"),
        )
    except ValueError as error:
        raise InvalidInput(str(error)) from error


def _box(text: str | None) -> tuple[float, float, float, float] | None:
    """min_lon,min_lat,max_lon,max_lat (the usual bbox order) as (lat, lon, lat, lon)."""
    if text is None:
        return None
    values = _numbers(text, 4, "bbox as min_lon,min_lat,max_lon,max_lat")
    return values[1], values[0], values[3], values[2]


def _point(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    lat, lon = _numbers(text, 2, "near as lat,lon")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"expected near within ±90, ±180 degrees, got {lat}, {lon}")
    return lat, lon


def _numbers(text: str, count: int, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count or not all(v == v and abs(v) != float("inf") for v in values):
        raise InvalidInput(f"expected {what}, got {text!r}")
    return values
