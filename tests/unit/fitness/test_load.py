"""Training load on hand-computable stress, then a property: one pass equals two halves."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bikenode.fitness.logic.load import (
    LoadSeed,
    daily_stress,
    forecast,
    training_load,
)

START = date(2024, 1, 1)


def test_constant_stress_converges_to_it() -> None:
    load = training_load(START, np.full(2000, 80.0))
    assert load.fitness[-1] == pytest.approx(80.0, rel=1e-9)
    assert load.fatigue[-1] == pytest.approx(80.0, rel=1e-12)
    assert load.form[-1] == pytest.approx(0.0, abs=1e-6)
    assert load.ramp_rate[-1] == pytest.approx(0.0, abs=1e-6)


def test_one_ride_decays_by_e_to_the_minus_days_over_42() -> None:
    stress = np.zeros(100)
    stress[0] = 100.0
    load = training_load(START, stress)
    first = 100.0 * (1 - math.exp(-1 / 42))
    assert load.fitness[0] == pytest.approx(first)
    for days in (1, 10, 42, 99):
        assert load.fitness[days] == pytest.approx(first * math.exp(-days / 42))
        assert load.fatigue[days] == pytest.approx(
            100.0 * (1 - math.exp(-1 / 7)) * math.exp(-days / 7)
        )


def test_form_shows_on_the_next_day_by_default_or_the_same_day() -> None:
    stress = np.array([0.0, 120.0, 0.0, 50.0])
    seed = LoadSeed(fitness=40.0, fatigue=55.0)
    next_day = training_load(START, stress, seed=seed)
    same_day = training_load(START, stress, seed=seed, form_same_day=True)
    balance = next_day.fitness - next_day.fatigue
    assert next_day.form[0] == pytest.approx(-15.0)
    np.testing.assert_allclose(next_day.form[1:], balance[:-1])
    np.testing.assert_allclose(same_day.form, balance)


def test_ramp_rate_is_the_change_in_fitness_over_the_fatigue_days() -> None:
    rng = np.random.default_rng(4)
    load = training_load(START, rng.uniform(0, 150, 60))
    np.testing.assert_allclose(load.ramp_rate[7:], load.fitness[7:] - load.fitness[:-7])
    # Before seven days are known the window starts at the seed (0), as GoldenCheetah's does
    # from its first, ride-free day.
    np.testing.assert_allclose(load.ramp_rate[:7], load.fitness[:7])


def test_seeded_load_matches_the_recursion_by_hand() -> None:
    keep = math.exp(-1 / 30)
    load = training_load(START, [10.0, 0.0], fitness_days=30, seed=LoadSeed(fitness=60.0))
    day0 = 60.0 * keep + 10.0 * (1 - keep)
    assert load.fitness.tolist() == pytest.approx([day0, day0 * keep])


def test_forecast_keeps_the_last_four_weeks_average_without_a_plan() -> None:
    stress = np.concatenate((np.zeros(100), np.full(28, 70.0)))
    history = training_load(START, stress)
    ahead = forecast(history, days=10)
    assert ahead.start == history.end + timedelta(days=1)
    np.testing.assert_allclose(ahead.stress, 70.0)
    whole = training_load(START, np.concatenate((stress, np.full(10, 70.0))))
    np.testing.assert_allclose(ahead.fitness, whole.fitness[-10:])
    np.testing.assert_allclose(ahead.form, whole.form[-10:])


def test_forecast_rides_the_planned_stress() -> None:
    history = training_load(START, np.full(50, 40.0))
    plan = np.array([100.0, 0.0, 0.0])
    ahead = forecast(history, days=3, planned_stress=plan)
    whole = training_load(START, np.concatenate((np.full(50, 40.0), plan)))
    np.testing.assert_allclose(ahead.fatigue, whole.fatigue[-3:])
    with pytest.raises(ValueError, match="expected 4 days of planned stress, got 3"):
        forecast(history, days=4, planned_stress=plan)


def test_daily_stress_sums_rides_per_day_and_leaves_days_without_rides_at_zero() -> None:
    rides = [(date(2024, 1, 2), 50.0), (date(2024, 1, 2), 30.0), (date(2024, 1, 4), 10.0)]
    rides.append((date(2023, 12, 1), 99.0))
    assert daily_stress(START, date(2024, 1, 4), rides).tolist() == [0.0, 80.0, 0.0, 10.0]


def test_negative_or_missing_stress_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        training_load(START, [10.0, float("nan")])
    with pytest.raises(ValueError, match="non-negative"):
        training_load(START, [-1.0])


@settings(max_examples=60, deadline=None)
@given(
    stress=st.lists(st.floats(0, 400, allow_nan=False), min_size=2, max_size=200),
    split=st.integers(1, 199),
    fitness_days=st.integers(1, 60),
    fatigue_days=st.integers(1, 14),
    same_day=st.booleans(),
)
def test_load_over_a_range_equals_load_continued_from_a_split(
    stress: list[float], split: int, fitness_days: int, fatigue_days: int, same_day: bool
) -> None:
    split = min(split, len(stress) - 1)
    options = {
        "fitness_days": fitness_days,
        "fatigue_days": fatigue_days,
        "form_same_day": same_day,
    }
    whole = training_load(START, stress, **options)  # type: ignore[arg-type]
    first = training_load(START, stress[:split], **options)  # type: ignore[arg-type]
    second = training_load(
        first.end + timedelta(days=1),
        stress[split:],
        seed=first.next_seed(),
        **options,  # type: ignore[arg-type]
    )
    for name in ("fitness", "fatigue", "form", "ramp_rate"):
        joined = np.concatenate((getattr(first, name), getattr(second, name)))
        np.testing.assert_allclose(joined, getattr(whole, name), rtol=1e-9, atol=1e-9)
