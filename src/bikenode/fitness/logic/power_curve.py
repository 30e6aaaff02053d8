"""Mean-maximal power: the best average power a ride (or a range of rides) held for each duration.

Durations: one shared grid, DURATION_GRID_S, rather than every second. Every second up to
PER_SECOND_UP_TO_S (3 min), where the curve is steep and sprints live; beyond that geometric
steps of GRID_STEP (1 %), plus the durations riders look up (5, 10, 20, 30, 60 min, ...), up
to MAX_DURATION_S (24 h). Each grid value is exact (the best window of exactly that length),
not interpolated. Why not every second like GoldenCheetah's cache: that is O(n^2) per ride,
about 10^8 window sums for a 4-hour ride, while the power-duration curve changes by well
under 1 % between neighbouring grid durations past 3 minutes; the grid costs O(n * 800) and a
4-hour ride takes a few milliseconds. Model fits weight each grid point by the seconds it
stands for, so they see the curve as GoldenCheetah's per-second fit does.

Power is one value a second with gaps already filled with 0 W (GoldenCheetah fills gaps in
recording with zeros too, so an effort never bridges a stop with full credit); NaN and
negative readings count as 0 W. Because every curve shares the grid, a range curve is the
element-wise maximum of ride curves (combine_curves), which also says which ride each best
came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.fitness.logic.arrays import FloatArray, IntArray, one_hertz_power

__all__ = [
    "DURATION_GRID_S",
    "GRID_STEP",
    "MAX_DURATION_S",
    "PER_SECOND_UP_TO_S",
    "CombinedCurve",
    "PowerCurve",
    "combine_curves",
    "combine_watts",
    "mean_max_power",
]

PER_SECOND_UP_TO_S = 180
GRID_STEP = 1.01
MAX_DURATION_S = 24 * 3600
_LANDMARKS_S = (300, 600, 1200, 1800, 2400, 3600, 5400, 7200, 10800, 14400, 18000, 21600)


def _duration_grid() -> IntArray:
    per_second = np.arange(1, PER_SECOND_UP_TO_S + 1)
    steps = int(np.ceil(np.log(MAX_DURATION_S / PER_SECOND_UP_TO_S) / np.log(GRID_STEP)))
    geometric = np.rint(PER_SECOND_UP_TO_S * GRID_STEP ** np.arange(1, steps + 1))
    grid = np.concatenate((per_second, geometric, _LANDMARKS_S, [MAX_DURATION_S]))
    return np.unique(np.clip(grid, 1, MAX_DURATION_S).astype(np.int64))


DURATION_GRID_S: IntArray = _duration_grid()


@dataclass(frozen=True)
class PowerCurve:
    """Best average power (W) at each of `durations_s`, the grid's durations a ride covers."""

    durations_s: IntArray
    watts: FloatArray

    def at(self, duration_s: int) -> float | None:
        """The best power for a grid duration, None if the ride is shorter or it is off-grid."""
        index = int(np.searchsorted(self.durations_s, duration_s))
        if index < self.durations_s.size and self.durations_s[index] == duration_s:
            return float(self.watts[index])
        return None


@dataclass(frozen=True)
class CombinedCurve:
    """The best of several curves per duration and the index of the curve that holds it."""

    durations_s: IntArray
    watts: FloatArray
    source: IntArray


def mean_max_power(power_w: npt.ArrayLike) -> PowerCurve:
    """The ride's mean-maximal power at every grid duration up to the ride's length."""
    power = one_hertz_power(power_w)
    durations = DURATION_GRID_S[: np.searchsorted(DURATION_GRID_S, power.size, side="right")]
    energy = np.concatenate(([0.0], np.cumsum(power)))
    window_sums = np.empty(power.size)
    best = np.empty(durations.size)
    # The ufuncs themselves: ndarray.max's Python wrapper costs a fifth of the loop at ~600
    # durations a ride (recomputing 5,000 rides from streams spends a third of its time here).
    subtract, largest = np.subtract, np.maximum.reduce
    for i, duration in enumerate(durations.tolist()):
        sums = window_sums[: power.size - duration + 1]
        subtract(energy[duration:], energy[:-duration], out=sums)
        best[i] = largest(sums)
    return PowerCurve(durations, best / durations)


def combine_curves(curves: Sequence[PowerCurve], *, block: int = 512) -> CombinedCurve:
    """The element-wise best of `curves` (e.g. each ride of a season) and each best's source.

    Each curve's durations must be a prefix of DURATION_GRID_S, as mean_max_power returns.
    Where several curves tie, the first one wins.
    """
    for curve in curves:
        size = curve.durations_s.size
        if size and curve.durations_s[-1] != DURATION_GRID_S[size - 1]:
            raise ValueError("expected curves on DURATION_GRID_S, as mean_max_power returns")
    return combine_watts([curve.watts for curve in curves], block=block)


def combine_watts(
    curves: Sequence[npt.NDArray[np.floating]],
    *,
    block: int = 512,
    dtype: type[np.floating] = np.float64,
) -> CombinedCurve:
    """combine_curves of curves given by their watts alone, each on a prefix of
    DURATION_GRID_S (as stored); `block` curves are stacked at a time, as `dtype` (float32
    for stored curves: exact, and half the memory to fill), to bound memory."""
    longest = max((watts.size for watts in curves), default=0)
    if longest > DURATION_GRID_S.size:
        raise ValueError(f"expected at most {DURATION_GRID_S.size} watts a curve, got {longest}")
    best = np.full(longest, -np.inf)
    source = np.full(longest, -1, dtype=np.int64)
    for first in range(0, len(curves), block):
        rows = _stack(curves[first : first + block], longest, dtype)
        winner = np.argmax(rows, axis=0)
        block_best = rows[winner, np.arange(longest)]
        better = block_best > best
        best[better] = block_best[better]
        source[better] = winner[better] + first
    return CombinedCurve(DURATION_GRID_S[:longest], np.where(source >= 0, best, np.nan), source)


def _stack(
    curves: Sequence[npt.NDArray[np.floating]], width: int, dtype: type[np.floating]
) -> npt.NDArray[np.floating]:
    rows = np.full((len(curves), width), -np.inf, dtype=dtype)
    for row, watts in zip(rows, curves, strict=True):
        row[: watts.size] = watts
    return rows
