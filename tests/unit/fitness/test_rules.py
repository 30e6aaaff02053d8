"""Fitness bookkeeping: which threshold is in force, what a change reaches, ranges and days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.fitness.rules import (
    DatedValue,
    RuleError,
    check_range,
    check_thresholds,
    first_changed_day,
    in_force,
    local_day,
    pack_curve,
    unpack_curve,
)

HISTORY = [
    DatedValue("ftp_w", date(2025, 1, 1), 250.0),
    DatedValue("ftp_w", date(2025, 6, 1), 270.0),
    DatedValue("max_hr_bpm", date(2024, 1, 1), 190.0),
]


def test_the_latest_value_on_or_before_the_day_is_in_force() -> None:
    assert in_force(HISTORY, date(2024, 12, 31)) == {"max_hr_bpm": 190.0}
    assert in_force(HISTORY, date(2025, 1, 1)) == {"ftp_w": 250.0, "max_hr_bpm": 190.0}
    assert in_force(HISTORY, date(2025, 5, 31))["ftp_w"] == 250.0
    assert in_force(reversed(HISTORY), date(2030, 1, 1))["ftp_w"] == 270.0


def test_a_change_reaches_rides_from_its_first_different_day() -> None:
    assert first_changed_day(HISTORY, list(HISTORY)) is None
    changed = [*HISTORY[:1], DatedValue("ftp_w", date(2025, 6, 1), 280.0), HISTORY[2]]
    assert first_changed_day(HISTORY, changed) == date(2025, 6, 1)
    assert first_changed_day(HISTORY, HISTORY[1:]) == date(2025, 1, 1)  # a value removed
    assert first_changed_day([], [DatedValue("ftp_w", date(2023, 3, 1), 200.0)]) == date(2023, 3, 1)


def test_thresholds_refuse_implausible_values_and_two_on_one_day() -> None:
    check_thresholds(HISTORY)
    with pytest.raises(RuleError, match="expected max_hr_bpm from 80 to 240, got 300"):
        check_thresholds([DatedValue("max_hr_bpm", date(2025, 1, 1), 300.0)])
    with pytest.raises(RuleError, match="expected one ftp_w per day, got two from 2025-01-01"):
        check_thresholds([HISTORY[0], DatedValue("ftp_w", date(2025, 1, 1), 240.0)])
    with pytest.raises(RuleError, match="expected a kind among"):
        check_thresholds([DatedValue("vo2max", date(2025, 1, 1), 60.0)])


def test_ranges_run_forward_and_span_at_most_twenty_years() -> None:
    check_range(date(2025, 1, 1), date(2025, 1, 1))
    with pytest.raises(RuleError, match="got from 2025-01-02 after to 2025-01-01"):
        check_range(date(2025, 1, 2), date(2025, 1, 1))
    with pytest.raises(RuleError, match="at most 7320 days, got 7321"):
        check_range(date(2000, 1, 1), date(2020, 1, 16))


def test_a_ride_counts_on_its_day_in_the_riders_zone() -> None:
    late = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)
    assert local_day(late, "UTC") == date(2025, 3, 3)
    assert local_day(late, "Europe/Paris") == date(2025, 3, 4)
    assert local_day(late, "America/Los_Angeles") == date(2025, 3, 3)
    assert local_day(late, "Not/AZone") == date(2025, 3, 3)


@given(st.lists(st.floats(min_value=0, max_value=3000, width=32), max_size=50))
def test_a_stored_curve_reads_back_as_it_was(watts: list[float]) -> None:
    array = np.array(watts, dtype=np.float64)
    assert np.array_equal(unpack_curve(pack_curve(array)), array)


def test_a_damaged_curve_is_refused() -> None:
    with pytest.raises(RuleError, match="got 5 bytes"):
        unpack_curve(b"\x00" * 5)
