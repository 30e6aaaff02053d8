"""One activity holds at most MAX_POINTS_PER_ACTIVITY points, refused early with the reason."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from bikenode.rides.formats import MAX_POINTS_PER_ACTIVITY, TooManyPoints, parse_activity
from tests.synthetic import synthetic_gpx
from tests.unit.rides.test_fit import activity

START = datetime(2025, 6, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("fmt", ["gpx", "fit"])
def test_an_activity_over_the_point_cap_is_refused_with_the_reason(fmt: str) -> None:
    data = synthetic_gpx(START, points=201) if fmt == "gpx" else activity(201).file()
    assert parse_activity(data, f"ride.{fmt}", max_points=201).point_count == 201
    with pytest.raises(TooManyPoints) as refused:
        parse_activity(data, f"ride.{fmt}", max_points=200)
    assert "expected at most 200 points in one activity, got" in str(refused.value)
    assert "split the recording" in str(refused.value)


def test_a_huge_valid_gpx_is_refused_in_bounded_time_and_memory() -> None:
    points = MAX_POINTS_PER_ACTIVITY + 1
    point = b'<trkpt lat="45.18" lon="5.72"><ele>210</ele><time>2025-06-01T07:00:00Z</time></trkpt>'
    data = (
        b'<?xml version="1.0"?><gpx version="1.1" creator="test" '
        b'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        + point * points
        + b"</trkseg></trk></gpx>"
    )
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(TooManyPoints) as refused:
            parse_activity(data, "huge.gpx")
        elapsed_s = time.perf_counter() - started
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"got at least {points:,}" in str(refused.value)
    assert elapsed_s < 2.0  # parsing it all takes tens of seconds
    assert peak_bytes < 1024 * 1024  # its streams alone would take over 50 MB
