"""Critical power models fitted to a mean-maximal power curve.

Two-parameter (Monod & Scherrer): P(t) = W'/t + CP, fitted over 2-20 min (120-1200 s), the
window GoldenCheetah's least-squares fit uses for it (src/Metrics/PDModel.cpp): shorter efforts
are limited by other things, longer ones are often submaximal or fatigued.

Three-parameter (Morton 1996): P(t) = W'/(t + k) + CP with k = W'/(Pmax - CP), so P(0) = Pmax;
the form sweatpy fits, and GoldenCheetah's CP(1 + tau/(t/60 + t0)) with W' = 60*CP*tau and
k = 60*t0 is the same curve. Fitted over 1 s-20 min, GoldenCheetah's window for it.

Both fits are bounded least squares (scipy.optimize.least_squares, trust-region reflective),
each curve point weighted by the seconds it stands for on the duration grid, so the fit sees
the curve as a fit to every second would. A fit is refused, with the reason, when the window
has too few points, the solver fails, W' is under MIN_W_PRIME_J or CP is outside CP_RANGE_W.
The 95 % intervals come from the Jacobian at the optimum (covariance s^2 (J^T W J)^-1 and a t
quantile); neighbouring points of a mean-max curve are not independent, so read them as a
lower bound on the uncertainty. RMSE is over the points in the window, unweighted, in watts.

The estimated FTP is the model's power for 60 minutes, as GoldenCheetah reports FTP for its
models that estimate one (ExtendedModel::FTP and MultiModel::FTP in PDModel.cpp).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.optimize import least_squares

from bikenode.fitness.logic.arrays import FloatArray

__all__ = [
    "CP_RANGE_W",
    "FTP_DURATION_S",
    "MIN_W_PRIME_J",
    "THREE_PARAMETER_WINDOW_S",
    "TWO_PARAMETER_WINDOW_S",
    "CriticalPowerFit",
    "fit_three_parameter",
    "fit_two_parameter",
    "model_power_w",
]

TWO_PARAMETER_WINDOW_S = (120, 1200)
THREE_PARAMETER_WINDOW_S = (1, 1200)
MIN_W_PRIME_J = 1000.0
CP_RANGE_W = (100.0, 1000.0)
FTP_DURATION_S = 3600
_MAX_K_S = 600.0  # Pmax at most ~W'/600 s above CP: a bound, not a prior

Model = Literal["2p", "3p"]


@dataclass(frozen=True)
class CriticalPowerFit:
    """A fitted power-duration model, or the reason it was refused (then its values are None)."""

    model: Model
    window_s: tuple[int, int]
    points: int
    cp_w: float | None = None
    w_prime_j: float | None = None
    p_max_w: float | None = None
    cp_ci_w: tuple[float, float] | None = None
    w_prime_ci_j: tuple[float, float] | None = None
    p_max_ci_w: tuple[float, float] | None = None
    rmse_w: float | None = None
    ftp_w: float | None = None
    refused: str = ""

    @property
    def ok(self) -> bool:
        """Whether the fit passed its sanity gates."""
        return not self.refused


def model_power_w(
    duration_s: npt.ArrayLike, *, cp_w: float, w_prime_j: float, p_max_w: float | None = None
) -> FloatArray:
    """Power (W) the 2-parameter model (no Pmax) or Morton's 3-parameter model predicts."""
    t = np.asarray(duration_s, dtype=np.float64)
    k = 0.0 if p_max_w is None else w_prime_j / (p_max_w - cp_w)
    return np.asarray(w_prime_j / (t + k) + cp_w, dtype=np.float64)


def fit_two_parameter(
    durations_s: npt.ArrayLike,
    watts: npt.ArrayLike,
    *,
    window_s: tuple[int, int] = TWO_PARAMETER_WINDOW_S,
) -> CriticalPowerFit:
    """CP and W' of P = W'/t + CP fitted to the curve within `window_s`."""
    t, p, weight = _window(durations_s, watts, window_s)
    if t.size < 3:
        return CriticalPowerFit("2p", window_s, int(t.size), refused=_too_few(t.size, window_s))
    start = _work_time_line(t, p)

    def residuals(x: FloatArray) -> FloatArray:
        return np.asarray(np.sqrt(weight) * (x[1] / t + x[0] - p), dtype=np.float64)

    solution = _solve(residuals, start, ([0.0, 0.0], [5000.0, 1e6]), [100.0, 1e4])
    return _report("2p", window_s, t, p, solution)


def fit_three_parameter(
    durations_s: npt.ArrayLike,
    watts: npt.ArrayLike,
    *,
    window_s: tuple[int, int] = THREE_PARAMETER_WINDOW_S,
) -> CriticalPowerFit:
    """CP, W' and Pmax of Morton's P = W'/(t + W'/(Pmax - CP)) + CP within `window_s`."""
    t, p, weight = _window(durations_s, watts, window_s)
    if t.size < 4:
        return CriticalPowerFit("3p", window_s, int(t.size), refused=_too_few(t.size, window_s))
    longer = t >= min(120.0, float(t[-1]) / 2)
    cp0, w0 = _work_time_line(t[longer], p[longer])

    def residuals(x: FloatArray) -> FloatArray:
        return np.asarray(np.sqrt(weight) * (x[1] / (t + x[2]) + x[0] - p), dtype=np.float64)

    bounds = ([0.0, 0.0, 0.0], [5000.0, 1e6, _MAX_K_S])
    solution = _solve(residuals, np.array([cp0, w0, 10.0]), bounds, [100.0, 1e4, 10.0])
    return _report("3p", window_s, t, p, solution)


def _window(
    durations_s: npt.ArrayLike, watts: npt.ArrayLike, window_s: tuple[int, int]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The finite points within the window and the seconds each stands for."""
    t = np.asarray(durations_s, dtype=np.float64)
    p = np.asarray(watts, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"expected durations and watts of one shape, got {t.shape} and {p.shape}")
    keep = (t >= window_s[0]) & (t <= window_s[1]) & np.isfinite(p) & (t > 0)
    order = np.argsort(t[keep])
    t, p = t[keep][order], p[keep][order]
    # Each point stands for the seconds from halfway to its left neighbour to halfway to its right.
    edges = np.concatenate(([t[0] - 0.5] if t.size else [], (t[1:] + t[:-1]) / 2, t[-1:] + 0.5))
    return t, p, np.diff(edges)


def _work_time_line(t: FloatArray, p: FloatArray) -> FloatArray:
    """CP and W' from the straight line work = CP * t + W' (the classic linear start)."""
    design = np.column_stack((t, np.ones_like(t)))
    slope_intercept, *_ = np.linalg.lstsq(design, p * t, rcond=None)
    return np.asarray(slope_intercept, dtype=np.float64)


def _too_few(points: int, window_s: tuple[int, int]) -> str:
    return f"too few curve points between {window_s[0]} and {window_s[1]} s to fit ({points})"


@dataclass(frozen=True)
class _Solution:
    x: FloatArray
    covariance: FloatArray | None
    failure: str


def _solve(
    residuals: Callable[[FloatArray], FloatArray],
    start: FloatArray,
    bounds: tuple[list[float], list[float]],
    x_scale: list[float],
) -> _Solution:
    """Bounded least squares and the parameters' covariance, s^2 (J^T J)^-1, from its Jacobian."""
    result = least_squares(residuals, np.clip(start, *bounds), bounds=bounds, x_scale=x_scale)
    x = np.asarray(result.x, dtype=np.float64)
    if not result.success:
        return _Solution(x, None, f"the fit did not converge: {result.message}")
    jac, fun = np.asarray(result.jac, dtype=np.float64), np.asarray(result.fun, dtype=np.float64)
    dof = fun.size - x.size
    try:
        covariance = np.linalg.inv(jac.T @ jac) * float(fun @ fun) / max(dof, 1)
    except np.linalg.LinAlgError:
        covariance = None
    return _Solution(x, covariance, "")


def _report(
    model: Model,
    window_s: tuple[int, int],
    t: FloatArray,
    p: FloatArray,
    solution: _Solution,
) -> CriticalPowerFit:
    """The fit's values, intervals and FTP, or why it is refused."""
    x, points = solution.x, int(t.size)
    if solution.failure:
        return CriticalPowerFit(model, window_s, points, refused=solution.failure)
    cp, w_prime = float(x[0]), float(x[1])
    k = float(x[2]) if model == "3p" else 0.0
    refused = _gate(cp, w_prime)
    if refused:
        return CriticalPowerFit(
            model, window_s, points, cp_w=cp, w_prime_j=w_prime, refused=refused
        )
    # The gradients of CP, W' and Pmax = CP + W'/k with respect to the parameters.
    gradients = [np.eye(x.size)[0], np.eye(x.size)[1]]
    if model == "3p":
        gradients.append(np.array([1.0, 1.0 / k, -w_prime / k**2]) if k > 0 else np.full(3, np.inf))
    quantile = float(stats.t.ppf(0.975, max(points - x.size, 1)))
    half = [_half_width(solution.covariance, gradient, quantile) for gradient in gradients]
    p_max = cp + w_prime / k if k > 0 else float("inf")
    return CriticalPowerFit(
        model,
        window_s,
        points,
        cp_w=cp,
        w_prime_j=w_prime,
        p_max_w=p_max if model == "3p" else None,
        cp_ci_w=_interval(cp, half[0]),
        w_prime_ci_j=_interval(w_prime, half[1]),
        p_max_ci_w=_interval(p_max, half[2]) if model == "3p" else None,
        rmse_w=float(np.sqrt(np.mean((w_prime / (t + k) + cp - p) ** 2))),
        ftp_w=w_prime / (FTP_DURATION_S + k) + cp,
    )


def _gate(cp: float, w_prime: float) -> str:
    if w_prime < MIN_W_PRIME_J:
        return (
            f"W' of {w_prime:.0f} J is under {MIN_W_PRIME_J:.0f} J: the curve has no anaerobic part"
        )
    if not CP_RANGE_W[0] <= cp <= CP_RANGE_W[1]:
        return f"CP of {cp:.0f} W is outside {CP_RANGE_W[0]:.0f}-{CP_RANGE_W[1]:.0f} W"
    return ""


def _half_width(
    covariance: FloatArray | None, gradient: FloatArray, quantile: float
) -> float | None:
    if covariance is None or not np.all(np.isfinite(gradient)):
        return None
    variance = float(gradient @ covariance @ gradient)
    return quantile * float(np.sqrt(variance)) if variance >= 0 else None


def _interval(value: float, half_width: float | None) -> tuple[float, float] | None:
    return None if half_width is None else (value - half_width, value + half_width)
