"""A file's sport and sub-sport become the sport types the peers use."""

from __future__ import annotations

import pytest

from bikenode.rides.logic.sports import is_commute, ride_sport


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected"),
    [
        ("cycling", None, "cycling"),
        (None, None, "cycling"),
        ("cycling", "road", "cycling"),
        ("cycling", "virtual_activity", "virtual_cycling"),
        ("cycling", "indoor_cycling", "virtual_cycling"),
        ("cycling", "gravel_cycling", "gravel_cycling"),
        ("cycling", "mountain", "mountain_biking"),
        ("cycling", "e_bike_mountain", "ebike"),
        ("e_biking", None, "ebike"),
        ("running", "trail", "running"),
    ],
)
def test_sport_types(sport: str | None, sub_sport: str | None, expected: str) -> None:
    assert ride_sport(sport, sub_sport) == expected


def test_a_commuting_sub_sport_is_a_commute_of_a_cycling_ride() -> None:
    assert is_commute("commuting") and not is_commute("road") and not is_commute(None)
    assert ride_sport("cycling", "commuting") == "cycling"
