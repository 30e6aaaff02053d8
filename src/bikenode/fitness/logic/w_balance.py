"""W' balance: how much of the rider's work capacity above CP (W', J) is left, second by second.

Differential form (Froncioni & Clarke's form of Skiba 2015), GoldenCheetah's default
(src/Metrics/WPrime.cpp) and sweatpy's "froncioni-skiba-clarke", one step a second:

    power < CP:  W'bal += (CP - P) * (W' - W'bal) / W'     (recovery, slower as W'bal fills)
    otherwise:   W'bal -= P - CP                           (expenditure)

Both branches are W'bal[t] = a[t] * W'bal[t-1] + (CP - P[t]) with a[t] = 1 - max(CP - P, 0)/W',
a linear recursion with varying coefficients; it is solved in closed form with cumulative
sums of log a (in blocks, so that the running product never underflows) instead of a loop.

Integral form (Skiba 2012), GoldenCheetah's "int" option and sweatpy's "skiba":

    W'bal[t] = W' - sum over u <= t of max(P[u] - CP, 0) * e^(-(t - u)/tau)
    tau = 546 * e^(-0.01 * D_CP) + 316 s, D_CP = CP - mean power of the seconds below CP

with tau rounded down to whole seconds as GoldenCheetah does (e^(-0.01 CP) if no second is
below CP). The sum is a first-order IIR filter (scipy.signal.lfilter).

Power is one value a second; NaN and negative readings count as 0 W.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from bikenode.fitness.logic.arrays import FloatArray, one_hertz_power

__all__ = [
    "HARD_EFFORT_THRESHOLD_J",
    "HardEfforts",
    "hard_efforts",
    "skiba_tau_s",
    "w_prime_balance_differential",
    "w_prime_balance_integral",
]

HARD_EFFORT_THRESHOLD_J = 2000.0  # GoldenCheetah counts "matches" that cost more than 2 kJ
_BRIDGE_S = 25  # GoldenCheetah smooths over 25 s when it looks for matches
_BLOCK_LOG_DROP = 500.0  # e^-500 is still far from float64's smallest normal number
_MIN_LOG_STEP = -100.0  # a step that keeps less than e^-100 of W'bal has reset it


@dataclass(frozen=True)
class HardEfforts:
    """Efforts that each burnt at least the threshold of W', and the lowest balance reached."""

    count: int
    min_balance_j: float
    max_depletion: float  # the largest share of W' used at once, 0..1 (more if overdrawn)


def w_prime_balance_differential(
    power_w: npt.ArrayLike, *, cp_w: float, w_prime_j: float
) -> FloatArray:
    """W' balance (J) after each second, by the differential (Froncioni-Skiba-Clarke) form."""
    power = one_hertz_power(power_w)
    _check(cp_w, w_prime_j)
    log_keep = np.maximum(np.log1p(-np.maximum(cp_w - power, 0.0) / w_prime_j), _MIN_LOG_STEP)
    change = cp_w - power
    decay = np.cumsum(log_keep)
    out = np.empty(power.size)
    balance, first = w_prime_j, 0
    while first < power.size:
        # The block's running product of a[t] stays above e^-(_BLOCK_LOG_DROP + 100).
        base = decay[first - 1] if first else 0.0
        last = int(np.searchsorted(-decay, _BLOCK_LOG_DROP - base, side="right"))
        last = max(last, first + 1)
        log_product = decay[first:last] - base
        scale = np.exp(log_product)
        out[first:last] = scale * (balance + np.cumsum(change[first:last] / scale))
        balance, first = float(out[last - 1]), last
    return out


def skiba_tau_s(power_w: npt.ArrayLike, *, cp_w: float) -> float:
    """Skiba's 2012 recovery time constant (s) for the ride, in whole seconds."""
    power = one_hertz_power(power_w)
    below = power[power < cp_w]
    deficit = cp_w - float(below.mean()) if below.size else cp_w
    return float(math.floor(546.0 * math.exp(-0.01 * deficit) + 316.0))


def w_prime_balance_integral(
    power_w: npt.ArrayLike, *, cp_w: float, w_prime_j: float, tau_s: float | None = None
) -> FloatArray:
    """W' balance (J) after each second, by Skiba's 2012 integral form (tau from the ride if None)."""
    power = one_hertz_power(power_w)
    _check(cp_w, w_prime_j)
    tau = skiba_tau_s(power, cp_w=cp_w) if tau_s is None else tau_s
    if tau <= 0:
        raise ValueError(f"expected a positive time constant, got {tau} s")
    above = np.maximum(power - cp_w, 0.0)
    if above.size == 0:
        return np.zeros(0)
    spent = lfilter([1.0], [1.0, -math.exp(-1.0 / tau)], above)
    return np.asarray(w_prime_j - spent, dtype=np.float64)


def hard_efforts(
    w_balance_j: npt.ArrayLike, *, w_prime_j: float, threshold_j: float = HARD_EFFORT_THRESHOLD_J
) -> HardEfforts:
    """How many times W' balance fell by at least `threshold_j` in one effort, and its minimum.

    An effort is a stretch of falling balance; a rise shorter than 25 s inside it (a breath
    between two surges) does not end it, as GoldenCheetah's 25 s smoothing does not.
    """
    balance = np.asarray(w_balance_j, dtype=np.float64)
    if balance.size == 0:
        return HardEfforts(0, w_prime_j, 0.0)
    with_start = np.concatenate(([w_prime_j], balance))
    falling = np.diff(with_start) < 0
    falling = _bridge_short_gaps(falling, _BRIDGE_S)
    edges = np.diff(np.concatenate(([0], falling.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    # A run of falls over steps s..e-1 goes from with_start[s] down to the lowest of s..e.
    bounds = np.column_stack((starts, ends + 1)).ravel()
    padded = np.concatenate((with_start, [np.inf]))
    costs = with_start[starts] - np.minimum.reduceat(padded, bounds)[::2] if starts.size else starts
    lowest = float(balance.min())
    return HardEfforts(
        int(np.count_nonzero(costs >= threshold_j)), lowest, max(0.0, 1.0 - lowest / w_prime_j)
    )


def _bridge_short_gaps(mask: npt.NDArray[np.bool_], longest: int) -> npt.NDArray[np.bool_]:
    """The mask with runs of False shorter than `longest` between two True runs set to True."""
    edges = np.diff(np.concatenate(([1], mask.astype(np.int8), [1])))
    gap_starts, gap_ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    inner = (gap_starts > 0) & (gap_ends < mask.size) & (gap_ends - gap_starts < longest)
    marks = np.zeros(mask.size + 1, dtype=np.int64)
    np.add.at(marks, gap_starts[inner], 1)
    np.add.at(marks, gap_ends[inner], -1)
    return mask | (np.cumsum(marks)[:-1] > 0)


def _check(cp_w: float, w_prime_j: float) -> None:
    if cp_w <= 0 or w_prime_j <= cp_w:
        raise ValueError(
            f"expected CP > 0 W and W' above CP's value in joules, got {cp_w} W and {w_prime_j} J"
        )
