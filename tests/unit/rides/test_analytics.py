"""Ride analytics on hand-computable rides, then properties over random streams."""

from __future__ import annotations

import gzip
import itertools
import json
import math
import time
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bikenode.rides.formats import parse_activity
from bikenode.rides.formats.activity import STREAM_KEYS, FloatArray, ParsedActivity
from bikenode.rides.logic.analytics import summarise
from bikenode.rides.logic.cleaning import ImplausibleActivity, clean_activity
from bikenode.rides.logic.efforts import (
    BEST_POWER_DURATIONS_S,
    best_average_power_w,
    fastest_time_s,
    resample_1hz,
    weighted_power_w,
)
from bikenode.rides.logic.elevation import elevation_gain_loss_m, hysteresis_gain_loss_m
from bikenode.rides.logic.geo import EARTH_RADIUS_M, haversine_m, track_distance_m
from bikenode.rides.logic.motion import (
    DistanceTrack,
    distance_track,
    max_speed_mps,
    moving_time_s,
    shown_distance_m,
)
from bikenode.rides.logic.zones import heart_rate_zones, power_zones
from tests.corpus import CORPUS, MISSING

START_S = 1_700_000_000.0
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0  # 111,195 m on the sphere we use


def make_activity(**streams: FloatArray | list[float]) -> ParsedActivity:
    return ParsedActivity(
        format="fit", streams={name: np.asarray(v, dtype=np.float64) for name, v in streams.items()}
    )


def ride_along_equator(speed_mps: FloatArray, *, step_s: float = 1.0) -> dict[str, FloatArray]:
    """Time, position and device speed for a ride due east along the equator."""
    steps_m = np.concatenate(([0.0], speed_mps[1:] * step_s))
    streams = {
        "time_s": START_S + np.arange(speed_mps.size) * step_s,
        "lat_deg": np.zeros(speed_mps.size),
        "lon_deg": 0.001 + np.cumsum(steps_m) / METRES_PER_DEGREE,
        "speed_mps": speed_mps,
    }
    return {name: floats(values) for name, values in streams.items()}


def floats(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


# --- geometry -------------------------------------------------------------------------------


def test_one_degree_of_latitude_is_111_195_metres() -> None:
    assert haversine_m(10.0, 20.0, 11.0, 20.0) == pytest.approx(111_195.08, abs=0.01)


def test_one_degree_of_longitude_shrinks_with_the_cosine_of_latitude() -> None:
    assert haversine_m(60.0, 0.0, 60.0, 1.0) == pytest.approx(111_195.08 / 2, rel=1e-4)


def test_antipodes_are_half_the_circumference_apart() -> None:
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_track_distance_bridges_missing_positions_and_starts_at_zero() -> None:
    lat = np.array([np.nan, 0.0, np.nan, 0.0, 0.0])
    lon = np.array([np.nan, 0.0, np.nan, 0.01, 0.02])
    expected = np.array([0, 0, 0, 0.01, 0.02]) * METRES_PER_DEGREE
    np.testing.assert_allclose(track_distance_m(lat, lon), expected, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(-89, 89)),
    hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(-179, 179)),
    st.integers(1, 28),
)
def test_track_distance_is_non_negative_and_adds_up_over_two_halves(
    lat: FloatArray, lon: FloatArray, cut: int
) -> None:
    n = min(lat.size, lon.size)
    lat, lon, cut = lat[:n], lon[:n], min(cut, n - 1)
    whole = track_distance_m(lat, lon)
    assert np.all(np.diff(whole) >= 0) and whole[0] == 0
    first, second = (
        track_distance_m(lat[: cut + 1], lon[: cut + 1]),
        track_distance_m(lat[cut:], lon[cut:]),
    )
    assert whole[-1] == pytest.approx(first[-1] + second[-1], rel=1e-9, abs=1e-6)


# --- distance, time and speed ---------------------------------------------------------------


def test_distance_prefers_the_device_stream_and_says_so() -> None:
    ride = ride_along_equator(np.full(11, 5.0))
    ride["distance_m"] = floats(np.arange(11) * 4.0)
    summary = summarise(make_activity(**ride), ftp_w=None, max_hr_bpm=None)
    assert (summary.distance_m, summary.distance_source) == (40.0, "device")


def test_device_odometer_stepping_back_and_forth_does_not_count_twice() -> None:
    track = distance_track({"distance_m": np.array([100.0, 110, 105, 120, np.nan, 130])})
    assert track is not None
    np.testing.assert_array_equal(track.cumulative_m, [100, 110, 110, 120, 120, 130])


def test_multisport_odometer_reset_adds_on_instead_of_starting_over() -> None:
    track = distance_track({"distance_m": floats([0, 1000, 2000, 5, 500, 1500])})
    assert track is not None
    np.testing.assert_array_equal(track.cumulative_m, [0, 1000, 2000, 2005, 2500, 3500])


def test_swimming_pace_is_moving_for_a_swim_but_a_stop_for_a_ride() -> None:
    ride = ride_along_equator(np.full(101, 0.8))
    swim = make_activity(**ride)
    swim.sport = "swimming"
    assert summarise(swim, ftp_w=None, max_hr_bpm=None).moving_s == 100
    assert summarise(make_activity(**ride), ftp_w=None, max_hr_bpm=None).moving_s == 0


def test_distance_falls_back_to_the_device_total_then_to_the_track() -> None:
    ride = ride_along_equator(np.full(11, 5.0))
    activity = make_activity(**ride)
    activity.device_distance_m = 48.0
    assert summarise(activity, ftp_w=None, max_hr_bpm=None).distance_source == "device_total"
    summary = summarise(make_activity(**ride), ftp_w=None, max_hr_bpm=None)
    assert summary.distance_source == "gps"
    assert summary.distance_m == pytest.approx(50.0, abs=1e-6)


def test_indoor_ride_distance_is_speed_integrated_over_time() -> None:
    streams = {"time_s": START_S + np.arange(101.0), "speed_mps": np.full(101, 8.0)}
    summary = summarise(make_activity(**streams), ftp_w=None, max_hr_bpm=None)
    assert (summary.distance_m, summary.distance_source) == (800.0, "speed")


def test_moving_time_leaves_out_standing_still_pauses_and_stops() -> None:
    speed = np.full(601, 5.0)
    speed[101:201] = 0.0  # 100 s waiting at lights, the device still recording
    ride = ride_along_equator(speed)
    activity = make_activity(**ride)
    activity.pauses = [(START_S + 400, START_S + 450)]  # the rider pressed pause
    summary = summarise(activity, ftp_w=None, max_hr_bpm=None)
    assert summary.elapsed_s == 600
    assert summary.moving_s == 600 - 100 - 50


def test_a_long_gap_counts_as_moving_only_if_the_rider_got_somewhere() -> None:
    time = START_S + np.array([0.0, 1, 2, 302, 303])
    still = {"cumulative_m": np.array([0.0, 5, 10, 12, 17])}  # 2 m in 300 s: a cafe stop
    tunnel = {"cumulative_m": np.array([0.0, 5, 10, 2010, 2015])}  # 2 km in 300 s
    for track, expected in ((still, 3.0), (tunnel, 303.0)):
        distance = DistanceTrack(track["cumulative_m"], "gps")
        assert moving_time_s(time, speed_mps=np.full(5, 5.0), distance=distance) == expected


def test_average_speed_is_distance_over_moving_time() -> None:
    speed = np.concatenate((np.full(101, 10.0), np.zeros(100), np.full(100, 10.0)))
    summary = summarise(make_activity(**ride_along_equator(speed)), ftp_w=None, max_hr_bpm=None)
    assert summary.moving_s == 200
    assert summary.avg_speed_mps == pytest.approx(10.0, rel=1e-6)


def test_max_speed_ignores_a_single_sample_spike_but_not_two() -> None:
    speed = np.full(20, 10.0)
    speed[5] = 40.0
    assert max_speed_mps(None, speed, None) == 10.0
    speed[12:14] = 15.0
    assert max_speed_mps(None, speed, None) == 15.0


# --- elevation ------------------------------------------------------------------------------


def test_hysteresis_ignores_dips_smaller_than_the_threshold() -> None:
    profile = np.array([0.0, 10, 8, 20, 0])
    assert hysteresis_gain_loss_m(profile, 3.0) == (20.0, 20.0)
    assert hysteresis_gain_loss_m(np.array([0.0, 2, 0, 2, 0, 2]), 3.0) == (0.0, 0.0)
    assert hysteresis_gain_loss_m(np.array([5.0, 0, 10, 6, 12]), 3.0) == (10.0 + 6.0, 5.0 + 4.0)


def test_phone_gps_jitter_around_a_flat_road_gains_almost_nothing() -> None:
    rng = np.random.default_rng(7)
    time = np.arange(3600.0)
    for jitter_m in (2.0, 5.0, 10.0):
        elevation = 120.0 + rng.normal(0.0, jitter_m, time.size)
        gain_loss = elevation_gain_loss_m(elevation, time)
        assert gain_loss is not None
        assert gain_loss[0] < 5.0, jitter_m
        assert gain_loss[1] < 5.0, jitter_m


def test_clean_100_metre_climb_gains_100_metres() -> None:
    time = np.arange(1800.0)
    elevation = np.interp(time, [0, 300, 1500, 1800], [100, 100, 200, 200])
    gain_loss = elevation_gain_loss_m(elevation, time)
    assert gain_loss is not None
    assert gain_loss[0] == pytest.approx(100.0, abs=0.5)
    assert gain_loss[1] == pytest.approx(0.0, abs=0.5)
    noisy = elevation + np.random.default_rng(3).normal(0.0, 3.0, time.size)
    noisy_gain_loss = elevation_gain_loss_m(noisy, time)
    assert noisy_gain_loss is not None
    assert noisy_gain_loss[0] == pytest.approx(100.0, abs=5.0)


def test_route_without_times_counts_every_swing_above_the_threshold() -> None:
    gain_loss = elevation_gain_loss_m(np.array([100.0, 150, 140, 180, np.nan, 120]), None)
    assert gain_loss == (50.0 + 40.0, 10.0 + 60.0)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-500, 9000)), st.floats(0.5, 50)
)
def test_gain_and_loss_are_non_negative_and_net_to_the_change_within_the_threshold(
    profile: FloatArray, threshold_m: float
) -> None:
    gain_m, loss_m = hysteresis_gain_loss_m(profile, threshold_m)
    assert gain_m >= 0 and loss_m >= 0
    assert abs((gain_m - loss_m) - (profile[-1] - profile[0])) <= 2 * threshold_m + 1e-6


# --- power ----------------------------------------------------------------------------------


def test_weighted_power_of_a_steady_hour_is_that_power() -> None:
    series = resample_1hz(np.arange(3600.0), np.full(3600, 200.0))
    assert weighted_power_w(series) == pytest.approx(200.0)


def test_weighted_power_smooths_over_30_seconds_before_the_fourth_power() -> None:
    # 0 W and 400 W in turn every second: every 30 s window averages 200 W. Without the
    # rolling average the fourth-power mean would give 400 / 2**0.25 = 336 W.
    power = np.tile([0.0, 400.0], 1800)
    assert weighted_power_w(resample_1hz(np.arange(3600.0), power)) == pytest.approx(200.0)


def test_weighted_power_of_half_hard_half_easy_weights_the_hard_half() -> None:
    power = np.concatenate((np.full(1800, 300.0), np.full(1800, 100.0)))
    expected = (
        (1771 * 300.0**4 + 1771 * 100.0**4 + sum((300 - 200 * k / 30) ** 4 for k in range(1, 30)))
        / 3571
    ) ** 0.25
    assert weighted_power_w(resample_1hz(np.arange(3600.0), power)) == pytest.approx(expected)


def test_smart_recording_every_five_seconds_is_interpolated_to_one_hertz() -> None:
    series = resample_1hz(np.arange(0.0, 3600.0, 5.0), np.full(720, 250.0))
    assert series.recorded_s == 3596
    assert weighted_power_w(series) == pytest.approx(250.0)


def test_power_gap_counts_as_zero_in_efforts_and_is_left_out_of_the_weighted_mean() -> None:
    time = np.concatenate((np.arange(600.0), 4200 + np.arange(600.0)))  # an hour's stop
    series = resample_1hz(time, np.full(1200, 200.0))
    assert series.recorded_s == 1200
    assert weighted_power_w(series) == pytest.approx(200.0, rel=0.01)
    assert best_average_power_w(series, 1200) == pytest.approx(100.0)


def test_best_efforts_find_the_sprint_inside_a_steady_ride() -> None:
    power = np.full(600, 100.0)
    power[300:305] = 1000.0
    series = resample_1hz(np.arange(600.0), power)
    assert best_average_power_w(series, 5) == 1000.0
    assert best_average_power_w(series, 60) == pytest.approx((55 * 100 + 5 * 1000) / 60)
    assert best_average_power_w(series, 1200) is None


def test_intensity_and_training_stress_of_an_hour_at_threshold() -> None:
    streams = {"time_s": START_S + np.arange(3601.0), "power_w": np.full(3601, 250.0)}
    summary = summarise(make_activity(**streams), ftp_w=250.0, max_hr_bpm=None)
    assert summary.weighted_power_w == pytest.approx(250.0)
    assert summary.intensity == pytest.approx(1.0)
    assert summary.training_stress == pytest.approx(100.0, rel=1e-3)
    assert summarise(make_activity(**streams), ftp_w=None, max_hr_bpm=None).intensity is None


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 4000), elements=st.floats(0, 3000)))
def test_best_average_power_never_rises_with_a_longer_duration(power: FloatArray) -> None:
    series = resample_1hz(np.arange(float(power.size)), power)
    bests = [best_average_power_w(series, d) for d in BEST_POWER_DURATIONS_S]
    known = [b for b in bests if b is not None]
    assert bests[: len(known)] == known  # a longer effort exists only if the shorter does
    assert all(a >= b - 1e-9 * max(a, 1.0) for a, b in itertools.pairwise(known))


# --- fastest distances ----------------------------------------------------------------------


def test_fastest_kilometre_finds_the_fast_stretch_between_samples() -> None:
    time = np.arange(1001.0)
    speed = np.where((time > 400) & (time <= 500), 20.0, 10.0)
    distance = np.cumsum(np.where(time == 0, 0.0, speed))
    assert fastest_time_s(distance, time, 1000.0) == pytest.approx(50.0)
    assert fastest_time_s(distance, time, 5000.0) == pytest.approx(100 + 3000 / 10)  # 2 km fast
    assert fastest_time_s(distance, time, 50_000.0) is None


# --- heart rate, cadence, zones -------------------------------------------------------------


def test_heart_rate_zones_split_time_by_share_of_maximum() -> None:
    # 55, 65, 75, 85 and 95 % of 200 bpm for 100 s each; the first sample closes no interval.
    hr = np.concatenate(([110.0], np.repeat([110.0, 130, 150, 170, 190], 100)))
    zones = heart_rate_zones(hr, np.arange(501.0), 200.0)
    assert [z.duration_s for z in zones] == [100, 100, 100, 100, 100]
    assert [z.low for z in zones] == [0, 120, 140, 160, 180]
    assert zones[-1].high is None


def test_power_zone_includes_its_lower_bound() -> None:
    zones = power_zones(np.array([0.0, 110, 150, 180, 210, 240, 300]), np.arange(7.0), 200.0)
    assert [z.duration_s for z in zones] == [0, 1, 1, 1, 1, 1, 1]
    assert [z.name for z in zones][-1] == "sprint"


def test_zones_leave_out_gaps_longer_than_a_minute() -> None:
    zones = heart_rate_zones(np.array([150.0, 150, 150]), np.array([0.0, 1, 3601]), 200.0)
    assert sum(z.duration_s for z in zones) == 1.0


def test_average_cadence_leaves_out_coasting_zeros() -> None:
    streams = {
        "time_s": floats(START_S + np.arange(6.0)),
        "cadence_rpm": floats([0, 0, 90, 90, 0, 60]),
    }
    summary = summarise(make_activity(**streams), ftp_w=None, max_hr_bpm=None)
    assert (summary.avg_cadence_rpm, summary.max_cadence_rpm) == (80.0, 90.0)


# --- the whole summary ----------------------------------------------------------------------


def test_splits_per_kilometre_with_time_speed_and_climb() -> None:
    ride = ride_along_equator(np.full(501, 5.0))  # 2500 m at 5 m/s
    ride["elevation_m"] = floats(100.0 + np.arange(501) * 5.0 / 100.0)  # +1 m every 100 m
    summary = summarise(make_activity(**ride), ftp_w=None, max_hr_bpm=None)
    got = [
        (s.index, s.distance_m, s.duration_s, s.speed_mps, s.elevation_change_m)
        for s in summary.splits
    ]
    expected = [(1, 1000, 200, 5, 10), (2, 1000, 200, 5, 10), (3, 500, 100, 5, 5)]
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row == pytest.approx(want, abs=1e-4)


def test_splits_per_mile() -> None:
    ride = ride_along_equator(np.full(501, 5.0))
    summary = summarise(make_activity(**ride), ftp_w=None, max_hr_bpm=None, split_unit_m=1609.344)
    assert [round(s.distance_m, 3) for s in summary.splits] == [1609.344, 2500 - 1609.344]


def test_a_pause_counts_apart_and_split_speed_is_over_moving_time() -> None:
    # 5 m/s, a 1,000 s stop after 100 m, then on: km 1 takes 1,200 s of which 200 moving.
    speeds = np.concatenate((np.full(21, 5.0), np.zeros(1000), np.full(480, 5.0)))
    summary = summarise(make_activity(**ride_along_equator(speeds)), ftp_w=None, max_hr_bpm=None)
    first, second = summary.splits[0], summary.splits[1]
    assert (first.duration_s, first.moving_s, first.paused_s) == pytest.approx((1200, 200, 1000))
    assert first.speed_mps == pytest.approx(5.0)
    assert (second.duration_s, second.moving_s, second.paused_s) == pytest.approx(
        (200, 200, 0), abs=1e-6
    )
    assert summary.moving_s == pytest.approx(500)


def test_mile_splits_come_with_every_summary() -> None:
    summary = summarise(
        make_activity(**ride_along_equator(np.full(501, 5.0))), ftp_w=None, max_hr_bpm=None
    )
    assert [round(s.distance_m, 3) for s in summary.splits_mi] == [1609.344, 2500 - 1609.344]
    assert summary.splits_mi[0].moving_s == pytest.approx(1609.344 / 5.0, abs=1e-3)


def test_summary_of_a_full_outdoor_ride() -> None:
    n = 3601
    ride = ride_along_equator(np.full(n, 8.0))
    ride |= {
        "hr_bpm": np.full(n, 150.0),
        "power_w": np.full(n, 200.0),
        "cadence_rpm": np.full(n, 90.0),
        "elevation_m": np.full(n, 50.0),
    }
    activity = make_activity(**ride)
    activity.device_calories_kcal = 720.0
    summary = summarise(activity, ftp_w=250.0, max_hr_bpm=200.0)
    assert summary.started_at == datetime.fromtimestamp(START_S, UTC)
    assert summary.distance_m == pytest.approx(28_800, rel=1e-6)
    assert (summary.avg_hr_bpm, summary.max_hr_bpm, summary.calories_kcal) == (150, 150, 720)
    assert (summary.avg_power_w, summary.max_power_w) == (200, 200)
    assert summary.intensity == pytest.approx(0.8)
    assert summary.start_lat_deg == 0.0 and summary.start_lon_deg == pytest.approx(0.001)
    assert summary.bounding_box is not None and summary.bounding_box.max_lat_deg == 0.0
    assert [f.duration_s for f in summary.fastest] == pytest.approx([125, 625, 1250, None])
    assert len(summary.splits) == 29
    assert sum(z.duration_s for z in summary.hr_zones) == 3600
    assert summary.hr_zones[2].duration_s == 3600  # 75 % of max: tempo
    json.dumps(summary.to_dict(), allow_nan=False)
    assert summary.to_dict()["started_at"] == "2023-11-14T22:13:20+00:00"


def test_indoor_ride_without_position_or_speed_still_summarises() -> None:
    streams = {
        "time_s": START_S + np.arange(1201.0),
        "power_w": np.full(1201, 180.0),
        "hr_bpm": np.full(1201, 140.0),
    }
    summary = summarise(make_activity(**streams), ftp_w=200.0, max_hr_bpm=190.0)
    assert summary.distance_m is None and summary.bounding_box is None and summary.splits == ()
    assert summary.moving_s == 1200 and summary.elapsed_s == 1200
    assert summary.best_power[3].power_w == pytest.approx(180.0)
    assert len(summary.power_zones) == 7


def test_route_without_times_has_distance_and_climb_but_no_times() -> None:
    route = make_activity(
        lat_deg=[0.0, 0.0, 0.0], lon_deg=[0.0, 0.01, 0.02], elevation_m=[10.0, 30, 20]
    )
    summary = summarise(route, ftp_w=250.0, max_hr_bpm=190.0)
    assert summary.elapsed_s is None and summary.moving_s is None and summary.started_at is None
    assert summary.distance_m == pytest.approx(0.02 * METRES_PER_DEGREE)
    assert (summary.elevation_gain_m, summary.elevation_loss_m) == (20.0, 10.0)
    assert [s.duration_s for s in summary.splits] == [None, None, None]


def test_empty_activity_summarises_to_nothing() -> None:
    summary = summarise(make_activity(), ftp_w=None, max_hr_bpm=None)
    assert summary.point_count == 0 and summary.distance_m is None and summary.elapsed_s is None
    json.dumps(summary.to_dict(), allow_nan=False)


_stream_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.floats(-100, 5000),
    st.just(np.nan),
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(STREAM_KEYS),
        hnp.arrays(np.float64, st.integers(0, 50), elements=_stream_values),
    ),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False)),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False)),
)
def test_summarise_never_raises_and_keeps_its_invariants(
    streams: dict[str, FloatArray], ftp_w: float | None, max_hr_bpm: float | None
) -> None:
    if "time_s" in streams:
        streams["time_s"] = START_S + np.cumsum(
            np.nan_to_num(np.abs(streams["time_s"]), posinf=1.0) % 100
        )
    summary = summarise(
        ParsedActivity(format="gpx", streams=streams), ftp_w=ftp_w, max_hr_bpm=max_hr_bpm
    )
    json.dumps(summary.to_dict(), allow_nan=False)
    if summary.moving_s is not None and summary.elapsed_s is not None:
        assert 0 <= summary.moving_s <= summary.elapsed_s + 1e-6
    if summary.distance_m is not None:
        assert summary.distance_m >= 0
    for figure in (summary.elevation_gain_m, summary.elevation_loss_m):
        assert figure is None or figure >= 0
    known = [b.power_w for b in summary.best_power if b.power_w is not None]
    assert all(a >= b - 1e-9 * max(abs(a), 1.0) for a, b in itertools.pairwise(known))


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float64, st.integers(0, 30), elements=st.floats(allow_nan=True, allow_infinity=True)
    )
)
def test_summarise_never_raises_on_unordered_or_infinite_times(time_s: FloatArray) -> None:
    streams = {
        "time_s": time_s,
        "power_w": np.full(time_s.size, 100.0),
        "hr_bpm": np.full(time_s.size, 120.0),
    }
    summary = summarise(
        ParsedActivity(format="fit", streams=streams), ftp_w=200.0, max_hr_bpm=190.0
    )
    json.dumps(summary.to_dict(), allow_nan=False)


# --- the real corpus ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_rides() -> list[tuple[str, ParsedActivity, ParsedActivity]]:
    """(file, as parsed, as cleaned) for every activity file the manifest expects to import.

    Files our readers cannot parse yet are left out (parsing has its own tests); cleaning may
    reject only files whose every timestamp is implausible.
    """
    if not (CORPUS / "manifest.json").is_file():
        pytest.skip(MISSING)
    rides = []
    for entry in json.loads((CORPUS / "manifest.json").read_text()):
        name = entry["file"]
        if (
            entry["expect"] != "ok"
            or not name.startswith(("fit/", "gpx/", "tcx/"))
            or ".zip" in name
        ):
            continue
        data = (CORPUS / name).read_bytes()
        try:
            raw = gzip.decompress(data) if name.endswith(".gz") else data
            parsed = parse_activity(raw, name.removesuffix(".gz"))
        except Exception:  # a reader's gap is its own tests' business
            continue
        try:
            cleaned, _ = clean_activity(parsed, now_s=time.time())
        except ImplausibleActivity as error:
            assert "expected timestamps between 1990-01-01" in str(error)
            continue
        rides.append((name, parsed, cleaned))
    assert len(rides) >= 100, f"expected most of the corpus to parse, got {len(rides)} files"
    return rides


@pytest.mark.corpus
@pytest.mark.slow
def test_every_corpus_ride_summarises_consistently(
    corpus_rides: list[tuple[str, ParsedActivity, ParsedActivity]],
) -> None:
    for name, _, cleaned in corpus_rides:
        summary = summarise(cleaned, ftp_w=250.0, max_hr_bpm=190.0)
        json.dumps(summary.to_dict(), allow_nan=False)
        if summary.moving_s is not None and summary.elapsed_s is not None:
            assert summary.moving_s <= summary.elapsed_s, name
        assert summary.distance_m is None or summary.distance_m >= 0, name
        known = [b.power_w for b in summary.best_power if b.power_w is not None]
        assert known == sorted(known, reverse=True), name


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_ride_distance_matches_the_devices_own_total(
    corpus_rides: list[tuple[str, ParsedActivity, ParsedActivity]],
) -> None:
    compared = 0
    for name, parsed, cleaned in corpus_rides:
        device_total_m = parsed.device_distance_m
        # FIT only: TCX fixtures are often cut down to a few points under the full lap total.
        if not name.startswith("fit/") or parsed.sport != "cycling" or not device_total_m:
            continue
        summary = summarise(cleaned, ftp_w=None, max_hr_bpm=None)
        assert (summary.distance_m, summary.distance_source) == (device_total_m, "device_total")
        start_s = summary.started_at.timestamp() if summary.started_at else None
        track = distance_track(cleaned.streams, start_s=start_s)
        if track is None or track.source != "device":
            continue
        compared += 1
        # The odometer's first reading is distance covered since the start: kept, it brings
        # the records to within metres of the device's own total.
        assert abs(track.total_m - device_total_m) <= max(0.01 * device_total_m, 10.0), name
    assert compared >= 20


def test_the_shown_distance_stream_is_the_measured_track_scaled_to_the_shown_total() -> None:
    lat = 45.0 + np.arange(11) * 0.001  # about 111 m a step, 1.1 km in all
    streams = {"time_s": np.arange(11.0), "lat_deg": lat, "lon_deg": np.full(11, 7.0)}
    measured = shown_distance_m(streams, None)
    assert measured is not None and measured[0] == 0.0
    assert measured[-1] == pytest.approx(1111.95, rel=1e-3)
    scaled = shown_distance_m(streams, 1000.0)  # a device total the track does not reach
    assert scaled is not None and scaled[-1] == pytest.approx(1000.0)
    assert np.all(np.diff(scaled) > 0)
    assert shown_distance_m({"time_s": np.arange(3.0)}, 500.0) is None
