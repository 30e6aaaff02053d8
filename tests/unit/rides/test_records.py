"""Personal records over many rides: best power up, fastest time down, ties to the first."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from bikenode.rides.logic.records import RideEfforts, best_of_rides


def _ride(name: str, year: int | None, **summary: Any) -> RideEfforts:
    started = datetime(year, 1, 1, tzinfo=UTC) if year else None
    return RideEfforts(uuid.uuid4(), name, started, summary)


def test_the_highest_power_and_the_shortest_time_win() -> None:
    slow = _ride(
        "slow",
        2020,
        best_power=[{"duration_s": 5, "power_w": 900.0}, {"duration_s": 60, "power_w": 400.0}],
        fastest=[{"distance_m": 1000.0, "duration_s": 120.0}],
    )
    fast = _ride(
        "fast",
        2021,
        best_power=[{"duration_s": 5, "power_w": 800.0}, {"duration_s": 60, "power_w": 450.0}],
        fastest=[
            {"distance_m": 1000.0, "duration_s": 90.0},
            {"distance_m": 5000.0, "duration_s": None},
        ],
    )
    records = best_of_rides([fast, slow])
    assert [(r.duration_s, r.power_w, r.ride.name) for r in records.best_power] == [
        (5, 900.0, "slow"),
        (60, 450.0, "fast"),
    ]
    assert [(r.distance_m, r.duration_s, r.ride.name) for r in records.fastest] == [
        (1000.0, 90.0, "fast")
    ]


def test_a_tie_stays_with_the_ride_that_set_it_first() -> None:
    effort = {"fastest": [{"distance_m": 1000.0, "duration_s": 100.0}]}
    later, untimed, first = (
        _ride("later", 2022, **effort),
        _ride("?", None, **effort),
        _ride("first", 2015, **effort),
    )
    assert best_of_rides([untimed, later, first]).fastest[0].ride.name == "first"


def test_missing_and_broken_efforts_are_no_records() -> None:
    broken = _ride(
        "broken",
        2020,
        best_power=[{"duration_s": 5, "power_w": None}, {"duration_s": 5, "power_w": math.nan}],
        fastest=[{"distance_m": 1000.0, "duration_s": 0.0}, {"distance_m": "x", "duration_s": 9}],
    )
    empty = _ride("empty", 2020)
    records = best_of_rides([broken, empty])
    assert records.best_power == [] and records.fastest == []
