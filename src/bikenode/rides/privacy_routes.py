"""The privacy zones API: circles cut from every output of the rider's rides."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from bikenode.rides import privacy
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["privacy"], route_class=StrictJSONRoute)


class PrivacyZoneCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=100, examples=["home"])
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)
    radius_m: float = Field(
        ge=privacy.MIN_RADIUS_M, le=privacy.MAX_RADIUS_M, description="the circle to hide"
    )


class PrivacyZonePublic(BaseModel):
    """A zone as its owner drew it; the secret offset of its cut is never shown."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    created_at: datetime


@router.get("/privacy-zones", response_model=list[PrivacyZonePublic])
def list_privacy_zones(user: CurrentUser, session: SessionDep) -> list[PrivacyZonePublic]:
    """Your privacy zones."""
    zones = privacy.list_zones(session, owner_id=user.id)
    return [PrivacyZonePublic.model_validate(zone) for zone in zones]


@router.post(
    "/privacy-zones", status_code=status.HTTP_201_CREATED, response_model=PrivacyZonePublic
)
def create_privacy_zone(
    body: PrivacyZoneCreate, user: CurrentUser, session: SessionDep
) -> PrivacyZonePublic:
    """Hide a circle (home, work) from every output of your rides that others see."""
    zone = privacy.create_zone(session, owner_id=user.id, **body.model_dump())
    return PrivacyZonePublic.model_validate(zone)


@router.delete("/privacy-zones/{zone_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_privacy_zone(zone_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Remove one of your privacy zones."""
    privacy.delete_zone(session, owner_id=user.id, zone_id=zone_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
