"""Mean-maximal power against brute force, on step signals, and combined over rides."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bikenode.fitness.logic.arrays import FloatArray
from bikenode.fitness.logic.power_curve import (
    DURATION_GRID_S,
    PowerCurve,
    combine_curves,
    combine_watts,
    mean_max_power,
)
from bikenode.fitness.rules import pack_curve, stored_watts


def brute_force(power: FloatArray, duration: int) -> float:
    return max(float(power[i : i + duration].mean()) for i in range(power.size - duration + 1))


def test_grid_is_every_second_to_three_minutes_then_steps_of_about_one_percent() -> None:
    assert DURATION_GRID_S[:180].tolist() == list(range(1, 181))
    ratios = DURATION_GRID_S[181:] / DURATION_GRID_S[180:-1]
    assert ratios.max() < 1.015  # whole seconds make the first steps after 3 min a bit wider
    assert {300, 1200, 3600, 7200}.issubset(DURATION_GRID_S.tolist())


def test_mean_max_of_a_step_signal() -> None:
    power = np.concatenate((np.full(60, 100.0), np.full(30, 400.0), np.full(60, 100.0)))
    curve = mean_max_power(power)
    assert curve.at(1) == 400.0
    assert curve.at(30) == 400.0
    assert curve.at(60) == pytest.approx((30 * 400 + 30 * 100) / 60)
    assert curve.at(150) == pytest.approx((120 * 100 + 30 * 400) / 150)
    assert curve.durations_s[-1] == 150
    assert curve.at(151) is None


def test_every_grid_value_is_the_exact_best_window() -> None:
    power = np.random.default_rng(7).gamma(3, 70, 700)
    curve = mean_max_power(power)
    for duration, watts in zip(curve.durations_s.tolist(), curve.watts.tolist(), strict=True):
        assert watts == pytest.approx(brute_force(power, duration), rel=1e-12)


def plain_mean_max(power: FloatArray) -> list[float]:
    """The O(n*k) reference: every start of every grid duration, one float sum each, taken as
    the energy after the window minus the energy before it (the stored curves' arithmetic)."""
    clean = [p if np.isfinite(p) and p > 0.0 else 0.0 for p in power.tolist()]
    energy = [0.0, *np.cumsum(clean).tolist()] if clean else [0.0]
    best = []
    for duration in [d for d in DURATION_GRID_S.tolist() if d <= len(clean)]:
        top = max(energy[i + duration] - energy[i] for i in range(len(clean) - duration + 1))
        best.append(top / duration)
    return best


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(0, 260),
        elements=st.one_of(
            st.integers(0, 2000).map(float),
            st.floats(-50.0, 2500.0),
            st.sampled_from([np.nan, 0.0, -1.0, 1e-300, 1999.9]),
        ),
    )
)
def test_the_curve_equals_a_plain_loop_bit_for_bit(power: FloatArray) -> None:
    curve = mean_max_power(power)
    assert curve.watts.tolist() == plain_mean_max(power)
    assert curve.durations_s.tolist() == list(range(1, min(power.size, 180) + 1)) + [
        d for d in DURATION_GRID_S.tolist() if 180 < d <= power.size
    ]


def test_gaps_and_negative_readings_count_as_zero_watts() -> None:
    curve = mean_max_power([300.0, float("nan"), -5.0, 300.0])
    assert curve.at(4) == pytest.approx(150.0)


def test_four_hour_ride_takes_under_20_ms() -> None:
    power = np.random.default_rng(1).gamma(4, 50, 4 * 3600)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        mean_max_power(power)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.020, timings


def test_combined_curve_keeps_each_best_and_the_ride_it_came_from() -> None:
    sprint = mean_max_power(np.concatenate((np.full(10, 900.0), np.full(50, 150.0))))
    steady = mean_max_power(np.full(600, 280.0))
    short = mean_max_power(np.full(5, 1000.0))
    combined = combine_curves([sprint, steady, short])
    assert combined.durations_s.size == steady.durations_s.size
    assert combined.watts[:5].tolist() == [1000.0] * 5
    assert combined.source[:5].tolist() == [2] * 5
    assert combined.source[5:10].tolist() == [0] * 5
    assert combined.watts[-1] == 280.0 and combined.source[-1] == 1


def test_combining_in_blocks_equals_one_block() -> None:
    rng = np.random.default_rng(3)
    curves = [mean_max_power(rng.gamma(3, 60, int(n))) for n in rng.integers(10, 2000, 40)]
    small, large = combine_curves(curves, block=7), combine_curves(curves, block=1000)
    np.testing.assert_array_equal(small.watts, large.watts)
    np.testing.assert_array_equal(small.source, large.source)
    assert combine_curves([]).watts.size == 0


def test_combining_stored_float32_curves_equals_combining_their_unpacked_curves() -> None:
    rng = np.random.default_rng(5)
    stored = [
        pack_curve(mean_max_power(rng.gamma(3, 60, int(n))).watts) for n in rng.integers(1, 900, 60)
    ]
    stored.append(stored[3])  # a tie: the first curve keeps it
    unpacked = [np.frombuffer(data, "<f4").astype(np.float64) for data in stored]
    expected = combine_curves([PowerCurve(DURATION_GRID_S[: w.size], w) for w in unpacked])
    combined = combine_watts([stored_watts(data) for data in stored], block=16, dtype=np.float32)
    np.testing.assert_array_equal(combined.watts, expected.watts)
    np.testing.assert_array_equal(combined.source, expected.source)
    assert combined.watts.dtype == np.float64 and 60 not in combined.source


def test_combining_refuses_curves_longer_than_the_grid() -> None:
    with pytest.raises(ValueError, match="at most"):
        combine_watts([np.zeros(DURATION_GRID_S.size + 1)])
