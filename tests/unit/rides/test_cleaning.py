"""clean_activity: each filter on a hand-made activity, then properties over random ones."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bikenode.rides.formats.activity import FloatArray, ParsedActivity
from bikenode.rides.logic.cleaning import ImplausibleActivity, clean_activity

NOW_S = 1_750_000_000.0  # 2025-06-15
START_S = 1_700_000_000.0  # 2023-11-14


def make_activity(**streams: list[float] | FloatArray) -> ParsedActivity:
    return ParsedActivity(
        format="fit", streams={name: np.asarray(v, dtype=np.float64) for name, v in streams.items()}
    )


def seconds(*offsets: float) -> list[float]:
    return [START_S + offset for offset in offsets]


def clean(activity: ParsedActivity) -> tuple[ParsedActivity, list[str]]:
    return clean_activity(activity, now_s=NOW_S)


def test_clean_ride_comes_back_unchanged_and_silent() -> None:
    activity = make_activity(
        time_s=seconds(0, 1, 2),
        hr_bpm=[120, 121, 122],
        lat_deg=[45.0, 45.0001, 45.0002],
        lon_deg=[7.0, 7.0001, 7.0002],
    )
    cleaned, messages = clean(activity)
    assert messages == []
    for name, values in activity.streams.items():
        np.testing.assert_array_equal(cleaned.streams[name], values)


def test_streams_of_different_lengths_are_cut_to_the_shortest() -> None:
    activity = make_activity(time_s=seconds(0, 1, 2, 3), hr_bpm=[100, 101, 102])
    cleaned, messages = clean(activity)
    assert cleaned.point_count == 3
    assert len(cleaned.streams["hr_bpm"]) == 3
    np.testing.assert_array_equal(cleaned.streams["time_s"], seconds(0, 1, 2))
    assert messages == ["cut every stream to 3 points: their lengths differed (time_s 4, hr_bpm 3)"]


def test_points_without_a_timestamp_are_dropped_when_others_have_one() -> None:
    activity = make_activity(time_s=[START_S, np.nan, START_S + 2], hr_bpm=[100, 101, 102])
    cleaned, messages = clean(activity)
    np.testing.assert_array_equal(cleaned.streams["hr_bpm"], [100, 102])
    assert messages == ["removed 1 point without a timestamp"]


def test_route_without_any_timestamp_keeps_its_points_and_has_no_times() -> None:
    activity = make_activity(
        time_s=[np.nan] * 3, lat_deg=[45.0, 45.0001, 45.0002], lon_deg=[7.0, 7.0001, 7.0002]
    )
    cleaned, messages = clean(activity)
    assert "time_s" not in cleaned.streams
    assert cleaned.point_count == 3
    assert cleaned.started_at is None
    assert messages == ["no point has a timestamp: kept 3 points without times"]


def test_route_that_never_had_a_time_stream_is_accepted_silently() -> None:
    cleaned, messages = clean(make_activity(lat_deg=[1, 2], lon_deg=[3, 4]))
    assert messages == []
    assert cleaned.point_count == 2


@pytest.mark.parametrize(
    "times",
    [
        [0.0, 1.0, 2.0],  # 1970: a device that never got a GPS fix
        [500_000_000.0, 600_000_000.0],  # 1985 and 1989
        [NOW_S + 2 * 86_400, NOW_S + 3 * 86_400],  # days in the future
        [np.inf, -np.inf],
    ],
)
def test_file_with_only_implausible_timestamps_is_rejected(times: list[float]) -> None:
    with pytest.raises(ImplausibleActivity, match="expected timestamps between 1990-01-01"):
        clean(make_activity(time_s=times, hr_bpm=[100.0] * len(times)))


def test_implausible_timestamps_are_dropped_when_others_are_fine() -> None:
    times = [START_S, START_S + 1, 12.0, NOW_S + 2 * 86_400, START_S + 4]
    cleaned, messages = clean(make_activity(time_s=times, hr_bpm=[1e2, 101, 102, 103, 104]))
    np.testing.assert_array_equal(cleaned.streams["hr_bpm"], [100, 101, 104])
    assert messages == ["removed 2 points timed before 1990 or more than a day in the future"]


def test_a_day_of_clock_skew_ahead_of_now_is_tolerated() -> None:
    cleaned, messages = clean(make_activity(time_s=[NOW_S + 3600, NOW_S + 3601]))
    assert messages == []
    assert cleaned.point_count == 2


def test_single_glitch_into_the_past_costs_only_itself() -> None:
    times = seconds(0, 1, 2, -500, 4, 5)
    cleaned, messages = clean(make_activity(time_s=times, hr_bpm=[100.0, 101, 102, 103, 104, 105]))
    np.testing.assert_array_equal(cleaned.streams["time_s"], seconds(0, 1, 2, 4, 5))
    assert messages == ["removed 1 point with timestamps going backwards"]


def test_single_glitch_into_the_future_costs_only_itself() -> None:
    times = seconds(0, 1, 5000, 3, 4, 5)
    cleaned, messages = clean(make_activity(time_s=times))
    np.testing.assert_array_equal(cleaned.streams["time_s"], seconds(0, 1, 3, 4, 5))
    assert messages == ["removed 1 point with timestamps going backwards"]


def test_clock_set_back_early_keeps_the_longer_part_after_the_fix() -> None:
    times = seconds(3600, 3601, 0, 1, 2, 3, 4)
    cleaned, messages = clean(make_activity(time_s=times))
    np.testing.assert_array_equal(cleaned.streams["time_s"], seconds(0, 1, 2, 3, 4))
    assert messages == ["removed 2 points with timestamps going backwards"]


def test_points_sharing_a_timestamp_merge_keeping_each_streams_first_value() -> None:
    nan = np.nan
    activity = make_activity(
        time_s=seconds(0, 1, 1, 1, 2),
        lat_deg=[45.0, nan, 45.0001, 45.0002, 45.0003],
        lon_deg=[7.0, nan, 7.0001, 7.0002, 7.0003],
        hr_bpm=[100, 101, nan, 103, 104],
    )
    cleaned, messages = clean(activity)
    np.testing.assert_array_equal(cleaned.streams["time_s"], seconds(0, 1, 2))
    np.testing.assert_array_equal(cleaned.streams["lat_deg"], [45.0, 45.0001, 45.0003])
    np.testing.assert_array_equal(cleaned.streams["lon_deg"], [7.0, 7.0001, 7.0003])
    np.testing.assert_array_equal(cleaned.streams["hr_bpm"], [100, 101, 104])
    assert messages == ["merged 2 points that repeated the timestamp before them"]


def test_impossible_positions_and_null_island_are_blanked() -> None:
    nan = np.nan
    activity = make_activity(
        time_s=seconds(0, 1, 2, 3, 4, 5, 6),
        lat_deg=[45.0, 91.0, 0.0, 45.0, nan, 45.0, 0.0],
        lon_deg=[7.0, 7.0, 0.0, 181.0, 7.0, nan, 7.0],
    )
    cleaned, messages = clean(activity)
    np.testing.assert_array_equal(cleaned.streams["lat_deg"], [45, nan, nan, nan, nan, nan, 0])
    np.testing.assert_array_equal(cleaned.streams["lon_deg"], [7, nan, nan, nan, nan, nan, 7])
    assert cleaned.point_count == 7  # the points stay: their other values are still good
    assert messages == [
        "blanked the position at 5 points: outside the globe, half missing, "
        "or at the (0, 0) placeholder"
    ]


def test_latitude_without_longitude_is_removed() -> None:
    cleaned, messages = clean(make_activity(time_s=seconds(0, 1), lat_deg=[1.0, 2.0]))
    assert "lat_deg" not in cleaned.streams
    assert messages == ["removed the lat_deg stream: a position needs both latitude and longitude"]


@pytest.mark.parametrize(
    ("name", "bad", "good", "words"),
    [
        (
            "elevation_m",
            [99999.0, -99999.0, -501.0, 9001.0],
            [-500.0, 9000.0],
            "elevation outside -500..9000 m",
        ),
        ("hr_bpm", [19.0, 251.0, 0.0, 255.0], [20.0, 250.0], "heart rate outside 20..250 bpm"),
        ("power_w", [-1.0, 3001.0, 65535.0, np.inf], [0.0, 3000.0], "power outside 0..3000 W"),
        ("cadence_rpm", [-1.0, 301.0, 400.0, 1000.0], [0.0, 300.0], "cadence outside 0..300 rpm"),
        ("speed_mps", [-0.1, 50.1, 65.535, 1e9], [0.0, 50.0], "speed outside 0..50 m/s"),
        (
            "temperature_c",
            [-61.0, 71.0, 127.0, -128.0],
            [-60.0, 70.0],
            "temperature outside -60..70 C",
        ),
    ],
)
def test_sensor_values_outside_plausible_ranges_are_blanked(
    name: str, bad: list[float], good: list[float], words: str
) -> None:
    values = good + bad
    cleaned, messages = clean(make_activity(time_s=seconds(*range(len(values))), **{name: values}))
    np.testing.assert_array_equal(cleaned.streams[name], good + [np.nan] * len(bad))
    assert messages == [f"blanked {words} at {len(bad)} points"]


def test_cleaning_does_not_modify_the_activity_it_was_given() -> None:
    times = seconds(0, 2, 1, 1)
    activity = make_activity(time_s=times, hr_bpm=[300.0, 100, 100, 100])
    clean(activity)
    np.testing.assert_array_equal(activity.streams["time_s"], times)
    np.testing.assert_array_equal(activity.streams["hr_bpm"], [300, 100, 100, 100])


def test_missing_start_time_is_taken_from_the_first_good_timestamp() -> None:
    cleaned, _ = clean(make_activity(time_s=[5.0, START_S, START_S + 1]))
    assert cleaned.started_at == datetime.fromtimestamp(START_S, UTC)


def test_plausible_start_time_from_the_file_is_kept() -> None:
    activity = make_activity(time_s=seconds(10, 11))
    activity.started_at = datetime.fromtimestamp(START_S, UTC)
    cleaned, _ = clean(activity)
    assert cleaned.started_at == datetime.fromtimestamp(START_S, UTC)


def test_empty_activity_is_accepted() -> None:
    cleaned, messages = clean(make_activity(time_s=[], hr_bpm=[]))
    assert cleaned.point_count == 0
    assert messages == []


_LIMITS = {
    "hr_bpm": (20, 250),
    "power_w": (0, 3000),
    "cadence_rpm": (0, 300),
    "elevation_m": (-500, 9000),
    "speed_mps": (0, 50),
    "temperature_c": (-60, 70),
}
_any_float = st.floats(allow_nan=True, allow_infinity=True, width=64)
_time_float = st.one_of(
    st.floats(START_S - 10_000, START_S + 10_000), st.just(np.nan), st.just(0.0), _any_float
)


@settings(max_examples=150, deadline=None)
@given(
    time_s=hnp.arrays(np.float64, st.integers(0, 40), elements=_time_float),
    other=st.dictionaries(
        st.sampled_from([*_LIMITS, "lat_deg", "lon_deg"]),
        hnp.arrays(np.float64, st.integers(0, 40), elements=_any_float),
        max_size=4,
    ),
)
def test_cleaned_activity_always_satisfies_the_stream_contract(
    time_s: FloatArray, other: dict[str, FloatArray]
) -> None:
    activity = ParsedActivity(format="gpx", streams={"time_s": time_s, **other})
    try:
        cleaned, messages = clean(activity)
    except ImplausibleActivity:
        timed = time_s[: min(len(v) for v in activity.streams.values())]
        timed = timed[~np.isnan(timed)]
        assert timed.size and not ((timed >= 631_152_000) & (timed <= NOW_S + 86_400)).any()
        return
    lengths = {len(values) for values in cleaned.streams.values()}
    assert len(lengths) <= 1
    time = cleaned.streams.get("time_s")
    if time is not None:
        assert np.all(np.diff(time) > 0)
        assert np.all((time >= 631_152_000) & (time <= NOW_S + 86_400))
    for name, (low, high) in _LIMITS.items():
        values = cleaned.streams.get(name, np.array([]))
        values = values[~np.isnan(values)]
        assert np.all((values >= low) & (values <= high))
    assert all(isinstance(message, str) and message for message in messages)


def test_gps_spike_out_and_back_is_blanked_but_a_fast_ride_is_not() -> None:
    # 0.0001 degree is 11 m: 11 m/s. The spike jumps 0.1 degree (11 km) away for a second.
    lon = [0.0, 0.0001, 0.0002, 0.1, 0.0004, 0.0005]
    activity = make_activity(time_s=seconds(0, 1, 2, 3, 4, 5), lat_deg=[45.0] * 6, lon_deg=lon)
    cleaned, messages = clean(activity)
    np.testing.assert_array_equal(
        cleaned.streams["lon_deg"], [0, 0.0001, 0.0002, np.nan, 0.0004, 0.0005]
    )
    assert np.isnan(cleaned.streams["lat_deg"][3])
    assert messages == ["blanked the position at 1 point: GPS spikes faster than 50 m/s"]
    fast = make_activity(time_s=seconds(0, 1, 2), lat_deg=[45.0] * 3, lon_deg=[0.0, 0.0006, 0.0012])
    assert clean(fast)[1] == []  # 47 m/s downhill is fast, not a spike


def test_placeholder_1901_times_mean_no_time_and_the_track_is_kept() -> None:
    placeholder = -(2.0**31) + 0.2073437
    activity = ParsedActivity(
        format="gpx",
        streams={
            "time_s": np.full(3, placeholder),
            "lat_deg": np.array([46.0, 46.001, 46.002]),
            "lon_deg": np.array([13.0, 13.001, 13.002]),
        },
    )
    cleaned, notes = clean_activity(activity, now_s=1.8e9)
    assert "time_s" not in cleaned.streams
    assert cleaned.streams["lat_deg"].size == 3
    assert any("placeholder" in note for note in notes)


def test_an_untimed_activity_keeps_no_placeholder_start() -> None:
    placeholder = -(2.0**31) + 0.2073437
    activity = ParsedActivity(
        format="gpx",
        started_at=datetime.fromtimestamp(placeholder, UTC),  # what the parser read
        streams={"time_s": np.full(2, placeholder), "lat_deg": np.array([46.0, 46.001])},
    )
    cleaned, _ = clean_activity(activity, now_s=1.8e9)
    assert cleaned.started_at is None
