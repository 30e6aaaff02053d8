"""A file of tracks recorded hours or days apart is several rides; a pause is not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bikenode.rides.formats import parse_activity
from bikenode.rides.formats.activity import Lap, ParsedActivity
from bikenode.rides.logic.analytics import summarise
from bikenode.rides.logic.cleaning import clean_activity
from bikenode.rides.logic.splitting import SEPARATE_RIDE_GAP_S, split_rides

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


def _tracks(*gaps_s: float, points: int = 60) -> ParsedActivity:
    """Tracks of `points` one-second samples, each starting `gap` after the previous ends."""
    times: list[float] = []
    lats: list[float] = []
    starts: list[int] = []
    at = START
    for index, gap in enumerate((0.0, *gaps_s)):
        at += gap
        if index:
            starts.append(len(times))
        times += [at + i for i in range(points)]
        lats += [45.0 + (len(lats) + i) * 1e-4 for i in range(points)]
        at = times[-1]
    return ParsedActivity(
        format="gpx",
        streams={
            "time_s": np.array(times),
            "lat_deg": np.array(lats),
            "lon_deg": np.full(len(times), 6.0),
        },
        started_at=datetime.fromtimestamp(START, UTC),
        segment_starts=starts,
        laps=[Lap(START, START + 59), Lap(START + 86_400 + 59, START + 86_400 + 118)],
        device_distance_m=12_345.0,
    )


def test_tracks_days_apart_are_rides_of_their_own() -> None:
    first, second = split_rides(_tracks(86_400))
    assert first.started_at == datetime.fromtimestamp(START, UTC)
    assert second.started_at == datetime.fromtimestamp(START + 59 + 86_400, UTC)
    assert (first.point_count, second.point_count) == (60, 60)
    assert first.segment_starts == second.segment_starts == []
    assert [len(first.laps), len(second.laps)] == [1, 1]
    # The file's totals cover both rides, so neither keeps them.
    assert first.device_distance_m is None and second.device_distance_m is None


def test_each_ride_of_a_split_file_keeps_the_battery_readings_of_its_own_day() -> None:
    second_start = START + 59 + 86_400
    activity = _tracks(86_400)
    activity.batteries = {
        "7": [(START - 30, "good", 3.0), (second_start + 70, "ok", 2.9)],
        "8": [(second_start + 10, "low", 2.4)],
    }
    first, second = split_rides(activity)
    assert first.batteries == {"7": [(START - 30, "good", 3.0)]}
    assert second.batteries == {
        "7": [(second_start + 70, "ok", 2.9)],
        "8": [(second_start + 10, "low", 2.4)],
    }


@pytest.mark.parametrize("gap_s", [60.0, 2 * HOUR, SEPARATE_RIDE_GAP_S - 1])
def test_a_break_shorter_than_the_gap_is_a_pause_in_one_ride(gap_s: float) -> None:
    [ride] = split_rides(_tracks(gap_s))
    assert ride.point_count == 120 and ride.segment_starts == [60]
    assert ride.device_distance_m == 12_345.0


def test_a_long_gap_without_a_break_stays_one_ride() -> None:
    activity = _tracks(86_400)
    activity.segment_starts = []  # the device kept recording through the night
    assert split_rides(activity) == [activity]


def test_an_undated_file_is_not_split() -> None:
    activity = _tracks(86_400)
    activity.dated = False
    assert split_rides(activity) == [activity]


def test_a_stray_point_after_a_break_is_no_ride() -> None:
    activity = _tracks(86_400, 86_400, points=60)
    activity.streams = {k: v[:121] for k, v in activity.streams.items()}  # 1 point in track 3
    assert [p.point_count for p in split_rides(activity)] == [60, 60]


@pytest.mark.corpus
def test_the_six_track_logger_file_is_five_rides_of_167_km(corpus: Path) -> None:
    name = "gpx/gpsbabel__mtk_logger_m241_multiple_tracks.gpx"
    cleaned, _ = clean_activity(parse_activity((corpus / name).read_bytes(), name), now_s=2e9)
    rides = split_rides(cleaned)
    summaries = [summarise(ride, ftp_w=None, max_hr_bpm=None) for ride in rides]
    assert [r.started_at.year for r in rides if r.started_at] == [2012, 2012, 2014, 2014, 2015]
    assert sum(s.distance_m or 0 for s in summaries) == pytest.approx(167_000, rel=0.01)
    assert max(s.elapsed_s or 0 for s in summaries) < 12 * HOUR
