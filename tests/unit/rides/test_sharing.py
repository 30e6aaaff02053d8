"""Heart rate and power sharing: the ride's choice, else the rider's default."""

from __future__ import annotations

import pytest

from bikenode.rides.logic.sharing import (
    shares_health,
    streams_for_others,
    summary_for_others,
    withheld_streams,
)

SUMMARY = {
    "distance_m": 1000.0,
    "avg_hr_bpm": 140.0,
    "max_hr_bpm": 170.0,
    "avg_power_w": 200.0,
    "max_power_w": 600.0,
    "weighted_power_w": 220.0,
    "best_power": [],
    "calories_kcal": 500.0,
    "intensity": 0.88,
    "training_stress": 50.0,
    "hr_zones": [],
    "power_zones": [],
}


@pytest.mark.parametrize(
    ("ride_choice", "rider_default", "shared"),
    [
        (None, False, False),
        (None, True, True),
        (True, False, True),
        (False, True, False),
    ],
)
def test_the_rides_choice_wins_and_null_follows_the_default(
    ride_choice: bool | None, rider_default: bool, shared: bool
) -> None:
    assert shares_health(ride_choice, rider_default) is shared


def test_unshared_summary_keeps_only_plain_figures() -> None:
    assert summary_for_others(SUMMARY, health=False) == {"distance_m": 1000.0}


def test_shared_summary_still_hides_figures_that_give_thresholds_away() -> None:
    shown = summary_for_others(SUMMARY, health=True)
    assert set(SUMMARY) - set(shown) == {"intensity", "training_stress", "hr_zones", "power_zones"}


def test_withheld_streams_are_named_whether_or_not_the_ride_has_them() -> None:
    streams = {"time_s": 1, "hr_bpm": 2, "cadence_rpm": 3}
    assert streams_for_others(streams, health=False) == {"time_s": 1, "cadence_rpm": 3}
    assert streams_for_others(streams, health=True) == streams
    assert set(withheld_streams(health=False)) == {"hr_bpm", "power_w"}
    assert withheld_streams(health=True) == {}
