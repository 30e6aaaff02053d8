"""Crossings of an interval's thresholds: when they happened, by which limit, with what usage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bikenode.bikes.logic.crossings import crossings
from bikenode.bikes.logic.intervals import ServiceInterval
from bikenode.bikes.logic.usage import RideOnBike, Usage

DAY0 = datetime(2025, 1, 1, tzinfo=UTC)
BIKE = uuid.uuid4()


def ride(day: float, km: float) -> RideOnBike:
    return RideOnBike(uuid.uuid4(), BIKE, DAY0 + timedelta(days=day), km * 1000, km * 120)


def test_the_ride_that_reaches_a_threshold_dates_the_crossing_whatever_the_input_order() -> None:
    rides = [ride(20, 10), ride(1, 10), ride(5, 75)]  # the day-5 ride imported last
    found = crossings(
        ServiceInterval(distance_m=100_000),
        start=Usage(),
        since=DAY0,
        rides=rides,
        now=DAY0 + timedelta(days=30),
    )
    assert [(c.threshold, c.at, c.limit) for c in found] == [
        ("warn", DAY0 + timedelta(days=5), "distance")
    ]
    assert found[0].usage.distance_m == 85_000 and found[0].usage.rides == 2


def test_starting_usage_alone_crosses_at_the_start_of_the_interval() -> None:
    found = crossings(
        ServiceInterval(distance_m=100_000),
        start=Usage(distance_m=120_000),
        since=DAY0,
        rides=[],
        now=DAY0 + timedelta(days=1),
    )
    assert [(c.threshold, c.at) for c in found] == [("warn", DAY0), ("due", DAY0)]


def test_calendar_days_cross_when_the_moment_has_passed_and_whichever_limit_is_first() -> None:
    interval = ServiceInterval(distance_m=1_000_000, days=100)
    found = crossings(
        interval, start=Usage(), since=DAY0, rides=[ride(3, 10)], now=DAY0 + timedelta(days=90)
    )
    assert [(c.threshold, c.at, c.limit) for c in found] == [
        ("warn", DAY0 + timedelta(days=80), "days")
    ]
    moving = ServiceInterval(moving_s=3600, days=100)  # 30 km is an hour here
    found = crossings(
        moving, start=Usage(), since=DAY0, rides=[ride(3, 30)], now=DAY0 + timedelta(days=90)
    )
    assert [(c.threshold, c.limit) for c in found] == [
        ("warn", "moving_time"),
        ("due", "moving_time"),
    ]


def test_rides_before_the_interval_or_in_the_future_do_not_count() -> None:
    found = crossings(
        ServiceInterval(distance_m=10_000),
        start=Usage(),
        since=DAY0 + timedelta(days=10),
        rides=[ride(5, 50), ride(40, 50)],
        now=DAY0 + timedelta(days=20),
    )
    assert found == []


def test_a_warn_fraction_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"expected a warning fraction in \(0, 1\], got 1.5"):
        crossings(
            ServiceInterval(days=1), start=Usage(), since=DAY0, rides=[], now=DAY0, warn_at=1.5
        )
