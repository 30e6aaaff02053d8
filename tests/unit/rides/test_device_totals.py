"""Rides agree with the device: track breaks, the odometer, the file's own totals, repeated
and untimed points, undated files and swims, each on the corpus files that showed it."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bikenode.rides.formats import ParsedActivity, parse_activity
from bikenode.rides.formats.gpx import segment_starts
from bikenode.rides.logic.analytics import RideSummary, summarise
from bikenode.rides.logic.cleaning import clean_activity
from bikenode.rides.logic.motion import distance_track

NOW_S = time.time()


def ride(corpus: Path, name: str) -> tuple[RideSummary, list[str], ParsedActivity]:
    """The summary of one corpus file as an import computes it, its notes, and the cleaned ride."""
    data = (corpus / name).read_bytes()
    parsed = parse_activity(gzip.decompress(data) if name.endswith(".gz") else data, name)
    cleaned, notes = clean_activity(parsed, now_s=NOW_S)
    return summarise(cleaned, ftp_w=None, max_hr_bpm=None), notes, cleaned


def km(summary: RideSummary) -> float:
    assert summary.distance_m is not None
    return summary.distance_m / 1000.0


# --- 1. tracks and segments are never joined by a straight line ------------------------------


@pytest.mark.parametrize(
    ("name", "low_km", "high_km"),
    [
        ("gpx/gpsbabel__mtk_logger_m241_multiple_tracks.gpx", 160, 170),  # six tracks: 167 km
        ("gpx/gpsbabel__tpo-sample1.gpx", 45, 52),  # 31 untimed trails, not 2,280 km
        ("gpx/gpsbabel__bounds-test-track.gpx", 125, 135),  # three tracks 30 km apart
        ("gpx/opentracks__legacy_gpx_trackpointextensions_incorrect.gpx", 0, 1),  # a 2° jump
    ],
)
def test_separate_tracks_add_up_without_the_gaps_between_them(
    corpus: Path, name: str, low_km: float, high_km: float
) -> None:
    summary, _, _ = ride(corpus, name)
    assert low_km <= km(summary) <= high_km
    assert summary.distance_source == "gps"


@pytest.mark.parametrize(
    "name",
    [
        "gpx/gpxpy__cerknicko-jezero.gpx",
        "gpx/gpxpy__cerknicko-jezero-no-creator.gpx",
        "gpx/gpxpy__cerknicko-jezero-with-elevations-zero.gpx",
        "gpx/gpxpy__cerknicko-jezero-without-elevations.gpx",
    ],
)
def test_cerknica_lake_tracks_measure_what_gpxpy_measures(corpus: Path, name: str) -> None:
    import gpxpy

    reference = gpxpy.parse((corpus / name).read_text()).length_2d() / 1000.0
    summary, _, _ = ride(corpus, name)
    assert km(summary) == pytest.approx(reference, rel=0.02)


def test_segment_breaks_survive_cleaning_where_points_are_dropped() -> None:
    activity = ParsedActivity(
        format="gpx",
        streams={
            "time_s": np.array([1e9, np.nan, 1e9 + 10, 1e9 + 20, 1e9 + 30]),
            "lat_deg": np.array([0.0, 0.0, 0.0, 1.0, 1.0]),
            "lon_deg": np.array([0.001, 0.0011, 0.0012, 0.0, 0.0001]),
        },
        segment_starts=[3],
    )
    cleaned, _ = clean_activity(activity, now_s=NOW_S)
    assert cleaned.segment_starts == [2]
    track = distance_track(cleaned.streams, segment_starts=cleaned.segment_starts)
    assert track is not None
    assert track.total_m == pytest.approx(3 * 11.12, abs=0.1)  # the 1° between is not ridden


def test_a_jump_no_bicycle_can_make_adds_nothing_but_a_regained_fix_does() -> None:
    streams = {
        "time_s": np.array([0.0, 1.0, 2.0, 3.0]) + 1e9,
        "lat_deg": np.array([0.0, 0.0, 2.0, 2.0]),
        "lon_deg": np.array([0.0, 0.0001, 0.0001, 0.0002]),
    }
    track = distance_track(streams)
    assert track is not None
    assert track.total_m == pytest.approx(2 * 11.12, abs=0.1)
    streams["lat_deg"][2:] = 0.0018  # 200 m in 1 s: the receiver lost and found the sky
    regained = distance_track(streams)
    assert regained is not None
    assert regained.total_m == pytest.approx(11.12 + 200.2 + 11.12, abs=0.5)


# --- 2. the odometer's first reading is distance covered -------------------------------------


@pytest.mark.parametrize(
    ("name", "device_m"),
    [
        ("fit/fitparse__garmin-edge-820-bike.fit", 457.12),
        ("fit/fitparse__DeveloperData.fit", 3710.0),  # no session: the records alone
    ],
)
def test_the_first_odometer_reading_counts(corpus: Path, name: str, device_m: float) -> None:
    _, _, cleaned = ride(corpus, name)
    started = cleaned.started_at.timestamp() if cleaned.started_at else None
    track = distance_track(cleaned.streams, start_s=started)
    assert track is not None
    assert track.total_m == pytest.approx(device_m, abs=1.0)


def test_a_cropped_file_counts_from_its_first_reading() -> None:
    streams = {
        "time_s": np.array([100.0, 110.0, 120.0]),
        "distance_m": np.array([5e4, 5e4 + 80, 5e4 + 160]),
    }
    cropped = distance_track(streams, start_s=100.0)
    whole = distance_track({**streams, "distance_m": np.array([7.0, 87.0, 167.0])}, start_s=100.0)
    assert cropped is not None and whole is not None
    assert (cropped.total_m, whole.total_m) == (160.0, 167.0)


# --- 3. the file's own totals ----------------------------------------------------------------


def test_a_lap_with_a_few_trackpoints_keeps_the_laps_distance_and_time(corpus: Path) -> None:
    summary, _, _ = ride(corpus, "tcx/gpsbabel__kona2013.tcx")
    assert (round(km(summary)), summary.distance_source) == (180, "device_total")
    assert summary.elapsed_s == pytest.approx(18930.35, abs=1)
    assert summary.moving_s == pytest.approx(18930.35)
    assert summary.moving_source == "device_timer"


@pytest.mark.parametrize(
    ("name", "elapsed_s", "moving_s"),
    [
        ("fit/gc__2012_02_05_09_03_59.fit", 38.35, 18.71),  # a session and no records
        ("fit/sportslib__swim-7617306288.fit", 309.711, 299.708),  # records without times
    ],
)
def test_a_file_without_timed_records_takes_its_sessions_times(
    corpus: Path, name: str, elapsed_s: float, moving_s: float
) -> None:
    summary, _, _ = ride(corpus, name)
    assert summary.elapsed_s == pytest.approx(elapsed_s)
    assert summary.elapsed_source == "device_total"
    assert summary.moving_s == pytest.approx(moving_s)


@pytest.mark.parametrize(
    ("name", "elapsed_s"),
    [
        ("tcx/sportslib__samples-unknown_example.tcx", 1916.694),  # starts 3 minutes early
        ("fit/gc__Karoo-Botley_BW_Swanmore_Wickham-2025-05-09-1238.fit", 4358.0),
        ("fit/gc__20130717_143733.fit", 6710.0),
        ("fit/fitparse__event_timestamp.fit", 4567.485),
        ("fit/gc__2024-10-14-070422-Pool_Swim-BingiWatch.fit", 5101.159),
    ],
)
def test_elapsed_runs_from_the_reported_start_to_the_sessions_end(
    corpus: Path, name: str, elapsed_s: float
) -> None:
    summary, _, _ = ride(corpus, name)
    assert summary.elapsed_s == pytest.approx(elapsed_s, abs=1.0)


def test_the_reported_start_is_the_tcx_activity_id(corpus: Path) -> None:
    summary, _, _ = ride(corpus, "tcx/sportslib__samples-unknown_example.tcx")
    assert summary.started_at == datetime(2017, 5, 9, 18, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "records_s", "why"),
    [
        ("fit/gc__14582164182.fit.gz", 2759.0, "shorter than its own timer time"),
        ("fit/sweatpy__2020-06-01-16-52-40.fit", 126.0, "shorter than its own records"),
    ],
)
def test_an_impossible_session_does_not_win_and_the_ride_says_why(
    corpus: Path, name: str, records_s: float, why: str
) -> None:
    summary, _, _ = ride(corpus, name)
    assert (summary.elapsed_s, summary.elapsed_source) == (records_s, "records")
    assert any(why in note for note in summary.notes), summary.notes


def test_an_impossible_distance_total_gives_way_to_the_records() -> None:
    activity = ParsedActivity(
        format="tcx",
        streams={"time_s": np.array([1e9, 1e9 + 10]), "distance_m": np.array([0.0, 60.0])},
        device_distance_m=900_000.0,
    )
    summary = summarise(activity, ftp_w=None, max_hr_bpm=None)
    assert (summary.distance_m, summary.distance_source) == (60.0, "device")
    assert "faster than 50 m/s" in summary.notes[0]


# --- 4. repeated, untimed and undated points -------------------------------------------------


def test_points_sharing_a_time_keep_the_furthest_odometer_reading() -> None:
    activity = ParsedActivity(
        format="fit",
        streams={
            "time_s": np.array([1e9, 1e9 + 1, 1e9 + 1, 1e9 + 2]),
            "distance_m": np.array([0.0, 4.0, 9.0, 12.0]),
            "hr_bpm": np.array([100.0, 101.0, 150.0, 102.0]),
        },
    )
    cleaned, _ = clean_activity(activity, now_s=NOW_S)
    np.testing.assert_array_equal(cleaned.streams["distance_m"], [0, 9, 12])
    np.testing.assert_array_equal(cleaned.streams["hr_bpm"], [100, 101, 102])


def test_a_track_with_a_few_timed_points_keeps_every_point(corpus: Path) -> None:
    summary, notes, _ = ride(corpus, "gpx/gpxpy__cerknicko-without-times.gpx")
    assert summary.point_count == 296
    assert summary.started_at == datetime(2010, 8, 5, 16, 22, 52, tzinfo=UTC)
    assert any("only 5 of 296 points have a timestamp" in note for note in notes)


@pytest.mark.parametrize(
    "name", ["fit/fitparse__antfs-dump.63.fit", "fit/fitparse__compressed-speed-distance.fit"]
)
def test_power_up_times_without_a_date_leave_the_start_unknown(corpus: Path, name: str) -> None:
    summary, _, cleaned = ride(corpus, name)
    assert summary.started_at is None
    assert summary.elapsed_s is not None and summary.elapsed_s > 3000
    assert any("the start is unknown" in warning for warning in cleaned.warnings)


# --- 5. swims --------------------------------------------------------------------------------


def test_a_swims_moving_time_is_the_watchs_timer_time(corpus: Path) -> None:
    summary, _, _ = ride(corpus, "fit/sportslib__swim-6688025408.fit")
    assert summary.moving_s == pytest.approx(3963.128)
    assert summary.moving_source == "device_timer"
    assert (summary.distance_m, summary.distance_source) == (2300.0, "device_total")


@pytest.mark.parametrize(
    ("sizes", "starts"),
    [([3, 0, 4], [3]), ([0, 5], []), ([5, 0], []), ([5], []), ([2, 2, 2], [2, 4]), ([], [])],
)
def test_a_gpx_segment_starts_at_its_first_point_and_empty_ones_start_nothing(
    sizes: list[int], starts: list[int]
) -> None:
    assert segment_starts(sizes) == starts
