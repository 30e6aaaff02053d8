"""Cross-checks against sweatpy on the same data: mean-max power and W' balance."""

from __future__ import annotations

import numpy as np
import pytest

from bikenode.fitness.logic.arrays import FloatArray
from bikenode.fitness.logic.power_curve import mean_max_power
from bikenode.fitness.logic.w_balance import (
    skiba_tau_s,
    w_prime_balance_differential,
    w_prime_balance_integral,
)
from tests.unit.fitness import sweat_peer

CORE = sweat_peer.load("metrics/core.py")
WBAL = sweat_peer.load("pdm/w_prime_balance.py")
needs_sweat = pytest.mark.skipif(CORE is None or WBAL is None, reason=sweat_peer.INSTALL_HINT)


def ride(seconds: int, seed: int = 8) -> FloatArray:
    rng = np.random.default_rng(seed)
    surges = np.repeat(rng.choice([0.0, 250.0], size=seconds // 30 + 1, p=[0.8, 0.2]), 30)
    power: FloatArray = np.clip(rng.normal(200, 60, seconds) + surges[:seconds], 0.0, None)
    return power


@needs_sweat
def test_mean_max_power_equals_sweatpy() -> None:
    power = ride(1500)
    ours = mean_max_power(power)
    # sweatpy's windows skip the first sample and stop one short of the ride's length; a
    # leading zero second gives it the same windows as ours.
    theirs = np.asarray(CORE.mean_max(np.concatenate(([0.0], power))))  # type: ignore[union-attr]
    np.testing.assert_allclose(ours.watts, theirs[ours.durations_s - 1], rtol=1e-10)


@needs_sweat
def test_differential_w_prime_balance_equals_sweatpy() -> None:
    power = ride(3000)
    ours = w_prime_balance_differential(power, cp_w=260.0, w_prime_j=18000.0)
    theirs = WBAL.w_prime_balance(power, 260.0, 18000.0, algorithm="froncioni-skiba-clarke")  # type: ignore[union-attr]
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9, atol=1e-6)


@needs_sweat
def test_integral_w_prime_balance_equals_sweatpy() -> None:
    power = ride(600)
    tau = skiba_tau_s(power, cp_w=260.0)
    ours = w_prime_balance_integral(power, cp_w=260.0, w_prime_j=18000.0, tau_s=tau)
    for algorithm in ("skiba", "waterworth"):
        theirs = WBAL.w_prime_balance(power, 260.0, 18000.0, algorithm=algorithm, tau_value=tau)  # type: ignore[union-attr]
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9, atol=1e-6)
