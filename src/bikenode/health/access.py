"""The health rows a request may act on: only the rider's own (a coach they granted reads).

Someone else's value or alert answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from bikenode import fitness
from bikenode.errors import NotFound
from bikenode.health.models import HealthAlert, HealthMetric
from bikenode.web.dependencies import CurrentUser, SessionDep


def own_metric(metric_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> HealthMetric:
    """The caller's own metric value in the path; 404 otherwise."""
    row = session.get(HealthMetric, metric_id)
    if row is None or row.owner_id != user.id:
        raise NotFound("no such health value")
    return row


def own_alert(alert_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> HealthAlert:
    """The caller's own alert in the path; 404 otherwise."""
    row = session.get(HealthAlert, alert_id)
    if row is None or row.owner_id != user.id:
        raise NotFound("no such health alert")
    return row


RiderQuery = Annotated[
    uuid.UUID | None,
    Query(description="whose data to read: yours (left out) or an athlete's who made you coach"),
]


def readable_rider(session: SessionDep, user: CurrentUser, rider: RiderQuery = None) -> uuid.UUID:
    """The rider whose health data a GET reads: the caller, or an athlete who granted them
    coach access (fitness keeps the grants); anyone else answers 404 as a missing rider."""
    if rider is None or fitness.may_read_rider(session, viewer_id=user.id, rider_id=rider):
        return rider or user.id
    raise NotFound("no such rider")


OwnMetric = Annotated[HealthMetric, Depends(own_metric)]
OwnAlert = Annotated[HealthAlert, Depends(own_alert)]
ReadableRider = Annotated[uuid.UUID, Depends(readable_rider)]
