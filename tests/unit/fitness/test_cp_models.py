"""CP model fits: exact recovery from noiseless curves, the sanity gates, and a synthetic cohort."""

from __future__ import annotations

import numpy as np
import pytest

from bikenode.fitness.logic.cp_models import (
    fit_three_parameter,
    fit_two_parameter,
    model_power_w,
)
from bikenode.fitness.logic.power_curve import DURATION_GRID_S

GRID = DURATION_GRID_S[DURATION_GRID_S <= 3600]


def test_two_parameter_fit_recovers_cp_and_w_prime_from_a_noiseless_curve() -> None:
    fit = fit_two_parameter(GRID, model_power_w(GRID, cp_w=265.0, w_prime_j=18000.0))
    assert fit.ok, fit.refused
    assert fit.cp_w == pytest.approx(265.0, rel=1e-6)
    assert fit.w_prime_j == pytest.approx(18000.0, rel=1e-6)
    assert fit.rmse_w == pytest.approx(0.0, abs=1e-6)
    assert fit.ftp_w == pytest.approx(265.0 + 18000.0 / 3600)
    assert fit.points == int(np.count_nonzero((GRID >= 120) & (GRID <= 1200)))


def test_three_parameter_fit_recovers_cp_w_prime_and_pmax() -> None:
    watts = model_power_w(GRID, cp_w=310.0, w_prime_j=22000.0, p_max_w=1250.0)
    fit = fit_three_parameter(GRID, watts)
    assert fit.ok, fit.refused
    assert fit.cp_w == pytest.approx(310.0, rel=1e-6)
    assert fit.w_prime_j == pytest.approx(22000.0, rel=1e-6)
    assert fit.p_max_w == pytest.approx(1250.0, rel=1e-6)


def test_confidence_intervals_bracket_the_fit_and_widen_with_noise() -> None:
    rng = np.random.default_rng(11)
    clean = model_power_w(GRID, cp_w=250.0, w_prime_j=20000.0)
    quiet = fit_two_parameter(GRID, clean * rng.normal(1, 0.002, GRID.size))
    noisy = fit_two_parameter(GRID, clean * rng.normal(1, 0.02, GRID.size))
    for fit in (quiet, noisy):
        assert fit.cp_ci_w is not None and fit.cp_ci_w[0] < fit.cp_w < fit.cp_ci_w[1]  # type: ignore[operator]
    assert quiet.cp_ci_w and noisy.cp_ci_w
    assert np.diff(noisy.cp_ci_w)[0] > np.diff(quiet.cp_ci_w)[0]
    assert noisy.rmse_w is not None and noisy.rmse_w > quiet.rmse_w  # type: ignore[operator]


def test_fit_is_refused_for_a_curve_without_anaerobic_capacity() -> None:
    fit = fit_two_parameter(GRID, np.full(GRID.size, 250.0))
    assert not fit.ok
    assert fit.refused.startswith("W' of 0 J is under 1000 J")


def test_fit_is_refused_for_an_implausible_cp() -> None:
    fit = fit_two_parameter(GRID, model_power_w(GRID, cp_w=60.0, w_prime_j=9000.0))
    assert fit.refused == "CP of 60 W is outside 100-1000 W"


def test_fit_is_refused_without_enough_points() -> None:
    fit = fit_two_parameter([60, 120], [500.0, 400.0])
    assert fit.refused == "too few curve points between 120 and 1200 s to fit (1)"
    assert fit.cp_w is None


def test_synthetic_cohort_recovers_cp_and_w_prime() -> None:
    """100 athletes' best efforts from Morton's model, with noise and submaximal durations."""
    rng = np.random.default_rng(2024)
    athletes = 100
    good = {"3p": 0, "2p": 0}
    for _ in range(athletes):
        cp = rng.uniform(150, 400)
        w_prime = rng.uniform(10000, 30000)
        p_max = cp + rng.uniform(500, 1100)
        durations = GRID[GRID <= 1800]
        best = model_power_w(durations, cp_w=cp, w_prime_j=w_prime, p_max_w=p_max)
        best *= 1 + rng.uniform(-0.02, 0.02, durations.size)
        # A fifth of the durations were never ridden all out: 0-8 % under the athlete's best.
        submaximal = rng.random(durations.size) < 0.2
        best[submaximal] *= 1 - rng.uniform(0, 0.08, int(submaximal.sum()))
        for model, fit in (
            ("3p", fit_three_parameter(durations, best)),
            ("2p", fit_two_parameter(durations, best)),
        ):
            found_cp, found_w_prime = fit.cp_w or 0.0, fit.w_prime_j or 0.0
            if abs(found_cp / cp - 1) <= 0.03 and abs(found_w_prime / w_prime - 1) <= 0.10:
                good[model] += fit.ok
    print(
        f"\ncohort of {athletes}: CP within 3 % and W' within 10 %: 3p {good['3p']}, 2p {good['2p']}"
    )
    assert good["3p"] >= 0.9 * athletes
