"""One summary of a ride: every figure the rides pages show, computed from its streams.

The rules behind each figure live with the code that computes it: distance, moving time,
speed and splits in motion.py, climbing in elevation.py, power and best efforts in
efforts.py, zones in zones.py. Averages of heart rate and temperature are over samples;
average cadence leaves out zeros, which are coasting rather than a pedalling rate; average
power is over the recorded seconds of the 1 Hz power series, zeros included (coasting is
part of the work). Intensity is weighted power over the rider's threshold power, and
training stress is hours of recorded power times intensity squared times 100.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bikenode.rides.formats.activity import FloatArray, ParsedActivity
from bikenode.rides.logic import totals
from bikenode.rides.logic.efforts import (
    BEST_POWER_DURATIONS_S,
    FASTEST_DISTANCES_M,
    OneHertzSeries,
    best_average_power_w,
    fastest_time_s,
    resample_1hz,
    weighted_power_w,
)
from bikenode.rides.logic.elevation import elevation_gain_loss_m
from bikenode.rides.logic.geo import BoundingBox, bounding_box, start_point
from bikenode.rides.logic.motion import (
    MOVING_SPEED_MPS,
    MOVING_SPEED_MPS_BY_SPORT,
    DistanceTrack,
    Split,
    distance_track,
    max_speed_mps,
    moving_seconds_so_far,
    splits,
)
from bikenode.rides.logic.zones import ZoneTime, heart_rate_zones, power_zones

__all__ = ["BestPower", "FastestDistance", "RideSummary", "summarise"]

METRES_PER_MILE = 1609.344


@dataclass(frozen=True)
class BestPower:
    """The highest average power held for duration_s seconds (None: ride too short)."""

    duration_s: int
    power_w: float | None


@dataclass(frozen=True)
class FastestDistance:
    """The shortest time to cover distance_m (None: ride too short or untimed)."""

    distance_m: float
    duration_s: float | None


@dataclass(frozen=True)
class _PowerFigures:
    avg_power_w: float | None = None
    max_power_w: float | None = None
    weighted_power_w: float | None = None
    intensity: float | None = None
    training_stress: float | None = None
    best_power: tuple[BestPower, ...] = ()


@dataclass(frozen=True)
class RideSummary:
    """Every figure of one ride; None where the streams cannot tell it."""

    point_count: int
    started_at: datetime | None
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    distance_source: str | None  # "device_total", "device", "gps" or "speed"
    elapsed_source: str | None  # "device" (the session's end), "records" or "device_total"
    moving_source: str | None  # "records" or "device_timer"
    avg_speed_mps: float | None
    max_speed_mps: float | None
    elevation_gain_m: float | None
    elevation_loss_m: float | None
    min_elevation_m: float | None
    max_elevation_m: float | None
    avg_hr_bpm: float | None
    max_hr_bpm: float | None
    avg_power_w: float | None
    max_power_w: float | None
    weighted_power_w: float | None
    intensity: float | None
    training_stress: float | None
    best_power: tuple[BestPower, ...]
    avg_cadence_rpm: float | None
    max_cadence_rpm: float | None
    avg_temperature_c: float | None
    calories_kcal: float | None
    bounding_box: BoundingBox | None
    start_lat_deg: float | None
    start_lon_deg: float | None
    splits: tuple[Split, ...]
    splits_mi: tuple[Split, ...]  # the same every mile, for imperial units
    fastest: tuple[FastestDistance, ...]
    hr_zones: tuple[ZoneTime, ...]
    power_zones: tuple[ZoneTime, ...]
    # Why a figure of the file's own summary was set aside, in plain words (not in to_dict).
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: ISO 8601 time, lists, and None for anything not finite.

        The notes are left out: an import keeps them with the ride's import notes.
        """
        figures = dataclasses.asdict(self)
        del figures["notes"]
        return {key: _json_ready(value) for key, value in figures.items()}


def summarise(
    activity: ParsedActivity,
    *,
    ftp_w: float | None,
    max_hr_bpm: float | None,
    split_unit_m: float = 1000.0,
) -> RideSummary:
    """Every figure of the ride; rider settings (FTP, max HR) unlock intensity and zones."""
    # Arbitrary input may overflow (a sum of huge values); such figures come out as None.
    with np.errstate(all="ignore"):
        streams = _usable_streams(activity.streams)
        return _summary(
            activity,
            streams,
            ftp_w=_positive(ftp_w),
            max_hr_bpm=_positive(max_hr_bpm),
            split_unit_m=split_unit_m,
        )


def _summary(
    activity: ParsedActivity,
    streams: dict[str, FloatArray],
    *,
    ftp_w: float | None,
    max_hr_bpm: float | None,
    split_unit_m: float,
) -> RideSummary:
    time, hr = streams.get("time_s"), streams.get("hr_bpm")
    elevation, power = streams.get("elevation_m"), streams.get("power_w")
    started_at = _started_at(activity, time)
    start_s = started_at.timestamp() if started_at is not None else None
    track = distance_track(streams, segment_starts=activity.segment_starts, start_s=start_s)
    notes: list[str] = []
    elapsed = totals.elapsed(activity, time, start_s, notes)
    distance_m, distance_source = totals.distance(activity, track, elapsed[0], notes)
    moving_so_far = _moving_so_far(activity, streams, track)
    recorded_moving_s = None if moving_so_far is None else float(np.nanmax(moving_so_far))
    moving = totals.moving(activity, recorded_moving_s, elapsed[0], time)
    moving_s = moving[0]
    gain_loss = None if elevation is None else elevation_gain_loss_m(elevation, time)
    start = _start(streams)
    power_figures = _power_figures(time, power, ftp_w)
    return RideSummary(
        point_count=_length(streams),
        started_at=started_at,
        elapsed_s=_finite(elapsed[0]),
        moving_s=_finite(moving_s),
        distance_m=_finite(distance_m),
        distance_source=distance_source,
        elapsed_source=elapsed[1],
        moving_source=moving[1],
        avg_speed_mps=_finite(distance_m / moving_s) if distance_m and moving_s else None,
        max_speed_mps=_finite(max_speed_mps(time, streams.get("speed_mps"), track)),
        elevation_gain_m=_finite(gain_loss[0]) if gain_loss else None,
        elevation_loss_m=_finite(gain_loss[1]) if gain_loss else None,
        min_elevation_m=_stat(elevation, np.min),
        max_elevation_m=_stat(elevation, np.max),
        avg_hr_bpm=_stat(hr, np.mean),
        max_hr_bpm=_stat(hr, np.max),
        avg_power_w=power_figures.avg_power_w,
        max_power_w=power_figures.max_power_w,
        weighted_power_w=power_figures.weighted_power_w,
        intensity=power_figures.intensity,
        training_stress=power_figures.training_stress,
        best_power=power_figures.best_power,
        avg_cadence_rpm=_average_cadence(streams.get("cadence_rpm")),
        max_cadence_rpm=_stat(streams.get("cadence_rpm"), np.max),
        avg_temperature_c=_stat(streams.get("temperature_c"), np.mean),
        calories_kcal=_finite(activity.device_calories_kcal),
        bounding_box=_box(streams),
        start_lat_deg=start[0] if start else None,
        start_lon_deg=start[1] if start else None,
        splits=() if track is None else splits(track, time, elevation, split_unit_m, moving_so_far),
        splits_mi=()
        if track is None
        else splits(track, time, elevation, METRES_PER_MILE, moving_so_far),
        fastest=_fastest(track, time),
        hr_zones=_zones(hr, time, max_hr_bpm, heart_rate_zones),
        power_zones=_zones(power, time, ftp_w, power_zones),
        notes=tuple(notes),
    )


def _usable_streams(raw: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Flat float64 streams of one common length, times out of order blanked.

    clean_activity already guarantees this; summarise checks again so that it never fails
    on data that skipped cleaning.
    """
    flat = {name: np.asarray(values, dtype=np.float64).reshape(-1) for name, values in raw.items()}
    length = min((values.shape[0] for values in flat.values()), default=0)
    streams = {name: values[:length] for name, values in flat.items()}
    time = streams.get("time_s")
    if time is not None:
        in_order = time >= np.fmax.accumulate(time)  # NaN compares False: stays missing
        streams["time_s"] = np.where(in_order, time, np.nan)
    return streams


def _moving_so_far(
    activity: ParsedActivity, streams: dict[str, FloatArray], track: DistanceTrack | None
) -> FloatArray | None:
    time = streams.get("time_s")
    if time is None:
        return None
    speed = streams.get("speed_mps")
    threshold_mps = MOVING_SPEED_MPS_BY_SPORT.get(activity.sport or "", MOVING_SPEED_MPS)
    return moving_seconds_so_far(
        time, speed_mps=speed, distance=track, pauses=activity.pauses, threshold_mps=threshold_mps
    )


def _length(streams: dict[str, FloatArray]) -> int:
    return next((values.shape[0] for values in streams.values()), 0)


def _started_at(activity: ParsedActivity, time: FloatArray | None) -> datetime | None:
    if activity.started_at is not None or not activity.dated:
        return activity.started_at
    timed = np.array([]) if time is None else time[np.isfinite(time)]
    if timed.size == 0:
        return None
    try:
        return datetime.fromtimestamp(float(timed[0]), UTC)
    except (OverflowError, OSError, ValueError):
        return None  # a timestamp beyond the calendar: only possible without cleaning


def _power_figures(
    time: FloatArray | None, power: FloatArray | None, ftp_w: float | None
) -> _PowerFigures:
    if power is None or not np.isfinite(power).any():
        return _PowerFigures(best_power=tuple(BestPower(d, None) for d in BEST_POWER_DURATIONS_S))
    series = None if time is None else resample_1hz(time, power)
    if series is None or series.recorded_s == 0:
        return _PowerFigures(
            avg_power_w=_stat(power, np.mean),
            max_power_w=_stat(power, np.max),
            best_power=tuple(BestPower(d, None) for d in BEST_POWER_DURATIONS_S),
        )
    weighted = _finite(weighted_power_w(series))
    intensity = _finite(weighted / ftp_w) if weighted is not None and ftp_w else None
    stress = None if intensity is None else series.recorded_s / 3600.0 * intensity**2 * 100.0
    return _PowerFigures(
        avg_power_w=_finite(float(np.mean(series.values[series.recorded]))),
        max_power_w=_stat(power, np.max),
        weighted_power_w=weighted,
        intensity=intensity,
        training_stress=_finite(stress),
        best_power=_best_power(series),
    )


def _best_power(series: OneHertzSeries) -> tuple[BestPower, ...]:
    return tuple(
        BestPower(d, _finite(best_average_power_w(series, d))) for d in BEST_POWER_DURATIONS_S
    )


def _fastest(track: DistanceTrack | None, time: FloatArray | None) -> tuple[FastestDistance, ...]:
    return tuple(
        FastestDistance(
            effort_m,
            None
            if track is None or time is None
            else _finite(fastest_time_s(track.cumulative_m, time, effort_m)),
        )
        for effort_m in FASTEST_DISTANCES_M
    )


def _zones(
    values: FloatArray | None,
    time: FloatArray | None,
    reference: float | None,
    zones_of: Callable[[FloatArray, FloatArray, float], tuple[ZoneTime, ...]],
) -> tuple[ZoneTime, ...]:
    if values is None or time is None or reference is None:
        return ()
    return zones_of(values, time, reference)


def _average_cadence(cadence_rpm: FloatArray | None) -> float | None:
    """Mean cadence while pedalling: zeros are coasting, not a cadence."""
    if cadence_rpm is None:
        return None
    return _stat(cadence_rpm[cadence_rpm > 0], np.mean)


def _box(streams: dict[str, FloatArray]) -> BoundingBox | None:
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    if lat is None or lon is None:
        return None
    box = bounding_box(lat, lon)
    if box is None or not all(math.isfinite(v) for v in dataclasses.astuple(box)):
        return None
    return box


def _start(streams: dict[str, FloatArray]) -> tuple[float, float] | None:
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    return None if lat is None or lon is None else start_point(lat, lon)


def _stat(values: FloatArray | None, reduce: Callable[[FloatArray], Any]) -> float | None:
    """A reduction over the finite values only; None when there are none."""
    if values is None:
        return None
    finite = values[np.isfinite(values)]
    return _finite(float(reduce(finite))) if finite.size else None


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _positive(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and value > 0 else None


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value
