"""W' balance by hand: linear depletion above CP, recovery below it, and matches."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from bikenode.fitness.logic.arrays import FloatArray
from bikenode.fitness.logic.w_balance import (
    hard_efforts,
    skiba_tau_s,
    w_prime_balance_differential,
    w_prime_balance_integral,
)


def loop_differential(power: FloatArray, cp: float, w_prime: float) -> FloatArray:
    balance, out = w_prime, []
    for watts in power:
        if watts < cp:
            balance += (cp - watts) * (w_prime - balance) / w_prime
        else:
            balance += cp - watts
        out.append(balance)
    return np.array(out)


def test_constant_power_above_cp_depletes_linearly() -> None:
    balance = w_prime_balance_differential(np.full(60, 350.0), cp_w=250.0, w_prime_j=20000.0)
    np.testing.assert_allclose(balance, 20000.0 - 100.0 * np.arange(1, 61))
    integral = w_prime_balance_integral(
        np.full(60, 350.0), cp_w=250.0, w_prime_j=20000.0, tau_s=1e12
    )
    np.testing.assert_allclose(integral, 20000.0 - 100.0 * np.arange(1, 61), rtol=1e-9)


def test_recovery_below_cp_closes_the_gap_by_a_fixed_share_each_second() -> None:
    power = np.concatenate((np.full(100, 450.0), np.full(50, 150.0)))
    balance = w_prime_balance_differential(power, cp_w=250.0, w_prime_j=25000.0)
    gap_after = (25000.0 - balance[99]) * (1 - 100.0 / 25000.0) ** np.arange(1, 51)
    np.testing.assert_allclose(25000.0 - balance[100:], gap_after)


def test_closed_form_equals_the_second_by_second_loop_even_on_long_stops() -> None:
    rng = np.random.default_rng(5)
    power = np.concatenate((np.clip(rng.normal(240, 150, 5000), 0, None), np.zeros(40000)))
    fast = w_prime_balance_differential(power, cp_w=300.0, w_prime_j=6000.0)
    np.testing.assert_allclose(fast, loop_differential(power, 300.0, 6000.0), atol=1e-6)


def test_integral_form_decays_each_expenditure_with_tau() -> None:
    power = np.zeros(400)
    power[0] = 1250.0
    balance = w_prime_balance_integral(power, cp_w=250.0, w_prime_j=20000.0, tau_s=300.0)
    assert 20000.0 - balance[200] == pytest.approx(1000.0 * math.exp(-200 / 300))


def test_skiba_tau_uses_the_mean_deficit_below_cp() -> None:
    power = np.array([100.0, 200.0, 400.0])
    assert skiba_tau_s(power, cp_w=250.0) == math.floor(546 * math.exp(-0.01 * 100) + 316)


def test_differential_form_of_a_four_hour_ride_takes_under_2_ms() -> None:
    power = np.clip(np.random.default_rng(9).normal(220, 110, 4 * 3600), 0, None)
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        w_prime_balance_differential(power, cp_w=260.0, w_prime_j=20000.0)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.002, timings


def test_hard_efforts_count_drops_of_at_least_2_kj_and_the_minimum() -> None:
    block = np.concatenate((np.full(30, 400.0), np.full(240, 100.0)))  # 4.5 kJ each
    small = np.concatenate((np.full(10, 400.0), np.full(240, 100.0)))  # 1.5 kJ
    power = np.concatenate((block, small, block))
    balance = w_prime_balance_differential(power, cp_w=250.0, w_prime_j=20000.0)
    efforts = hard_efforts(balance, w_prime_j=20000.0)
    assert efforts.count == 2
    assert efforts.min_balance_j == pytest.approx(balance.min())
    assert efforts.max_depletion == pytest.approx(1 - balance.min() / 20000.0)


def test_a_short_breather_does_not_split_an_effort() -> None:
    surge = np.concatenate((np.full(12, 420.0), np.full(10, 200.0), np.full(12, 420.0)))
    balance = w_prime_balance_differential(
        np.concatenate((surge, np.full(300, 100.0))), cp_w=250.0, w_prime_j=20000.0
    )
    assert hard_efforts(balance, w_prime_j=20000.0, threshold_j=3000.0).count == 1
    assert hard_efforts(np.zeros(0), w_prime_j=20000.0).count == 0
