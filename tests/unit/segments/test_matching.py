"""The matcher on generated rides: the right passes, timed within a second at the gates,
and none for reversed, parallel, cut-short or gappy rides."""

from __future__ import annotations

import numpy as np
import pytest

from bikenode.segments.logic.matching import Match, clean_track, match_segment, prepare_segment
from tests.segment_tools import (
    loop,
    path_length,
    ride,
    segment_of,
    to_degrees,
    winding_road,
)

T0 = 1_780_000_000.0
NORTH_300 = np.array([0.0, 300.0])


def _segment(xy: np.ndarray):  # type: ignore[no-untyped-def]
    lat, lon = to_degrees(xy)
    return prepare_segment(lat, lon)


def _true_elapsed(start_m: float, end_m: float, speed: float) -> float:
    return (end_m - start_m) / speed


@pytest.mark.parametrize(("dt_s", "noise_m"), [(1.0, 0.0), (1.0, 4.0), (5.0, 0.0), (5.0, 3.0)])
def test_a_ride_along_the_road_gives_one_effort_timed_at_the_gates(
    dt_s: float, noise_m: float
) -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    track = ride(road, speed_mps=9.0, dt_s=dt_s, noise_m=noise_m, seed=3)
    efforts = match_segment(track, segment)
    assert len(efforts) == 1
    assert efforts[0].elapsed_s == pytest.approx(_true_elapsed(1_000, 3_500, 9.0), abs=1.0)
    assert efforts[0].start_s == pytest.approx(T0 + 1_000 / 9.0, abs=1.0)


def test_the_reverse_direction_does_not_match() -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    assert match_segment(ride(road[::-1]), segment) == []


def test_a_parallel_road_30_m_away_does_not_match() -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    parallel = road + np.array([0.0, 30.0])
    assert match_segment(ride(parallel, noise_m=2.0, seed=1), segment) == []


def test_a_ride_that_turns_off_before_the_end_does_not_match() -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    detour = np.vstack((segment_of(road, 0.0, 3_300.0), [[3_300.0, -900.0]]))
    assert match_segment(ride(detour), segment) == []


def test_a_ride_that_leaves_the_road_in_the_middle_does_not_match() -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    # Leaves at 2 km, rides 300 m north and back, rejoins at 2.6 km: skipped points.
    xy = np.vstack(
        (
            segment_of(road, 0.0, 2_000.0),
            segment_of(road, 2_000.0, 2_000.0) + NORTH_300,
            segment_of(road, 2_600.0, 2_600.0) + NORTH_300,
            segment_of(road, 2_600.0, 6_000.0),
        )
    )
    assert match_segment(ride(xy), segment) == []


def test_a_recording_gap_inside_the_segment_does_not_match() -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    track = ride(road, speed_mps=8.0)
    keep = np.ones(len(track.time_s), dtype=bool)
    keep[250:300] = False  # 400 m without a sample, 2 km into the ride
    gappy = clean_track(track.time_s[keep], track.lat_deg[keep], track.lon_deg[keep])
    assert match_segment(gappy, segment) == []


def test_laps_of_a_circuit_give_one_effort_per_lap() -> None:
    circuit = loop(laps=3.2)
    radius, lead = 400.0, 200.0
    lap = 2 * np.pi * radius
    segment = _segment(segment_of(circuit, lead + 100.0, lead + 900.0))
    efforts = match_segment(ride(circuit, speed_mps=10.0, noise_m=2.0, seed=4), segment)
    assert len(efforts) == 3
    starts = [e.start_s - T0 for e in efforts]
    assert starts == pytest.approx([(lead + 100 + k * lap) / 10.0 for k in range(3)], abs=1.0)
    assert all(e.elapsed_s == pytest.approx(80.0, abs=1.0) for e in efforts)


def test_a_loop_segment_that_ends_where_it_starts_counts_each_full_lap() -> None:
    circuit = loop(laps=3.1)
    lead, lap = 200.0, 2 * np.pi * 400.0
    segment = _segment(segment_of(circuit, lead + 50.0, lead + 50.0 + lap - 1.0))
    efforts = match_segment(ride(circuit, speed_mps=10.0), segment)
    assert len(efforts) == 3
    assert all(e.elapsed_s == pytest.approx((lap - 1.0) / 10.0, abs=1.0) for e in efforts)


def test_an_out_and_back_segment_needs_both_legs() -> None:
    out = np.column_stack((np.arange(0.0, 2_001.0, 10.0), np.zeros(201)))
    out_and_back = np.vstack((out, out[::-1][1:] + np.array([0.0, 8.0])))  # back on the other lane
    segment = _segment(segment_of(out_and_back, 100.0, path_length(out_and_back) - 100.0))
    both = match_segment(ride(out_and_back), segment)
    assert len(both) == 1
    assert match_segment(ride(out), segment) == []


def test_a_stop_at_the_start_gate_is_not_timed() -> None:
    road = winding_road()
    track = ride(road, speed_mps=8.0)
    # Wait 60 s at 1 km, then ride on: the timer starts when the rider leaves the gate.
    at = int(np.searchsorted(track.time_s - T0, 1_000 / 8.0))
    time = np.concatenate((track.time_s[:at], track.time_s[at:] + 60.0))
    lat = np.insert(track.lat_deg, at, np.full(60, track.lat_deg[at]))
    lon = np.insert(track.lon_deg, at, np.full(60, track.lon_deg[at]))
    time = np.insert(time, at, track.time_s[at] + np.arange(60.0) - 0.5)
    order = np.argsort(time, kind="stable")
    waited = clean_track(time[order], lat[order], lon[order])
    segment = _segment(segment_of(road, 1_000.0, 3_000.0))
    [effort] = match_segment(waited, segment)
    assert effort.elapsed_s == pytest.approx(2_000 / 8.0, abs=1.0)
    assert effort.moving_s <= effort.elapsed_s


def test_nan_samples_and_backwards_time_are_skipped() -> None:
    road = winding_road()
    track = ride(road, speed_mps=8.0)
    lat, time = track.lat_deg.copy(), track.time_s.copy()
    lat[::7] = np.nan
    time[200] = time[100]  # a device glitch: a sample from the past
    cleaned = clean_track(time, lat, track.lon_deg)
    [effort] = match_segment(cleaned, _segment(segment_of(road, 1_000.0, 3_000.0)))
    assert effort.elapsed_s == pytest.approx(250.0, abs=1.0)


def test_power_and_heart_rate_average_over_the_effort() -> None:
    road = winding_road()
    track = ride(road, speed_mps=8.0)
    power = np.where(track.time_s - T0 < 300, 100.0, 300.0)
    hr = np.full(len(power), 150.0)
    with_sensors = clean_track(track.time_s, track.lat_deg, track.lon_deg, power, hr)
    [effort] = match_segment(with_sensors, _segment(segment_of(road, 3_000.0, 5_000.0)))
    assert isinstance(effort, Match)
    assert effort.avg_power_w == pytest.approx(300.0)
    assert effort.avg_hr_bpm == pytest.approx(150.0)


def test_a_ride_far_away_is_rejected_by_the_box_without_work() -> None:
    road = winding_road()
    segment = _segment(segment_of(road, 1_000.0, 3_500.0))
    far = ride(road + np.array([50_000.0, 0.0]))
    assert match_segment(far, segment) == []
