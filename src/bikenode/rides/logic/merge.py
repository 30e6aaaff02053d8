"""Merging two recordings of one ride: streams one device has that the other lacks."""

from __future__ import annotations

import numpy as np

from bikenode.rides.formats.activity import FloatArray

# Values further than this from any sample of the other recording are left missing.
MAX_GAP_S = 5.0


def merge_streams(
    base: dict[str, FloatArray], extra: dict[str, FloatArray], keys: list[str]
) -> dict[str, FloatArray]:
    """The base streams plus `keys` from `extra`, resampled onto the base's timestamps."""
    base_time, extra_time = base.get("time_s"), extra.get("time_s")
    if base_time is None or extra_time is None:
        raise ValueError("expected both recordings to have timestamps, got one without")
    usable = np.isfinite(extra_time)
    order = np.argsort(extra_time[usable], kind="stable")
    source_time = extra_time[usable][order]
    merged = dict(base)
    for key in keys:
        values = extra[key][usable][order]
        merged[key] = _resampled(base_time, source_time, values)
    return merged


def _resampled(target_s: FloatArray, source_s: FloatArray, values: FloatArray) -> FloatArray:
    present = np.isfinite(values)
    times, known = source_s[present], values[present]
    if times.size == 0:
        return np.full(target_s.shape, np.nan)
    result = np.interp(target_s, times, known)
    # Nearest source sample for each target time: beyond MAX_GAP_S, nothing was measured.
    position = np.clip(np.searchsorted(times, target_s), 1, max(times.size - 1, 1))
    nearest = np.minimum(
        np.abs(target_s - times[position - 1]),
        np.abs(times[np.minimum(position, times.size - 1)] - target_s),
    )
    result[(nearest > MAX_GAP_S) | ~np.isfinite(target_s)] = np.nan
    return result
