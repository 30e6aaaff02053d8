"""The health API's wire format, apart from the tables."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Day = Annotated[date, Field(strict=False, examples=["2025-03-01"])]
MetricName = Literal[
    "resting_hr_bpm",
    "hrv_rmssd_ms",
    "weight_kg",
    "sleep_h",
    "fatigue_1_5",
    "soreness_1_5",
    "mood_1_5",
    "steps",
]
Source = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        examples=["manual"],
        description='the device or app that measured it, or "manual"',
    ),
]


class StrictModel(BaseModel):
    """Request bodies: strict types (true is not a number), no unknown fields, finite floats."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class MetricIn(StrictModel):
    day: Day
    metric: MetricName
    value: float = Field(
        examples=[52],
        description=(
            "resting_hr_bpm 25-220, hrv_rmssd_ms 1-500, weight_kg 20-400, sleep_h 0-24, "
            "scores 1-5 (whole; 5 = most fatigue, most soreness, best mood), steps 0-200000 "
            "(whole)"
        ),
    )
    source: Source = "manual"


class MetricsIn(StrictModel):
    metrics: list[MetricIn] = Field(min_length=1, max_length=1000)


class RrIn(StrictModel):
    day: Day
    source: Source = "manual"
    rr_ms: list[float] = Field(
        min_length=2, max_length=100_000, description="beat-to-beat intervals in milliseconds"
    )


class MetricPublic(BaseModel):
    id: uuid.UUID
    day: date
    metric: str
    value: float | None = Field(description="null if its encryption key is gone")
    source: str


class MetricsPublic(BaseModel):
    metrics: list[MetricPublic]


class Deleted(BaseModel):
    deleted: int


class Imported(BaseModel):
    imported: int
    source: str | None = Field(
        default=None, description="a device file's values are stored under this source"
    )


class AlertPublic(BaseModel):
    id: uuid.UUID
    day: date = Field(description="the first day the alert rule held")
    metric: str
    kind: Literal["resting_hr_elevated", "hrv_low"]
    acknowledged: bool
    explanation: dict[str, Any] | None = Field(
        description=(
            "metric, source, first_day, last_day, days, values, baseline, usual_low, "
            "usual_high, threshold, also (what else changed), message"
        )
    )


class AlertsPublic(BaseModel):
    alerts: list[AlertPublic]


class FactorPublic(BaseModel):
    metric: str
    status: Literal["usual", "high", "low", "alert", "warming up"]
    value: float | None
    baseline: float | None
    usual_low: float | None
    usual_high: float | None
    note: str


class ReadinessPublic(BaseModel):
    day: date
    state: Literal["ready", "take it easy", "rest advised", "not enough data"]
    factors: list[FactorPublic]


class BaselineDayPublic(BaseModel):
    day: date
    source: str
    baseline: float = Field(
        description="the median of the 60 days before (HRV: of ln rMSSD, in ms)"
    )
    usual_low: float
    usual_high: float


class BaselinesPublic(BaseModel):
    metric: str
    days: list[BaselineDayPublic] = Field(
        description="each day with a baseline (after a source's 14-day warm-up), by day and source"
    )
