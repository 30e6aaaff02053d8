"""Reading an export's bikes: names, types from Strava's sport types, which sports use a bike."""

from __future__ import annotations

import pytest

from bikenode.bikes.logic.source_gear import bike_type_of, rides_a_bike, same_name


@pytest.mark.parametrize(
    ("sports", "expected"),
    [
        ("Ride", "road"),
        ("Ride, GravelRide", "gravel"),
        ("GravelRide,MountainBikeRide", "mtb"),
        ("EBikeRide", "ebike"),
        ("E-Mountain Bike Ride", "ebike"),
        ("Hand Cycle", "road"),  # no type of ours: Strava's own default
        ("EMountainBikeRide", "ebike"),
        ("Virtual Ride", "trainer"),
        ("", "road"),
        ("Run", "road"),
    ],
)
def test_a_bikes_type_comes_from_its_most_telling_sport(sports: str, expected: str) -> None:
    assert bike_type_of(sports) == expected


def test_names_match_whatever_their_case_and_spacing() -> None:
    assert same_name("Canyon  Endurace", "canyon endurace ")
    assert not same_name("Canyon Endurace", "Canyon Grail")


def test_only_rides_on_a_bike_take_an_exports_gear() -> None:
    assert rides_a_bike("cycling") and rides_a_bike("gravel_cycling")
    assert rides_a_bike("virtual_cycling") and rides_a_bike("mountain_biking")
    assert not rides_a_bike("running") and not rides_a_bike("walking")
