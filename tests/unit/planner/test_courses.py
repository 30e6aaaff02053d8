"""Route files for head units, read back by the peers riders' tools use."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import fitdecode
import gpxpy
import pytest
from garmin_fit_sdk import Decoder, Stream
from lxml import etree

from bikenode.errors import InvalidInput
from bikenode.planner.routing.courses import (
    FIT_EPOCH_S,
    distances_m,
    fit_course,
    gpx_track,
    tcx_course,
)
from bikenode.planner.routing.plan import RoutePlan, plan_route

TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
START_S = 1_800_000_000.0


@pytest.fixture
def plan() -> RoutePlan:
    # Without a graph: three straight legs, enough to check every file's geometry exactly.
    return plan_route(None, [(46.5, 7.5), (46.51, 7.52), (46.52, 7.5), (46.5, 7.5)])


def test_gpx_track_is_read_by_gpxpy(plan: RoutePlan) -> None:
    gpx = gpxpy.parse(gpx_track("Lake <loop> & back", plan).decode())
    assert gpx.tracks[0].name == "Lake <loop> & back"
    points = gpx.tracks[0].segments[0].points
    assert [(p.latitude, p.longitude) for p in points] == plan.path
    assert gpx.length_2d() == pytest.approx(plan.distance_m, rel=2e-3)


def test_fit_course_is_read_by_fitdecode_and_the_garmin_sdk(plan: RoutePlan) -> None:
    data = fit_course("Lake loop", plan, start_s=START_S)
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert messages["file_id_mesgs"][0]["type"] == "course"
    assert messages["course_mesgs"][0] == {"name": "Lake loop", "sport": "cycling"}
    records = messages["record_mesgs"]
    assert len(records) == len(plan.path)
    assert records[-1]["distance"] == pytest.approx(plan.distance_m, abs=0.01)
    assert [e["event_type"] for e in messages["event_mesgs"]] == ["start", "stop_disable_all"]
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
        fixes = [
            (frame.get_value("position_lat"), frame.get_value("position_long"))
            for frame in reader
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record"
        ]
    for (lat, lon), (semi_lat, semi_lon) in zip(plan.path, fixes, strict=True):
        assert semi_lat * 180 / 2**31 == pytest.approx(lat, abs=1e-7)
        assert semi_lon * 180 / 2**31 == pytest.approx(lon, abs=1e-7)


def test_fit_course_is_timed_at_the_profile_speed(plan: RoutePlan) -> None:
    messages, _ = Decoder(
        Stream.from_byte_array(bytearray(fit_course("x", plan, start_s=START_S)))
    ).read()
    lap = messages["lap_mesgs"][0]
    assert isinstance(lap["start_time"], datetime) and lap["start_time"].timestamp() == START_S
    assert lap["total_timer_time"] == pytest.approx(plan.duration_s, abs=1)
    assert FIT_EPOCH_S == 631_065_600


def test_tcx_course_has_timed_points_with_distance(plan: RoutePlan) -> None:
    root = etree.fromstring(tcx_course("A very long route name", plan, start_s=START_S))
    assert root.findtext(f"{TCX}Courses/{TCX}Course/{TCX}Name") == "A very long rou"  # 15 chars
    points = root.findall(f".//{TCX}Trackpoint")
    assert len(points) == len(plan.path)
    along = [float(p.findtext(f"{TCX}DistanceMeters") or "nan") for p in points]
    assert along == pytest.approx(distances_m(plan.path), abs=0.05)
    assert points[0].findtext(f"{TCX}Time") == "2027-01-15T08:00:00Z"
    lap_m = float(root.findtext(f".//{TCX}Lap/{TCX}DistanceMeters") or "nan")
    assert lap_m == pytest.approx(plan.distance_m, abs=0.1)


@pytest.mark.parametrize("course", [tcx_course, fit_course])
def test_a_route_without_points_is_refused_as_a_course(course: Any) -> None:
    with pytest.raises(InvalidInput, match="at least one point"):
        course("empty", plan_route(None, []), start_s=START_S)
