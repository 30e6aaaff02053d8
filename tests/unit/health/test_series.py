"""Each day's baseline and usual range for charts: after the warm-up, per source."""

from __future__ import annotations

from datetime import date, timedelta

from bikenode.health.logic.alerts import Reading, resting_hr_flags
from bikenode.health.logic.baselines import daily_values
from bikenode.health.logic.series import BaselineDay, baseline_days

START = date(2025, 3, 1)


def _readings(values: list[float], source: str) -> list[Reading]:
    return [Reading(START + timedelta(days=i), v, source) for i, v in enumerate(values)]


def test_a_baseline_starts_after_fourteen_values_of_its_own_source() -> None:
    readings = _readings([70.0, 72.0] * 8, "scale") + _readings([80.0] * 3, "gym")
    days = baseline_days("weight_kg", readings, START, START + timedelta(days=30))
    # The 15th day of the scale: 7 values each of 70 and 72 before it, median 71, MAD 1;
    # the 16th: 8 of 70 and 7 of 72, median 70, MAD 0. The gym's three never warm up.
    assert days == [
        BaselineDay(START + timedelta(days=14), "scale", 71.0, 69.52, 72.48),
        BaselineDay(START + timedelta(days=15), "scale", 70.0, 70.0, 70.0),
    ]


def test_resting_heart_rate_uses_the_alert_rules_numbers_and_the_range_cuts_days() -> None:
    values = [50.0, 51.0] * 10
    readings = _readings(values, "watch")
    end = START + timedelta(days=19)
    days = baseline_days("resting_hr_bpm", readings, START + timedelta(days=18), end)
    flags = resting_hr_flags(daily_values(((r.day, r.value) for r in readings), START, 20), START)
    assert [d.day for d in days] == [START + timedelta(days=18), end]
    assert days[-1].baseline == round(float(flags.baseline[19]), 2)
    assert days[-1].usual_high == round(float(flags.usual_high[19]), 2)
