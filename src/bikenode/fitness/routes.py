"""The fitness API: training load, power curve and models, thresholds, load settings."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from bikenode.fitness import reports, service
from bikenode.fitness.access import OwnRideSignals, RidePowerSeen
from bikenode.fitness.rules import DatedValue
from bikenode.fitness.schemas import (
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
def read_load(start: From, end: To, user: CurrentUser, session: SessionDep) -> LoadPublic:
    """Your daily training stress, fitness, fatigue, form and ramp rate."""
    days = reports.load_days(session, owner_id=user.id, start=start, end=end)
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
    start: From, end: To, user: CurrentUser, session: SessionDep
) -> PowerCurvePublic:
    """Your best average power for each duration over a range of days, and whose ride."""
    curve = reports.power_curve(session, owner_id=user.id, start=start, end=end)
    return PowerCurvePublic.model_validate(dataclasses.asdict(curve))


@router.get("/fitness/models", response_model=ModelsPublic)
def read_models(start: From, end: To, user: CurrentUser, session: SessionDep) -> ModelsPublic:
    """CP, W', Pmax and estimated FTP fitted to your power curve, or why a fit was refused."""
    report = reports.power_models(session, owner_id=user.id, start=start, end=end)
    fits = [
        ModelFitPublic.model_validate({**dataclasses.asdict(fit), "refused": fit.refused or None})
        for fit in report.fits
    ]
    return ModelsPublic(rides_with_power=report.curve_rides, fits=fits)


@router.get("/fitness/thresholds", response_model=ThresholdsPublic)
def read_thresholds(user: CurrentUser, session: SessionDep) -> ThresholdsPublic:
    """Your dated FTP and heart-rate thresholds, and the last recomputation they started."""
    values = service.list_thresholds(session, owner_id=user.id)
    return _thresholds(session, user.id, values)


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
def read_recompute(user: CurrentUser, session: SessionDep) -> RecomputePublic:
    """Where the recomputation of your ride figures after a threshold change stands."""
    view = service.recompute_status(session, owner_id=user.id)
    return RecomputePublic.model_validate(dataclasses.asdict(view))


@router.get("/fitness/profile", response_model=ProfilePublic)
def read_profile(user: CurrentUser, session: SessionDep) -> ProfilePublic:
    """Your training load settings: time constants, same-day form, starting values."""
    return ProfilePublic.model_validate(service.get_profile(session, owner_id=user.id))


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
