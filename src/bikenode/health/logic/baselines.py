"""Robust personal baselines: a rolling median and MAD of the days before each day.

A rider's "usual" value of a metric on day d comes from the same metric *from the same
source* (device or app) in the `window_days` days before d, d itself left out:

    baseline[d]  = median(x[d-window .. d-1])
    spread[d]    = 1.4826 * MAD(x[d-window .. d-1])     MAD = median(|x - baseline|)
    usual range  = baseline +/- spread

1.4826 * MAD estimates the standard deviation of normally distributed data, but a single
wild reading (a strap that slipped, a typo) moves neither the median nor the MAD, where it
would move a mean and a standard deviation a lot (Leys et al., 2013, "Detecting outliers:
do not use standard deviation around the mean, use absolute deviation around the median",
J. Exp. Soc. Psychol. 49:764).

Warm-up: there is no baseline until the window holds `min_days` values of that source. A
new watch reads differently from the old one (a few bpm is common between brands), so its
values start their own baseline and raise no alert until it has one.

Days without a value are NaN; they count neither as values nor against the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "MAD_TO_SD",
    "Baseline",
    "FloatArray",
    "daily_values",
    "rolling_baseline",
    "rolling_mean",
]

FloatArray = npt.NDArray[np.float64]
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class Baseline:
    """Per day: the median and the robust spread of the window before it (NaN during the
    warm-up), and how many values the window held."""

    median: FloatArray
    spread: FloatArray
    count: npt.NDArray[np.int64]


def daily_values(readings: Iterable[tuple[date, float]], start: date, days: int) -> FloatArray:
    """One value a day from `start` for `days` days; NaN where no reading (the last of a day
    wins, readings outside the range are left out)."""
    values = np.full(days, np.nan)
    for day, value in readings:
        offset = (day - start).days
        if 0 <= offset < days:
            values[offset] = value
    return values


def rolling_baseline(values: FloatArray, *, window_days: int, min_days: int) -> Baseline:
    """The median and 1.4826 * MAD of the `window_days` days before each day (module doc)."""
    windows = _windows_before(values, window_days)
    count = np.sum(np.isfinite(windows), axis=1).astype(np.int64)
    median = _sorted_median(np.sort(windows, axis=1), count)
    deviations = np.sort(np.abs(windows - median[:, None]), axis=1)
    spread = MAD_TO_SD * _sorted_median(deviations, count)
    warm = count >= min_days
    return Baseline(np.where(warm, median, np.nan), np.where(warm, spread, np.nan), count)


def rolling_mean(values: FloatArray, *, window_days: int, min_days: int) -> FloatArray:
    """The mean of the `window_days` days up to and including each day; NaN unless at least
    `min_days` of them have a value."""
    padded = np.concatenate([np.full(window_days - 1, np.nan), values])
    windows = sliding_window_view(padded, window_days)
    count = np.sum(np.isfinite(windows), axis=1)
    total = np.sum(np.where(np.isfinite(windows), windows, 0.0), axis=1)
    mean = np.divide(total, count, out=np.full(values.size, np.nan), where=count > 0)
    return np.where(count >= min_days, mean, np.nan)


def _windows_before(values: FloatArray, window_days: int) -> FloatArray:
    """Row d holds the `window_days` values before day d (NaN before the first day)."""
    if values.size == 0:
        return np.empty((0, window_days))
    padded = np.concatenate([np.full(window_days, np.nan), values[:-1]])
    return sliding_window_view(padded, window_days)


def _sorted_median(rows: FloatArray, count: npt.NDArray[np.int64]) -> FloatArray:
    """The median of each row's first `count` entries (NaN sorts last; NaN for no entries)."""
    if rows.shape[0] == 0:
        return np.empty(0)
    index = np.arange(rows.shape[0])
    upper = rows[index, np.maximum(count // 2, 0)]
    lower = rows[index, np.maximum((count - 1) // 2, 0)]
    return np.where(count > 0, (upper + lower) / 2.0, np.nan)
