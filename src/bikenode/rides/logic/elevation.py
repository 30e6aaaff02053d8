"""Elevation gain and loss that ignore sensor noise but keep real climbs.

Two steps, both needed: a centred moving average over SMOOTHING_WINDOW_S seconds takes out
second-to-second jitter, then a hysteresis counts a rise only once the smoothed elevation has
climbed the threshold above the last low (and a drop once it has fallen that far below the
last high). Wander smaller than the threshold adds nothing; a climb larger than it counts in
full, from its low to its high.

The threshold adapts to the sensor: GAIN_THRESHOLD_M (3 m) for a barometric altimeter, and
JITTER_FACTOR times the measured jitter (the robust standard deviation of raw minus smoothed
elevation) when that is larger, as with phone GPS whose altitude jumps by metres each second.
Tracks without times (a planned route) are neither smoothed nor measured: their elevations
come from a terrain model, not a sensor.
"""

from __future__ import annotations

import numpy as np

from bikenode.rides.formats.activity import FloatArray

__all__ = [
    "GAIN_THRESHOLD_M",
    "JITTER_FACTOR",
    "SMOOTHING_WINDOW_S",
    "elevation_gain_loss_m",
    "hysteresis_gain_loss_m",
    "smoothed_elevation_m",
]

SMOOTHING_WINDOW_S = 30.0
GAIN_THRESHOLD_M = 3.0
# Set so that pure white jitter of any size, smoothed as above, gives ~0 m over an hour.
JITTER_FACTOR = 1.6
_MAD_TO_SD = 1.4826  # median absolute deviation to standard deviation, for normal noise


def smoothed_elevation_m(
    elevation_m: FloatArray, time_s: FloatArray, window_s: float = SMOOTHING_WINDOW_S
) -> FloatArray:
    """Centred moving average of the elevation over window_s seconds, at points with both.

    time_s must be non-decreasing (as clean_activity leaves it); the result holds only the
    points where elevation and time are both known, in order.
    """
    known = np.isfinite(elevation_m) & np.isfinite(time_s)
    elevation, time = elevation_m[known], time_s[known]
    sums = np.concatenate(([0.0], np.cumsum(elevation)))
    low = np.searchsorted(time, time - window_s / 2.0, side="left")
    high = np.searchsorted(time, time + window_s / 2.0, side="right")
    counts = np.maximum(high - low, 1)  # never 0 on sorted times; guards unsorted ones
    return np.asarray((sums[high] - sums[low]) / counts)


def elevation_gain_loss_m(
    elevation_m: FloatArray, time_s: FloatArray | None
) -> tuple[float, float] | None:
    """Total climbing and descending in metres (both >= 0), or None without elevations."""
    if time_s is None or not np.isfinite(time_s).any():
        profile = elevation_m[np.isfinite(elevation_m)]
        return hysteresis_gain_loss_m(profile, GAIN_THRESHOLD_M) if profile.size else None
    known = np.isfinite(elevation_m) & np.isfinite(time_s)
    if not known.any():
        return None
    profile = smoothed_elevation_m(elevation_m, time_s)
    jitter_m = _MAD_TO_SD * float(np.median(np.abs(elevation_m[known] - profile)))
    return hysteresis_gain_loss_m(profile, max(GAIN_THRESHOLD_M, JITTER_FACTOR * jitter_m))


def hysteresis_gain_loss_m(profile_m: FloatArray, threshold_m: float) -> tuple[float, float]:
    """Gain and loss of a profile, counting only swings of at least threshold_m metres."""
    turns = _turning_points(profile_m).tolist()
    gain_m = loss_m = 0.0
    low = high = turns[0]
    direction = 0  # +1: climbing from `low`; -1: descending from `high`; 0: not yet known
    for value in turns[1:]:
        if (direction > 0 and value > high) or (direction < 0 and value < low):
            low, high = min(low, value), max(high, value)  # the swing goes on
        elif direction >= 0 and max(high, value) - value >= threshold_m:
            gain_m += high - low if direction > 0 else 0.0
            direction, low = -1, value
        elif direction <= 0 and value - min(low, value) >= threshold_m:
            loss_m += high - low if direction < 0 else 0.0
            direction, high = 1, value
        elif direction == 0:
            low, high = min(low, value), max(high, value)
    if direction > 0:
        gain_m += high - low
    elif direction < 0:
        loss_m += high - low
    return gain_m, loss_m


def _turning_points(profile_m: FloatArray) -> FloatArray:
    """The first, last and every local extreme: all the hysteresis needs to see."""
    changing = np.concatenate(([True], np.diff(profile_m) != 0))
    values = profile_m[changing]
    if values.size < 3:
        return values
    slope = np.sign(np.diff(values))
    turn = np.concatenate(([True], slope[1:] != slope[:-1], [True]))
    return values[turn]
