"""Power on a one-second grid, weighted power and best efforts over time and distance.

The 1 Hz grid interpolates linearly between samples at most MAX_INTERPOLATED_GAP_S apart
(so smart recording, a sample every few seconds, still counts as riding). A longer gap, or
power missing for longer, is a stop: its seconds are zero power and marked not recorded.
Best efforts use the zeros, so an effort cannot bridge a cafe stop with full credit; the
weighted power uses them inside its rolling average but leaves those seconds out of its mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray

__all__ = [
    "BEST_POWER_DURATIONS_S",
    "FASTEST_DISTANCES_M",
    "MAX_INTERPOLATED_GAP_S",
    "WEIGHTED_POWER_WINDOW_S",
    "OneHertzSeries",
    "best_average_power_w",
    "fastest_time_s",
    "resample_1hz",
    "value_at_distance",
    "weighted_power_w",
]

MAX_INTERPOLATED_GAP_S = 10.0
WEIGHTED_POWER_WINDOW_S = 30
# Each duration divides the next, which makes the best averages non-increasing: a window of
# k*d seconds is k windows of d seconds, so its average is at most the best of those.
BEST_POWER_DURATIONS_S: tuple[int, ...] = (5, 60, 300, 1200, 3600)
FASTEST_DISTANCES_M: tuple[float, ...] = (1000.0, 5000.0, 10000.0, 40000.0)
# Zero seconds needed at most to stand for a stop of any length in every window used here.
_GAP_FILL_CAP_S = max(max(BEST_POWER_DURATIONS_S), WEIGHTED_POWER_WINDOW_S)


@dataclass(frozen=True)
class OneHertzSeries:
    """Values one second apart; gaps are zeros with recorded False, stops capped at an hour."""

    values: FloatArray
    recorded: npt.NDArray[np.bool_]

    @property
    def recorded_s(self) -> int:
        """Seconds that hold a measured (or interpolated) value."""
        return int(self.recorded.sum())


def resample_1hz(time_s: FloatArray, values: FloatArray) -> OneHertzSeries:
    """The values on a one-second grid (see the module docstring for gaps)."""
    known = np.isfinite(time_s) & np.isfinite(values)
    time, value = time_s[known], values[known]
    if time.size == 0:
        return OneHertzSeries(np.zeros(0), np.zeros(0, dtype=bool))
    step_s = np.diff(time)
    # A negative step can only come from unsorted input; treating it as a gap keeps us sane.
    breaks = np.flatnonzero(~((step_s >= 0) & (step_s <= MAX_INTERPOLATED_GAP_S)))
    starts, ends = np.concatenate(([0], breaks + 1)), np.concatenate((breaks, [time.size - 1]))
    lengths = np.floor(np.maximum(time[ends] - time[starts], 0.0)).astype(np.int64) + 1
    gaps = np.clip(np.rint(time[starts[1:]] - time[ends[:-1]]) - 1, 0, _GAP_FILL_CAP_S)
    gap_lengths = np.concatenate((gaps.astype(np.int64), [0]))
    return _fill_grid(time, value, starts, lengths, gap_lengths)


def _fill_grid(
    time: FloatArray,
    value: FloatArray,
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    gap_lengths: npt.NDArray[np.int64],
) -> OneHertzSeries:
    """Lay each run of close samples on the grid, each followed by its gap of zeros."""
    run_offsets = np.concatenate(([0], np.cumsum(lengths + gap_lengths)))
    run = np.repeat(np.arange(lengths.size), lengths)
    within = np.arange(run.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid_time = time[starts][run] + within
    out = np.zeros(int(run_offsets[-1]))
    recorded = np.zeros(out.size, dtype=bool)
    slots = run_offsets[run] + within
    out[slots] = _interpolate_runs(grid_time, time, value, run, starts, lengths)
    recorded[slots] = True
    return OneHertzSeries(out, recorded)


def _interpolate_runs(
    grid_time: FloatArray,
    time: FloatArray,
    value: FloatArray,
    run: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
) -> FloatArray:
    # The sample just at or before each grid second, searched within its own run only.
    right = np.searchsorted(time, grid_time, side="right") - 1
    run_end = np.concatenate((starts[1:] - 1, [time.size - 1]))[run]
    left = np.clip(right, starts[run], run_end)
    after = np.minimum(left + 1, run_end)
    span = time[after] - time[left]
    weight = np.where(span > 0, (grid_time - time[left]) / np.where(span > 0, span, 1.0), 0.0)
    return np.asarray(value[left] + np.clip(weight, 0.0, 1.0) * (value[after] - value[left]))


def weighted_power_w(series: OneHertzSeries) -> float | None:
    """Fourth root of the mean fourth power of the 30-second rolling average power.

    None when fewer than WEIGHTED_POWER_WINDOW_S seconds were recorded.
    """
    window = WEIGHTED_POWER_WINDOW_S
    if series.recorded_s < window:
        return None
    rolling = _rolling_means(series.values, window)
    counted = rolling[series.recorded[window - 1 :]]
    return float(np.mean(counted**4) ** 0.25)


def best_average_power_w(series: OneHertzSeries, duration_s: int) -> float | None:
    """Highest average power over any duration_s-second window; None if never recorded."""
    if duration_s < 1 or series.recorded_s < duration_s:
        return None
    return float(np.max(_rolling_means(series.values, duration_s)))


def _rolling_means(values: FloatArray, window: int) -> FloatArray:
    sums = np.concatenate(([0.0], np.cumsum(values)))
    return np.asarray((sums[window:] - sums[:-window]) / window)


def value_at_distance(
    distance_m: FloatArray, values: FloatArray, targets_m: FloatArray
) -> FloatArray:
    """Values linearly interpolated where the distance first reaches each target.

    distance_m must be non-decreasing. A target before the start gets the first value; one
    past the end gets NaN. Points where the value is missing are skipped.
    """
    known = np.isfinite(values) & np.isfinite(distance_m)
    distance, value = distance_m[known], values[known]
    result = np.full(np.shape(targets_m), np.nan)
    if distance.size == 0:
        return result
    after = np.searchsorted(distance, targets_m, side="left")
    inside = after < distance.size
    after_in = after[inside]
    before = np.maximum(after_in - 1, 0)
    span = distance[after_in] - distance[before]
    share = np.where(
        span > 0, (targets_m[inside] - distance[before]) / np.where(span > 0, span, 1.0), 1.0
    )
    result[inside] = value[before] + share * (value[after_in] - value[before])
    return result


def fastest_time_s(distance_m: FloatArray, time_s: FloatArray, effort_m: float) -> float | None:
    """Shortest time in seconds to cover effort_m, starting at any point; None if never covered.

    distance_m is the cumulative distance along the ride (non-decreasing). The end of each
    effort is interpolated between samples; its start is a sample.
    """
    known = np.isfinite(distance_m) & np.isfinite(time_s)
    distance, time = distance_m[known], time_s[known]
    if distance.size < 2 or distance[-1] - distance[0] < effort_m:
        return None
    end_s = value_at_distance(distance, time, distance + effort_m)
    durations_s = end_s - time
    durations_s = durations_s[np.isfinite(durations_s) & (durations_s > 0)]
    return float(durations_s.min()) if durations_s.size else None
