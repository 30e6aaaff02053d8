"""The fitness API: training load, power curve and models, thresholds, load settings."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from bikenode.errors import InvalidInput
from bikenode.fitness import coaching, reports, service
from bikenode.fitness.access import OwnCoach, OwnRideSignals, ReadableRider, RidePowerSeen
from bikenode.fitness.rules import DatedValue
from bikenode.fitness.schemas import (
    CoachGrantIn,
    CoachGrantPublic,
    CoachGrantsPublic,
    ForecastRequest,
    LoadDayPublic,
    LoadPublic,
    ModelFitPublic,
    ModelsPublic,
    PowerCurvePublic,
    ProfilePublic,
    ProfileUpdate,
    RecomputePublic,
    RideStressPublic,
    StressOverride,
    ThresholdsPublic,
    ThresholdsUpdate,
    ThresholdValue,
    WBalancePublic,
)
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["fitness"], route_class=StrictJSONRoute)

From = Annotated[date, Query(alias="from", description="first day, in your time zone")]
To = Annotated[date, Query(alias="to", description="last day, included")]


@router.get("/fitness/load", response_model=LoadPublic)
def read_load(start: From, end: To, owner_id: ReadableRider, session: SessionDep) -> LoadPublic:
    """Your daily training stress, fitness, fatigue, form and ramp rate."""
    days = reports.load_days(session, owner_id=owner_id, start=start, end=end)
    return LoadPublic(days=[_day(day) for day in days])


@router.post("/fitness/forecast", response_model=LoadPublic)
def forecast_load(body: ForecastRequest, user: CurrentUser, session: SessionDep) -> LoadPublic:
    """Your training load in the days ahead, riding a plan or as in the last four weeks."""
    days = reports.forecast_days(
        session, owner_id=user.id, days=body.days, planned_stress=body.planned_stress
    )
    return LoadPublic(days=[_day(day) for day in days])


@router.get("/fitness/power-curve", response_model=PowerCurvePublic)
def read_power_curve(
    start: From, end: To, owner_id: ReadableRider, session: SessionDep
) -> PowerCurvePublic:
    """Your best average power for each duration over a range of days, and whose ride."""
    curve = reports.power_curve(session, owner_id=owner_id, start=start, end=end)
    return PowerCurvePublic.model_validate(dataclasses.asdict(curve))


@router.get("/fitness/models", response_model=ModelsPublic)
def read_models(start: From, end: To, owner_id: ReadableRider, session: SessionDep) -> ModelsPublic:
    """CP, W', Pmax and estimated FTP fitted to your power curve, or why a fit was refused."""
    report = reports.power_models(session, owner_id=owner_id, start=start, end=end)
    fits = [
        ModelFitPublic.model_validate({**dataclasses.asdict(fit), "refused": fit.refused or None})
        for fit in report.fits
    ]
    return ModelsPublic(rides_with_power=report.curve_rides, fits=fits)


@router.get("/fitness/thresholds", response_model=ThresholdsPublic)
def read_thresholds(owner_id: ReadableRider, session: SessionDep) -> ThresholdsPublic:
    """Your dated FTP and heart-rate thresholds, and the last recomputation they started."""
    values = service.list_thresholds(session, owner_id=owner_id)
    return _thresholds(session, owner_id, values)


@router.put("/fitness/thresholds", response_model=ThresholdsPublic)
def replace_thresholds(
    body: ThresholdsUpdate, request: Request, user: CurrentUser, session: SessionDep
) -> ThresholdsPublic:
    """Replace your threshold history; the rides it affects are recomputed in the background."""
    wanted = [DatedValue(v.kind, v.valid_from, v.value) for v in body.values]
    values = service.replace_thresholds(session, owner_id=user.id, values=wanted)
    request.app.state.worker.wake()
    return _thresholds(session, user.id, values)


@router.get("/fitness/recompute", response_model=RecomputePublic)
def read_recompute(owner_id: ReadableRider, session: SessionDep) -> RecomputePublic:
    """Where the recomputation of your ride figures after a threshold change stands."""
    view = service.recompute_status(session, owner_id=owner_id)
    return RecomputePublic.model_validate(dataclasses.asdict(view))


@router.get("/fitness/profile", response_model=ProfilePublic)
def read_profile(owner_id: ReadableRider, session: SessionDep) -> ProfilePublic:
    """Your training load settings: time constants, same-day form, starting values."""
    return ProfilePublic.model_validate(service.get_profile(session, owner_id=owner_id))


@router.put("/fitness/profile", response_model=ProfilePublic)
def update_profile(body: ProfileUpdate, user: CurrentUser, session: SessionDep) -> ProfilePublic:
    """Change your training load settings (fields left out stay as they are)."""
    changes = body.model_dump(exclude_unset=True)
    profile = service.update_profile(session, owner_id=user.id, changes=changes)
    return ProfilePublic.model_validate(profile)


@router.get("/fitness/rides/{ride_id}/stress", response_model=RideStressPublic)
def read_ride_stress(ride: OwnRideSignals, session: SessionDep) -> RideStressPublic:
    """The training stress one of your rides counts with: computed, and your own figure if set."""
    row = service.ride_stress(session, signals=ride)
    return RideStressPublic.model_validate(row, from_attributes=True)


@router.put("/fitness/rides/{ride_id}/stress", response_model=RideStressPublic)
def set_ride_stress(
    ride: OwnRideSignals, body: StressOverride, session: SessionDep
) -> RideStressPublic:
    """Count your own stress figure for one of your rides instead of the computed one."""
    row = service.set_stress_override(session, signals=ride, stress=body.stress)
    return RideStressPublic.model_validate(row, from_attributes=True)


@router.delete("/fitness/rides/{ride_id}/stress", status_code=status.HTTP_204_NO_CONTENT)
def clear_ride_stress(ride: OwnRideSignals, session: SessionDep) -> Response:
    """Count the computed stress of one of your rides again."""
    service.set_stress_override(session, signals=ride, stress=None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/rides/{ride_id}/w-balance", response_model=WBalancePublic)
def read_w_balance(
    seen: RidePowerSeen, session: SessionDep, viewer: OptionalUser
) -> WBalancePublic:
    """W' balance of a ride: lowest balance, largest share used and hard efforts."""
    report = reports.w_balance(session, seen=seen, viewer_id=viewer.id if viewer else None)
    return WBalancePublic.model_validate(dataclasses.asdict(report))


@router.post("/me/coaches", status_code=status.HTTP_201_CREATED, response_model=CoachGrantPublic)
def grant_coach(
    body: CoachGrantIn, request: Request, user: CurrentUser, session: SessionDep
) -> CoachGrantPublic:
    """Let another user (by id or e-mail address) read your fitness and health data."""
    if (body.user_id is None) == (body.email is None):
        raise InvalidInput("expected exactly one of user_id and email")
    view = coaching.grant_coach(
        session,
        athlete_id=user.id,
        coach_id=body.user_id,
        email=body.email,
        client_ip=request.client.host if request.client else None,
    )
    return CoachGrantPublic.model_validate(dataclasses.asdict(view))


@router.get("/me/coaches", response_model=CoachGrantsPublic)
def list_coaches(user: CurrentUser, session: SessionDep) -> CoachGrantsPublic:
    """The users who may read your fitness and health data."""
    return _grants(coaching.list_coaches(session, athlete_id=user.id))


@router.delete("/me/coaches/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_coach(
    user_id: OwnCoach, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """End a coach's read access to your fitness and health data."""
    client_ip = request.client.host if request.client else None
    coaching.revoke_coach(session, athlete_id=user.id, coach_id=user_id, client_ip=client_ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/athletes", response_model=CoachGrantsPublic)
def list_athletes(user: CurrentUser, session: SessionDep) -> CoachGrantsPublic:
    """The riders who let you read their data (pass one's id as ?rider= to read it)."""
    return _grants(coaching.list_athletes(session, coach_id=user.id))


def _grants(views: list[coaching.CoachGrantView]) -> CoachGrantsPublic:
    return CoachGrantsPublic(
        users=[CoachGrantPublic.model_validate(dataclasses.asdict(v)) for v in views]
    )


def _day(day: reports.LoadDay) -> LoadDayPublic:
    return LoadDayPublic.model_validate(dataclasses.asdict(day))


def _thresholds(
    session: SessionDep, owner_id: uuid.UUID, values: list[DatedValue]
) -> ThresholdsPublic:
    view = service.recompute_status(session, owner_id=owner_id)
    return ThresholdsPublic(
        values=[
            ThresholdValue(kind=v.kind, value=v.value, valid_from=v.valid_from) for v in values
        ],
        recompute=RecomputePublic.model_validate(dataclasses.asdict(view)),
    )
