"""Wire formats of the bikes REST API (kept apart from the tables)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bikenode.bikes.logic.intervals import WARN_AT

BikeType = Literal["road", "gravel", "mtb", "ebike", "trainer", "other"]
# JSON has no time type: times come as ISO 8601 strings, so these are checked non-strictly.
When = Annotated[AwareDatetime, Field(strict=False, examples=["2025-05-04T07:00:00Z"])]
Id = Annotated[uuid.UUID, Field(strict=False)]
Day = Annotated[date, Field(strict=False, examples=["2024-03-01"])]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str | None, Field(default=None, max_length=100)]
Amount = Annotated[float | None, Field(default=None, ge=0, le=1e9)]
Metres = Annotated[float, Field(default=0.0, ge=0, le=1e9)]
Sport = Annotated[str, Field(min_length=1, max_length=40)]
Position = Annotated[str, Field(default="", max_length=16, examples=["rear"])]


class StrictModel(BaseModel):
    """Request bodies: strict types (true is not a number), no unknown fields, finite floats."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class BikeFields(StrictModel):
    brand: Label = None
    model: Label = None
    frame_size: Annotated[str | None, Field(default=None, max_length=20)] = None
    weight_kg: Annotated[float | None, Field(default=None, gt=0, le=200)] = None
    purchased_on: Day | None = None
    price: Amount = None
    start_distance_m: Metres = 0.0
    default_for_sports: list[Sport] = Field(
        default_factory=list, max_length=20, description="new rides of these sports go on it"
    )


class BikeCreate(BikeFields):
    name: Name
    type: BikeType


class BikeUpdate(BikeFields):
    """Only the fields sent change; retired_at null brings a bike back into service."""

    name: Name | None = None
    type: BikeType | None = None
    retired_at: When | None = None

    @model_validator(mode="after")
    def _no_null_name_or_type(self) -> BikeUpdate:
        for field in ("name", "type"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"expected a {field}, got null")
        return self


class BikePublic(BaseModel):
    id: uuid.UUID
    name: str
    type: str
    brand: str | None
    model: str | None
    frame_size: str | None
    weight_kg: float | None
    purchased_on: date | None
    price: float | None
    start_distance_m: float
    default_for_sports: list[str]
    retired_at: datetime | None
    created_at: datetime


class BikePage(BaseModel):
    items: list[BikePublic]


class IntervalIn(StrictModel):
    """Limits that replace the type's defaults (null: the type's default)."""

    distance_m: Annotated[float | None, Field(default=None, gt=0, le=1e9)] = None
    moving_s: Annotated[float | None, Field(default=None, gt=0, le=1e9)] = None
    days: Annotated[float | None, Field(default=None, gt=0, le=36_500)] = None


class ComponentFields(StrictModel):
    brand: Label = None
    model: Label = None
    notes: str = Field(default="", max_length=10_000)
    cost: Amount = None
    start_distance_m: Metres = 0.0
    start_moving_s: Metres = 0.0
    interval: IntervalIn | None = None


class ComponentCreate(ComponentFields):
    """A new component, fitted on the bike (or inside parent_component_id) from installed_at."""

    type: str = Field(min_length=1, max_length=40, examples=["chain"])
    parent_component_id: Id | None = None
    installed_at: When | None = None
    position: Position = ""


class ComponentUpdate(ComponentFields):
    """Only the fields sent change."""

    type: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _no_null_type(self) -> ComponentUpdate:
        if "type" in self.model_fields_set and self.type is None:
            raise ValueError("expected a type, got null")
        return self


class IntervalPublic(BaseModel):
    distance_m: float | None
    moving_s: float | None
    days: float | None


class ComponentPublic(BaseModel):
    id: uuid.UUID
    type: str
    brand: str | None
    model: str | None
    notes: str
    cost: float | None
    start_distance_m: float
    start_moving_s: float
    interval: IntervalPublic = Field(description="the limits in force: its own, else its type's")
    retired_at: datetime | None
    created_at: datetime


class FittedPublic(BaseModel):
    component: ComponentPublic
    position: str
    installed_at: datetime
    parts: list[FittedPublic]


class ComponentTree(BaseModel):
    bike_id: uuid.UUID
    at: datetime
    items: list[FittedPublic]


class InstallBody(StrictModel):
    bike_id: Id | None = None
    parent_component_id: Id | None = None
    installed_at: When | None = None
    position: Position = ""


class RemoveBody(StrictModel):
    removed_at: When | None = None


class RetireBody(StrictModel):
    retired_at: When | None = None


class InstallationPublic(BaseModel):
    component_id: uuid.UUID
    bike_id: uuid.UUID | None
    parent_component_id: uuid.UUID | None
    position: str
    installed_at: datetime
    removed_at: datetime | None


class ServiceBody(StrictModel):
    kind: Literal["service", "replace"]
    done_at: When | None = None
    cost: Amount = None
    notes: str = Field(default="", max_length=10_000)


class ServicePublic(BaseModel):
    id: uuid.UUID
    component_id: uuid.UUID
    kind: str
    done_at: datetime
    cost: float | None
    notes: str


class UsagePublic(BaseModel):
    distance_m: float
    moving_s: float
    elevation_gain_m: float
    rides: int


class PlacementPublic(BaseModel):
    bike_id: uuid.UUID
    start: datetime
    end: datetime | None


class StatusPublic(BaseModel):
    fraction: float | None = Field(description="of the interval used; null: no interval")
    limit: Literal["distance", "moving_time", "days"] | None
    due: bool
    warn: bool


class PredictionPublic(BaseModel):
    """When the part is expected due at its bike's recent riding (docs/bikes.md)."""

    due_on: date
    earliest_on: date
    latest_on: date
    due_in_days: int
    earliest_in_days: int
    latest_in_days: int
    distance_m_per_day: float = Field(description="the bike's recent rate")
    seasonal: bool = Field(description="last year's pattern used (a year of history or more)")
    summary: str = Field(examples=["due in about 12 days, 9-16"])


class ComponentUsagePublic(BaseModel):
    component_id: uuid.UUID
    total: UsagePublic = Field(description="its whole life, starting usage included")
    since_service: UsagePublic
    last_service_at: datetime | None
    interval: IntervalPublic
    status: StatusPublic
    bike_id: uuid.UUID | None = Field(description="the bike it rides on now")
    placements: list[PlacementPublic]
    service_log: list[ServicePublic]
    prediction: PredictionPublic | None = Field(
        default=None, description="null: not ridden lately and no calendar limit"
    )


class DueItem(BaseModel):
    component: ComponentPublic
    bike_id: uuid.UUID | None
    since_service: UsagePublic
    status: StatusPublic
    prediction: PredictionPublic | None = None


class DuePage(BaseModel):
    warn_at: float = WARN_AT
    items: list[DueItem]


class BikeUsagePublic(BaseModel):
    bike_id: uuid.UUID
    total: UsagePublic = Field(description="the rides on it, plus its starting distance")


class BikeUsagePage(BaseModel):
    items: list[BikeUsagePublic]


class BikeEventPublic(BaseModel):
    at: datetime
    kind: Literal["installed", "removed", "service", "replace"]
    component: ComponentPublic
    parent_component_id: uuid.UUID | None = Field(description="fitted inside this part")
    parent_type: str | None
    other_bike_id: uuid.UUID | None = Field(
        description="installed: the bike it came from; removed: the bike it went to"
    )
    cost: float | None = None
    notes: str = ""


class BikeHistory(BaseModel):
    bike_id: uuid.UUID
    items: list[BikeEventPublic]


class RideBikeSet(StrictModel):
    bike_id: Id | None = Field(description="null: ridden on none of your bikes")


class RideBikePublic(BaseModel):
    ride_id: uuid.UUID
    bike_id: uuid.UUID | None
    reason: str | None
    chosen_by_rider: bool


class ReminderPublic(BaseModel):
    id: uuid.UUID
    component_id: uuid.UUID
    threshold: Literal["warn", "due"]
    fraction: float = Field(description="of the interval: the warn fraction, or 1 when due")
    limit: Literal["distance", "moving_time", "days"] = Field(description="the limit that crossed")
    interval_start: datetime = Field(description="the last service, or the first installation")
    crossed_at: datetime = Field(description="when it really happened (a ride's start)")
    distance_m: float = Field(description="used in the interval at the crossing")
    moving_s: float
    rides: int
    snoozed_until: datetime | None
    acknowledged: bool
    acknowledged_at: datetime | None


class ReminderPage(BaseModel):
    items: list[ReminderPublic]


class SnoozeBody(StrictModel):
    until: When = Field(description="the reminder shows again from then")


class BatteryPublic(BaseModel):
    status: str | None = Field(
        description="as the sensor last reported: new, good, ok, low, critical"
    )
    voltage_v: float | None
    last_seen_at: datetime
    low: bool
    low_reason: str | None
    last_charged_at: datetime | None = Field(
        description="first reading after the voltage jumped up (charged or replaced by then)"
    )


class SensorPublic(BaseModel):
    serial: str
    kind: str = Field(description="power_meter, heart_rate, speed_cadence, radar, shifting...")
    battery: BatteryPublic
    bike_id: uuid.UUID | None = Field(description="the bike of the latest ride that saw it")
    bike_name: str | None


class SensorPage(BaseModel):
    items: list[SensorPublic]
