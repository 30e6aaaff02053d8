"""Wire formats of the live REST API (the WebSocket frames are in docs/live-protocol.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LiveVisibility = Literal["private", "public"]


class LiveSessionCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(default="", max_length=200)
    visibility: LiveVisibility = "private"
    group_id: uuid.UUID | None = Field(default=None, strict=False)  # a UUID string in JSON


class LiveSessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    visibility: LiveVisibility
    status: Literal["live", "ended"]
    group_id: uuid.UUID | None
    ride_id: uuid.UUID | None
    started_at: datetime
    ended_at: datetime | None
    ride_socket: str
    watch_socket: str


class LiveSessionPage(BaseModel):
    items: list[LiveSessionPublic] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class ShareCreated(BaseModel):
    id: uuid.UUID
    token: str = Field(description="shown once; viewers send it as 'share' in their hello")
    watch_url: str


class SharePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    revoked_at: datetime | None


class GroupCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=200)
    visibility: LiveVisibility = "private"
    split_distance_m: float = Field(default=500.0, gt=0, le=100_000)
    stale_after_s: float = Field(default=60.0, gt=0, le=3600)
    route: list[list[float]] | None = Field(
        default=None,
        min_length=2,
        max_length=20_000,
        description="[[lat, lon], ...] the group follows: splits are measured along it",
    )

    @field_validator("route")
    @classmethod
    def _route_points(cls, route: list[list[float]] | None) -> list[list[float]] | None:
        for index, point in enumerate(route or []):
            if len(point) != 2 or not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
                raise ValueError(f"expected [lat, lon] in degrees at route[{index}], got {point}")
        return route


class GroupMemberAdd(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    display_name: str = Field(
        default="", max_length=100, description="how the group sees them (never the e-mail)"
    )


class GroupPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    visibility: LiveVisibility
    split_distance_m: float
    stale_after_s: float
    route_points: int = Field(description="points in the group's route (0: none)")
    watch_socket: str
    created_at: datetime


class DeviceCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80, description="e.g. 'OsmAnd on my phone'")


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    live_session_id: uuid.UUID | None = Field(
        default=None, description="the live ride its positions go to now, if one is live"
    )


class DeviceCreated(DevicePublic):
    token: str = Field(description="shown once: the app sends it as 'id' (its device identifier)")
    ingest_url: str = Field(description="the OsmAnd-protocol address, relative to this server")
    mqtt_topic: str = Field(
        description="over MQTT: publish positions here (QoS 1), user name the device id, "
        "password the token"
    )


class CrashSettingsUpdate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    enabled: bool
    still_s: float = Field(default=75.0, ge=30, le=600, description="stillness before a warning")
    cancel_s: float = Field(default=60.0, ge=30, le=300, description="the window to cancel")


class CrashSettingsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enabled: bool
    still_s: float
    cancel_s: float


class CrashContactCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    # A plain shape check: the "you were added" e-mail is the real test of an address.
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CrashContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    told_at: datetime | None
    opted_out_at: datetime | None
    created_at: datetime


class CrashAlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    session_id: uuid.UUID
    status: Literal["warned", "cancelled", "cleared", "sent"]
    lat: float
    lon: float
    cancel_by: datetime
    created_at: datetime
    finished_at: datetime | None
