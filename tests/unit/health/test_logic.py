"""Hand-computable cases for rMSSD, baselines, alerts and readiness."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from bikenode.health.logic.alerts import Reading, find_alerts, resting_hr_flags
from bikenode.health.logic.baselines import rolling_baseline
from bikenode.health.logic.metrics import MetricRuleError, check_day, check_value
from bikenode.health.logic.readiness import (
    NOT_ENOUGH_DATA,
    READY,
    REST_ADVISED,
    TAKE_IT_EASY,
    readiness,
)
from bikenode.health.logic.rmssd import rmssd_ms

START = date(2025, 3, 1)


def _nights(values: list[float], source: str = "watch", start: date = START) -> list[Reading]:
    return [Reading(start + timedelta(days=i), v, source) for i, v in enumerate(values) if v == v]


def test_rmssd_of_alternating_intervals_is_their_difference() -> None:
    result = rmssd_ms([800.0, 850.0] * 20)
    assert result.rmssd_ms == pytest.approx(50.0)
    assert result.differences_used == 39


def test_rmssd_drops_out_of_range_beats_and_jumps_over_twenty_percent() -> None:
    clean = [800.0, 850.0] * 30
    # A missed beat (1650 ms: two beats in one) and a spike below 300 ms.
    with_artefacts = [*clean[:10], 1650.0, *clean[10:40], 250.0, *clean[40:]]
    assert rmssd_ms(with_artefacts).rmssd_ms == pytest.approx(50.0)


def test_rmssd_refuses_a_recording_too_short_or_too_noisy() -> None:
    assert rmssd_ms([800.0] * 10).reason is not None
    noisy = [800.0, 1200.0] * 40  # every difference is 50%
    assert rmssd_ms(noisy).rmssd_ms is None


def test_baseline_is_the_median_and_mad_of_the_days_before() -> None:
    values = np.array([60.0, 62.0, 58.0, 61.0, 59.0, 90.0])
    base = rolling_baseline(values, window_days=5, min_days=3)
    assert math.isnan(base.median[2])  # two days before: still warming up
    assert base.median[5] == 60.0  # median(60, 62, 58, 61, 59)
    assert base.spread[5] == pytest.approx(1.4826 * 1.0)  # |dev| = 0 2 2 1 1 -> MAD 1
    with_outlier = rolling_baseline(np.append(values, 60.0), window_days=5, min_days=3)
    assert with_outlier.median[6] == 61.0  # the 90 moves the median by one rank only


def test_two_consecutive_nights_four_bpm_above_the_median_raise_one_alert() -> None:
    nights = [50.0, 51.0] * 10 + [55.0, 56.0, 57.0, 50.0]
    [alert] = find_alerts({"resting_hr_bpm": _nights(nights)})
    assert alert.day == START + timedelta(days=21)  # the second elevated night
    assert alert.kind == "resting_hr_elevated"
    explanation = alert.explanation
    assert (explanation.first_day, explanation.days) == (START + timedelta(days=20), 3)
    assert explanation.values == (55.0, 56.0, 57.0)
    assert explanation.baseline == 51.0  # median of the 21 nights before the alert day
    assert "3 days in a row" in explanation.message


def test_one_elevated_night_raises_nothing() -> None:
    nights = [50.0, 51.0] * 10 + [58.0, 50.0, 51.0]
    assert find_alerts({"resting_hr_bpm": _nights(nights)}) == []


def test_a_new_watch_raises_nothing_before_its_own_warm_up() -> None:
    old = _nights([50.0, 51.0] * 10)
    # The new watch reads 6 bpm higher from its first night on.
    new = _nights([57.0, 56.0] * 7, source="new watch", start=START + timedelta(days=20))
    assert find_alerts({"resting_hr_bpm": old + new}) == []


def test_a_lone_missing_night_does_not_break_a_run() -> None:
    values = np.array([50.0, 51.0] * 10 + [56.0, np.nan, 57.0])
    flags = resting_hr_flags(values, START)
    assert flags.alert.tolist()[-3:] == [False, False, True]


def test_an_alert_names_little_sleep_and_a_load_spike() -> None:
    nights = [50.0, 51.0] * 10 + [56.0, 57.0]
    sleep = [Reading(START + timedelta(days=21), 4.5, "manual")]
    stress = {START + timedelta(days=i): (150.0 if i >= 15 else 50.0) for i in range(22)}
    [alert] = find_alerts(
        {"resting_hr_bpm": _nights(nights), "sleep_h": sleep}, stress_by_day=stress
    )
    assert alert.explanation.also[0].startswith("little sleep: 4.5 h")
    assert alert.explanation.also[1].startswith("training load spike")


def test_readiness_names_its_state_and_factors() -> None:
    steady = _nights([50.0, 51.0] * 10 + [50.0])
    today = START + timedelta(days=20)
    assert readiness(today, {"resting_hr_bpm": steady}, []).state == READY
    assert readiness(today + timedelta(days=1), {"resting_hr_bpm": steady}, []).state == (
        NOT_ENOUGH_DATA
    )
    tired = {"resting_hr_bpm": steady, "fatigue_1_5": [Reading(today, 4, "manual")]}
    result = readiness(today, tired, [])
    assert result.state == TAKE_IT_EASY
    assert [f.status for f in result.factors] == ["usual", "high"]
    ill = _nights([50.0, 51.0] * 10 + [56.0, 57.0])
    alerts = find_alerts({"resting_hr_bpm": ill})
    assert readiness(today + timedelta(days=1), {"resting_hr_bpm": ill}, alerts).state == (
        REST_ADVISED
    )


def test_readiness_says_a_new_source_is_warming_up() -> None:
    new = _nights([50.0] * 5)
    result = readiness(START + timedelta(days=4), {"resting_hr_bpm": new}, [])
    assert result.state == NOT_ENOUGH_DATA
    assert result.factors[0].note == "watch has 4 of the 14 days a baseline needs"


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        ("resting_hr_bpm", 300.0),
        ("hrv_rmssd_ms", float("nan")),
        ("mood_1_5", 2.5),
        ("x", 1),
        ("steps", 200_001.0),
        ("steps", 10.5),
        ("steps", -1.0),
        ("steps", float("inf")),
    ],
)
def test_values_out_of_their_range_are_refused(metric: str, value: float) -> None:
    with pytest.raises(MetricRuleError):
        check_value(metric, value)


def test_days_far_ahead_are_refused() -> None:
    with pytest.raises(MetricRuleError, match="2099"):
        check_day(date(2099, 1, 1), today=date(2025, 1, 1))


def test_a_csv_with_stray_carriage_returns_or_nul_bytes_is_answered_not_raised() -> None:
    from bikenode.health.logic.csv_rows import parse_csv

    today = date(2026, 1, 10)
    rows, errors = parse_csv(b"day,metric,value\r2026-01-09,resting_hr_bpm,51\r\n", today=today)
    assert errors == [] and [(r.day, r.value) for r in rows] == [(date(2026, 1, 9), 51.0)]
    rows, errors = parse_csv(b"2026-01-09,resting_hr_bpm,5\x001\n", today=today)
    assert rows == [] and len(errors) == 1 and errors[0].line in (0, 1)
