"""The fitness API's wire format, apart from the tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bikenode.fitness.service import MAX_STRESS_OVERRIDE, TIME_CONSTANT_DAYS

ThresholdKind = Literal["ftp_w", "max_hr_bpm", "resting_hr_bpm", "threshold_hr_bpm"]


class ThresholdValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ThresholdKind
    value: float = Field(gt=0, description="watts for ftp_w, beats per minute for the others")
    valid_from: date = Field(description="in force from this day until the next value of its kind")


class RecomputePublic(BaseModel):
    status: Literal["idle", "queued", "running", "done"]
    from_day: date | None = Field(description="the first day whose rides are recomputed")
    total: int = Field(description="rides to recompute (known once the job runs)")
    done: int
    requested_at: datetime | None
    finished_at: datetime | None


class ThresholdsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: list[ThresholdValue] = Field(
        max_length=500, description="the whole dated history; it replaces the stored one"
    )


class ThresholdsPublic(BaseModel):
    values: list[ThresholdValue] = Field(description="by kind, then by day")
    recompute: RecomputePublic = Field(
        description="the recomputation of ride figures the last change started"
    )


class ProfilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    fitness_days: int = Field(description="time constant of fitness (long-term load), days")
    fatigue_days: int = Field(description="time constant of fatigue (short-term load), days")
    form_same_day: bool = Field(
        description="true: a day's form includes that day's rides; false: the morning's form"
    )
    seed_fitness: float = Field(description="fitness on the day before your first ride")
    seed_fatigue: float = Field(description="fatigue on the day before your first ride")


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fitness_days: int | None = Field(
        default=None, ge=TIME_CONSTANT_DAYS[0], le=TIME_CONSTANT_DAYS[1]
    )
    fatigue_days: int | None = Field(
        default=None, ge=TIME_CONSTANT_DAYS[0], le=TIME_CONSTANT_DAYS[1]
    )
    form_same_day: bool | None = None
    seed_fitness: float | None = Field(default=None, ge=0, le=1000)
    seed_fatigue: float | None = Field(default=None, ge=0, le=1000)


class LoadDayPublic(BaseModel):
    day: date
    stress: float = Field(description="the day's training stress (0 without a ride)")
    fitness: float
    fatigue: float
    form: float
    ramp: float = Field(description="fitness gained over the last fatigue_days days")
    rides: int = Field(description="rides on the day")
    missing: list[str] = Field(description="why rides of the day count no stress, one per ride")


class LoadPublic(BaseModel):
    days: list[LoadDayPublic]


class ForecastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1, le=365, description="days ahead, from tomorrow in your time zone")
    planned_stress: list[float] | None = Field(
        default=None,
        description="stress planned for each day; null: the mean of the last four weeks",
    )


class PowerCurvePublic(BaseModel):
    durations_s: list[int]
    watts: list[float] = Field(description="the best average power held for each duration")
    ride_ids: list[uuid.UUID] = Field(description="the ride that holds each best")
    rides_with_power: int


class ModelFitPublic(BaseModel):
    model: Literal["2p", "3p"]
    window_s: tuple[int, int] = Field(description="the durations fitted")
    points: int
    cp_w: float | None
    w_prime_j: float | None
    p_max_w: float | None
    cp_ci_w: tuple[float, float] | None = Field(description="95 % interval")
    w_prime_ci_j: tuple[float, float] | None
    p_max_ci_w: tuple[float, float] | None
    rmse_w: float | None = Field(description="fit quality: root mean square error")
    ftp_w: float | None = Field(description="estimated FTP: the model's 60-minute power")
    refused: str | None = Field(description="why the fit was refused (then the values are null)")


class ModelsPublic(BaseModel):
    rides_with_power: int
    fits: list[ModelFitPublic]


class StressOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stress: float = Field(ge=0, le=MAX_STRESS_OVERRIDE, description="your own figure for the ride")


class RideStressPublic(BaseModel):
    ride_id: uuid.UUID
    day: date
    stress: float | None = Field(description="computed from power or heart rate")
    stress_source: Literal["power", "heart_rate", "none"]
    stress_reason: str | None = Field(description="why no stress could be computed")
    stress_override: float | None = Field(description="your own figure, used instead")


class WBalancePublic(BaseModel):
    ride_id: uuid.UUID
    model: Literal["2p", "3p"] | None = Field(description="the CP model W' balance is run on")
    cp_w: float | None = Field(description="for the rider only")
    w_prime_j: float | None = Field(description="for the rider only")
    min_w_balance_j: float | None
    max_depletion: float | None = Field(description="largest share of W' used, 0 to 1")
    hard_efforts: int | None = Field(description="efforts that each cost at least 2 kJ of W'")
    reason: str | None = Field(description="why there is no W' balance")


class CoachGrantIn(BaseModel):
    """Whom to grant read access: a user id, or the e-mail address of their account (BikeNode
    has no user names; invitations elsewhere go by address too)."""

    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = None
    email: str | None = Field(default=None, min_length=3, max_length=320)


class CoachGrantPublic(BaseModel):
    user_id: uuid.UUID
    display_name: str
    granted_at: datetime


class CoachGrantsPublic(BaseModel):
    users: list[CoachGrantPublic]
