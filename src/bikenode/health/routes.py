"""The health API: daily metrics, alerts and readiness; only the rider sees their own."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse

from bikenode.errors import TooLarge
from bikenode.health import service
from bikenode.health.access import OwnAlert, OwnMetric, ReadableRider
from bikenode.health.logic.csv_rows import MAX_CSV_BYTES
from bikenode.health.logic.device_files import MAX_FIT_BYTES, is_fit
from bikenode.health.schemas import (
    AlertPublic,
    AlertsPublic,
    BaselinesPublic,
    Deleted,
    Imported,
    MetricName,
    MetricPublic,
    MetricsIn,
    MetricsPublic,
    ReadinessPublic,
    RrIn,
)
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.problems import problem_response
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1/health", tags=["health"], route_class=StrictJSONRoute)

From = Annotated[date, Query(alias="from", description="first day")]
To = Annotated[date, Query(alias="to", description="last day, included")]


@router.post("/metrics", status_code=status.HTTP_201_CREATED, response_model=MetricsPublic)
def record_metrics(body: MetricsIn, user: CurrentUser, session: SessionDep) -> MetricsPublic:
    """Record one or more daily values (a value for the same day, metric and source replaces it)."""
    entries = [service.MetricEntry(m.day, m.metric, m.value, m.source) for m in body.metrics]
    views = service.record_metrics(session, owner_id=user.id, entries=entries)
    return MetricsPublic(metrics=[_metric(view) for view in views])


@router.get("/metrics", response_model=MetricsPublic)
def list_metrics(
    start: From,
    end: To,
    owner_id: ReadableRider,
    session: SessionDep,
    metric: MetricName | None = None,
) -> MetricsPublic:
    """Your daily values over a range of days, of one metric or all."""
    views = service.list_metrics(session, owner_id=owner_id, start=start, end=end, metric=metric)
    return MetricsPublic(metrics=[_metric(view) for view in views])


@router.get("/baselines", response_model=BaselinesPublic)
def list_baselines(
    start: From, end: To, metric: MetricName, owner_id: ReadableRider, session: SessionDep
) -> BaselinesPublic:
    """Each day's baseline and usual range of a metric, per source (what alerts judge by)."""
    days = service.list_baselines(session, owner_id=owner_id, metric=metric, start=start, end=end)
    return BaselinesPublic.model_validate(
        {"metric": metric, "days": [dataclasses.asdict(day) for day in days]}
    )


@router.delete("/metrics", response_model=Deleted)
def delete_metrics_on(
    day: date, metric: MetricName, user: CurrentUser, session: SessionDep, source: str | None = None
) -> Deleted:
    """Delete your values of a metric on a day (of one source, or of all)."""
    count = service.delete_metrics_on(
        session, owner_id=user.id, day=day, metric=metric, source=source
    )
    return Deleted(deleted=count)


@router.delete("/metrics/{metric_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_metric(row: OwnMetric, session: SessionDep) -> Response:
    """Delete one of your daily values."""
    service.delete_metric(session, row=row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/metrics/import", status_code=status.HTTP_201_CREATED, response_model=Imported)
def import_metrics(
    file: Annotated[
        UploadFile,
        File(
            description="CSV (day,metric,value[,source]) or a FIT monitoring, weight or sleep file"
        ),
    ],
    user: CurrentUser,
    session: SessionDep,
) -> Imported | JSONResponse:
    """Import daily values from a CSV file (all of its lines, or none and a report per line)
    or from a device's FIT monitoring, weight or sleep file (the device as source)."""
    data = file.file.read(max(MAX_CSV_BYTES, MAX_FIT_BYTES) + 1)
    if is_fit(data):
        if len(data) > MAX_FIT_BYTES:
            raise TooLarge(f"expected a FIT health file of at most {MAX_FIT_BYTES} bytes")
        count, source = service.import_fit(session, owner_id=user.id, data=data)
        return Imported(imported=count, source=source)
    if len(data) > MAX_CSV_BYTES:
        raise TooLarge(f"expected a CSV file of at most {MAX_CSV_BYTES} bytes")
    try:
        count = service.import_csv(session, owner_id=user.id, data=data)
    except service.ImportRejected as rejected:
        errors = [dataclasses.asdict(error) for error in rejected.errors]
        return problem_response(422, rejected.detail, title="Invalid input", errors=errors)
    return Imported(imported=count)


@router.post("/metrics/rr", status_code=status.HTTP_201_CREATED, response_model=MetricPublic)
def record_rr_intervals(body: RrIn, user: CurrentUser, session: SessionDep) -> MetricPublic:
    """Record a day's HRV as the rMSSD of a recording of RR intervals (artefacts removed)."""
    view = service.record_rr_intervals(
        session, owner_id=user.id, day=body.day, source=body.source, rr_ms=body.rr_ms
    )
    return _metric(view)


@router.get("/alerts", response_model=AlertsPublic)
def list_alerts(owner_id: ReadableRider, session: SessionDep) -> AlertsPublic:
    """Your resting heart rate and HRV alerts, newest first, each explained."""
    views = service.list_alerts(session, owner_id=owner_id)
    return AlertsPublic(alerts=[_alert(view) for view in views])


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge_alert(row: OwnAlert, session: SessionDep) -> AlertPublic:
    """Mark one of your alerts as seen."""
    return _alert(service.acknowledge_alert(session, row=row))


@router.get("/readiness", response_model=ReadinessPublic)
def read_readiness(
    owner_id: ReadableRider, session: SessionDep, day: date | None = None
) -> ReadinessPublic:
    """Your readiness for a day (today by default): a named state and the factors behind it."""
    when = day or service.rider_today_of(session, owner_id=owner_id)
    result = service.get_readiness(session, owner_id=owner_id, day=when)
    return ReadinessPublic.model_validate(dataclasses.asdict(result))


def _metric(view: service.MetricView) -> MetricPublic:
    return MetricPublic.model_validate(dataclasses.asdict(view))


def _alert(view: service.AlertView) -> AlertPublic:
    return AlertPublic.model_validate(dataclasses.asdict(view))
