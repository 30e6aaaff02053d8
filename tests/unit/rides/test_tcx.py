"""The TCX reader on small hand-written files, hostile input, and random mutations."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bikenode.rides.formats import Lap, NotAnActivity, ParsedActivity, ParseError
from bikenode.rides.formats.tcx import TCX, parse_tcx
from bikenode.rides.formats.xml import read_document

TCD = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"


def tcx(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TrainingCenterDatabase xmlns="{TCD}" xmlns:ns3="{AX}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{body}\n</TrainingCenterDatabase>\n"
    ).encode()


def unix(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def point(
    time: str,
    lat: float | None = None,
    alt: float | None = None,
    dist: float | None = None,
    hr: int | None = None,
    cad: int | None = None,
    watts: int | None = None,
    speed: float | None = None,
) -> str:
    """One Trackpoint in Garmin's element order; None leaves an element out."""
    parts = [f"<Time>{time}</Time>"]
    if lat is not None:
        parts.append(
            f"<Position><LatitudeDegrees>{lat}</LatitudeDegrees>"
            f"<LongitudeDegrees>{-lat}</LongitudeDegrees></Position>"
        )
    parts += [f"<AltitudeMeters>{alt}</AltitudeMeters>"] if alt is not None else []
    parts += [f"<DistanceMeters>{dist}</DistanceMeters>"] if dist is not None else []
    if hr is not None:
        kind = 'xsi:type="HeartRateInBeatsPerMinute_t"'
        parts.append(f"<HeartRateBpm {kind}><Value>{hr}</Value></HeartRateBpm>")
    parts += [f"<Cadence>{cad}</Cadence>"] if cad is not None else []
    if watts is not None or speed is not None:
        parts.append(
            "<Extensions><ns3:TPX>"
            + (f"<ns3:Speed>{speed}</ns3:Speed>" if speed is not None else "")
            + (f"<ns3:Watts>{watts}</ns3:Watts>" if watts is not None else "")
            + "</ns3:TPX></Extensions>"
        )
    return "<Trackpoint>" + "".join(parts) + "</Trackpoint>\n"


def lap(start: str, total: float, distance: float, calories: int, *tracks: str) -> str:
    inner = "".join(f"<Track>{t}</Track>" for t in tracks)
    return (
        f'<Lap StartTime="{start}"><TotalTimeSeconds>{total}</TotalTimeSeconds>'
        f"<DistanceMeters>{distance}</DistanceMeters><Calories>{calories}</Calories>"
        f"<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>{inner}</Lap>"
    )


def activity(sport: str, *laps: str, creator: str = "Edge 1000") -> str:
    return (
        f'<Activity Sport="{sport}"><Id>2015-11-30T17:14:38Z</Id>{"".join(laps)}'
        f'<Notes>hill repeats</Notes><Creator xsi:type="Device_t"><Name>{creator}</Name>'
        "<UnitId>1</UnitId><ProductID>1836</ProductID></Creator></Activity>"
    )


def both(data: bytes) -> ParsedActivity:
    fast, tree = parse_tcx(data, fast=True), parse_tcx(data, fast=False)
    assert_same(fast, tree)
    return fast


def assert_same(a: ParsedActivity, b: ParsedActivity) -> None:
    assert sorted(a.streams) == sorted(b.streams)
    for key in a.streams:
        np.testing.assert_array_equal(a.streams[key], b.streams[key], err_msg=key)
    assert (a.sport, a.device, a.description, a.started_at) == (
        b.sport,
        b.device,
        b.description,
        b.started_at,
    )
    assert (a.laps, a.pauses, a.warnings) == (b.laps, b.pauses, b.warnings)
    assert (a.device_distance_m, a.device_calories_kcal) == (
        b.device_distance_m,
        b.device_calories_kcal,
    )


RIDE = tcx(
    "<Activities>"
    + activity(
        "Biking",
        lap(
            "2015-11-30T17:14:38Z",
            3.0,
            20.5,
            10,
            point("2015-11-30T17:14:38Z", 37.5, 41.6, 2.1, 75, 60, 72, 0.0)
            + point("2015-11-30T17:14:39Z", 37.6, 41.8, 3.3, 78, 63, 80, 1.2)
            + point("2015-11-30T17:14:41Z", 37.7, 42.0, 20.5, 80, 65, 90, 8.25),
        ),
        lap(
            "2015-11-30T17:14:45Z",
            60.0,
            100.0,
            5,
            point("2015-11-30T17:14:45Z", 37.8, 42.2, 30.0, 90, 70, 150, 9.0),
            point("2015-11-30T17:15:30.5Z", 37.9, None, 120.5, None, None, None, 3.5),
        ),
    )
    + "</Activities>"
)


def test_parse_tcx_reads_trackpoints_with_extensions() -> None:
    ride = both(RIDE)
    assert ride.point_count == 5 and ride.format == "tcx"
    np.testing.assert_array_equal(ride.streams["lat_deg"], [37.5, 37.6, 37.7, 37.8, 37.9])
    np.testing.assert_array_equal(ride.streams["lon_deg"], [-37.5, -37.6, -37.7, -37.8, -37.9])
    np.testing.assert_array_equal(ride.streams["elevation_m"], [41.6, 41.8, 42.0, 42.2, np.nan])
    np.testing.assert_array_equal(ride.streams["distance_m"], [2.1, 3.3, 20.5, 30.0, 120.5])
    np.testing.assert_array_equal(ride.streams["hr_bpm"], [75, 78, 80, 90, np.nan])
    np.testing.assert_array_equal(ride.streams["cadence_rpm"], [60, 63, 65, 70, np.nan])
    np.testing.assert_array_equal(ride.streams["power_w"], [72, 80, 90, 150, np.nan])
    np.testing.assert_array_equal(ride.streams["speed_mps"], [0.0, 1.2, 8.25, 9.0, 3.5])
    assert ride.streams["time_s"][-1] == unix("2015-11-30T17:15:30.500Z")


def test_parse_tcx_reads_laps_sport_device_and_totals() -> None:
    ride = both(RIDE)
    first, second = unix("2015-11-30T17:14:38Z"), unix("2015-11-30T17:14:45Z")
    # A lap ends at StartTime + TotalTimeSeconds, or at its last point when that is later.
    assert ride.laps == [
        Lap(first, first + 3.0, 20.5),
        Lap(second, second + 60.0, 100.0),
    ]
    assert (ride.sport, ride.device, ride.description) == ("cycling", "Edge 1000", "hill repeats")
    assert ride.device_distance_m == 120.5 and ride.device_calories_kcal == 15
    assert ride.started_at == datetime(2015, 11, 30, 17, 14, 38, tzinfo=UTC)


def test_parse_tcx_lets_the_last_point_end_a_lap_whose_timer_stopped_early() -> None:
    late = lap("2015-11-30T17:00:00Z", 10, 5, 0, point("2015-11-30T17:01:00Z", 1.0))
    ride = both(tcx(f"<Activities>{activity('Running', late)}</Activities>"))
    assert ride.laps == [Lap(unix("2015-11-30T17:00:00Z"), unix("2015-11-30T17:01:00Z"), 5)]
    assert ride.sport == "running"


def test_parse_tcx_reads_every_activity_of_a_multisport_file() -> None:
    run = activity(
        "Running", lap("2011-11-29T12:12:00Z", 2, 5, 1, point("2011-11-29T12:12:00Z", 1.0))
    )
    ride_ = activity(
        "Biking", lap("2011-11-29T13:00:00Z", 2, 9, 2, point("2011-11-29T13:00:00Z", 2.0))
    )
    session = (
        f"<Activities><MultiSportSession><Id>2011-11-29T12:12:00Z</Id><FirstSport>{run}"
        f"</FirstSport><NextSport>{ride_}</NextSport></MultiSportSession></Activities>"
    )
    ride = both(tcx(session))
    np.testing.assert_array_equal(ride.streams["lat_deg"], [1.0, 2.0])
    assert ride.sport == "multisport" and len(ride.laps) == 2
    assert ride.device_distance_m == 14 and ride.device_calories_kcal == 3


def test_parse_tcx_reads_several_plain_activities_in_order() -> None:
    a = activity("Biking", lap("2020-01-01T10:00:00Z", 1, 1, 0, point("2020-01-01T10:00:00Z", 1.0)))
    b = activity("Biking", lap("2020-01-01T11:00:00Z", 1, 1, 0, point("2020-01-01T11:00:00Z", 2.0)))
    ride = both(tcx(f"<Activities>{a}{b}</Activities>"))
    np.testing.assert_array_equal(ride.streams["lat_deg"], [1.0, 2.0])
    assert ride.sport == "cycling"


def test_parse_tcx_turns_track_breaks_inside_a_lap_into_pauses() -> None:
    paused = lap(
        "2020-01-01T10:00:00Z",
        60,
        100,
        0,
        point("2020-01-01T10:00:00Z", 1.0) + point("2020-01-01T10:00:10Z", 1.1),
        point("2020-01-01T10:05:00Z", 1.2),
    )
    next_lap = lap("2020-01-01T10:06:00Z", 1, 1, 0, point("2020-01-01T10:06:00Z", 1.3))
    ride = both(tcx(f"<Activities>{activity('Biking', paused, next_lap)}</Activities>"))
    assert ride.pauses == [(unix("2020-01-01T10:00:10Z"), unix("2020-01-01T10:05:00Z"))]


def test_parse_tcx_leaves_points_without_position_nan() -> None:
    indoor = lap(
        "2020-02-05T17:25:14Z",
        2,
        0,
        0,
        point("2020-02-05T17:25:14Z", hr=90) + point("2020-02-05T17:25:15Z", 1.5, hr=91),
    )
    ride = both(tcx(f"<Activities>{activity('Biking', indoor)}</Activities>"))
    np.testing.assert_array_equal(ride.streams["lat_deg"], [np.nan, 1.5])
    np.testing.assert_array_equal(ride.streams["hr_bpm"], [90, 91])


def test_parse_tcx_drops_latitudes_that_come_without_longitudes() -> None:
    half = (
        "<Trackpoint><Time>2020-01-01T00:00:00Z</Time><Position><LatitudeDegrees>1.5"
        "</LatitudeDegrees></Position></Trackpoint>"
    )
    body = activity("Biking", lap("2020-01-01T00:00:00Z", 1, 1, 0, half))
    ride = both(tcx(f"<Activities>{body}</Activities>"))
    assert "lat_deg" not in ride.streams and "lon_deg" not in ride.streams
    assert any("not both" in w for w in ride.warnings)


def test_parse_tcx_reads_tpx_in_its_own_default_namespace_and_run_cadence() -> None:
    tpx = (
        "<Trackpoint><Time>2020-01-01T00:00:00Z</Time><Extensions>"
        f'<TPX xmlns="{AX}"><Speed>3.5</Speed><RunCadence>88</RunCadence><Watts>300</Watts>'
        "</TPX></Extensions></Trackpoint>"
    )
    body = activity("Running", lap("2020-01-01T00:00:00Z", 1, 1, 0, tpx))
    ride = both(tcx(f"<Activities>{body}</Activities>"))
    assert (ride.streams["speed_mps"][0], ride.streams["cadence_rpm"][0]) == (3.5, 88)
    assert ride.streams["power_w"][0] == 300


def test_parse_tcx_reads_a_prefixed_tcx_namespace() -> None:
    data = RIDE.replace(b'xmlns="', b'xmlns:t="').replace(b"<", b"<t:").replace(b"<t:/", b"</t:")
    data = data.replace(b"<t:?xml", b"<?xml").replace(b"t:ns3:", b"ns3:")
    ride = both(data)
    assert ride.point_count == 5 and ride.streams["power_w"][3] == 150


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (
            "<Courses><Course><Name>Loop</Name><Track>"
            + point("2020-01-01T00:00:00Z", 1.0)
            + "</Track></Course></Courses>",
            "Courses",
        ),
        (
            '<Workouts><Workout Sport="Biking"><Name>Intervals</Name></Workout></Workouts>',
            "Workouts",
        ),
        ("<Activities></Activities>", "Activities"),
    ],
)
def test_parse_tcx_says_courses_and_workouts_are_not_activities(body: str, found: str) -> None:
    with pytest.raises(
        NotAnActivity, match=f"expected an <Activity> in the TCX file, got .*{found}"
    ):
        parse_tcx(tcx(body))


def test_parse_tcx_says_an_empty_activity_is_not_an_activity() -> None:
    with pytest.raises(NotAnActivity, match="neither"):
        parse_tcx(tcx('<Activities><Activity Sport="Biking"><Id>x</Id></Activity></Activities>'))


def test_parse_tcx_keeps_laps_of_an_activity_without_trackpoints() -> None:
    ride = both(
        tcx(f"<Activities>{activity('Other', lap('2020-01-01T00:00:00Z', 30, 50, 7))}</Activities>")
    )
    assert ride.point_count == 0 and ride.sport is None
    start = unix("2020-01-01T00:00:00Z")
    assert ride.laps == [Lap(start, start + 30, 50)] and ride.device_calories_kcal == 7
    assert ride.started_at == datetime(2020, 1, 1, tzinfo=UTC)


def test_parse_tcx_leaves_out_a_lap_without_any_time_with_a_warning() -> None:
    timeless = "<Lap><TotalTimeSeconds>5</TotalTimeSeconds><DistanceMeters>7</DistanceMeters></Lap>"
    timed = lap("2020-01-01T00:00:00Z", 10, 3, 1, point("2020-01-01T00:00:00Z", 1.0))
    ride = both(tcx(f"<Activities>{activity('Biking', timeless, timed)}</Activities>"))
    assert len(ride.laps) == 1 and ride.device_distance_m == 10
    assert any("1 laps without a start or end time" in w for w in ride.warnings)


def test_parse_tcx_rejects_a_namespace_lxml_cannot_name() -> None:
    with pytest.raises(ParseError, match="expected a namespace URI"):
        parse_tcx(RIDE.replace(TCD.encode(), b"http://x}y", 1))


@pytest.mark.parametrize(
    "bomb",
    [
        b'<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        b'<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE t [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>',
    ],
)
def test_parse_tcx_refuses_entity_declarations(bomb: bytes) -> None:
    data = RIDE.replace(b"?>\n", b"?>\n" + bomb + b"\n", 1).replace(b"hill repeats", b"&b;")
    with pytest.raises(ParseError, match="entity declarations"):
        parse_tcx(data)


def test_parse_tcx_skips_whitespace_before_the_declaration_with_a_warning() -> None:
    ride = both(b"  \r\n" + RIDE)
    assert ride.point_count == 5 and "whitespace" in ride.warnings[0]


def test_parse_tcx_keeps_the_trackpoints_before_a_truncation() -> None:
    cut = RIDE[: RIDE.index(b"<Time>2015-11-30T17:15:30")]
    ride = both(cut)
    assert ride.point_count == 4 and any("breaks off" in w for w in ride.warnings)
    assert len(ride.laps) == 2


def test_parse_tcx_rejects_garbage_with_its_position() -> None:
    with pytest.raises(ParseError, match="line 2, column"):
        parse_tcx(b"<?xml version='1.0'?>\n<<TrainingCenterDatabase>")


def test_parse_tcx_rejects_a_gpx_file() -> None:
    with pytest.raises(ParseError, match="expected a <TrainingCenterDatabase> root element"):
        parse_tcx(b'<gpx version="1.1"><trk/></gpx>')


def test_a_garmin_layout_takes_the_fast_path() -> None:
    assert read_document(RIDE, TCX, fast=True).fast


MUTATION = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "truncate"]),
    st.floats(0, 1),
    st.binary(min_size=1, max_size=8) | st.sampled_from([b"<", b">", b"&", b"/", b"<Track>"]),
)


def outcome(data: bytes, *, fast: bool) -> ParsedActivity | type[ParseError]:
    try:
        return parse_tcx(data, fast=fast)
    except ParseError as err:
        return type(err)


@given(st.lists(MUTATION, min_size=1, max_size=3))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_tcx_gives_a_parse_error_or_the_same_result_on_both_readers(
    mutations: list[tuple[str, float, bytes]],
) -> None:
    data = bytearray(RIDE)
    for kind, where, chunk in mutations:
        at = int(where * len(data))
        if kind == "delete":
            del data[at : at + len(chunk)]
        elif kind == "insert":
            data[at:at] = chunk
        elif kind == "replace":
            data[at : at + len(chunk)] = chunk
        else:
            del data[at:]
    fast, tree = outcome(bytes(data), fast=True), outcome(bytes(data), fast=False)
    if isinstance(fast, ParsedActivity) and isinstance(tree, ParsedActivity):
        assert_same(fast, tree)
    else:
        assert fast == tree


@given(st.binary(max_size=600))
@settings(max_examples=150, deadline=None)
def test_parse_tcx_raises_only_parse_error_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(ParseError):  # any other exception fails the test
        parse_tcx(b'<?xml version="1.0"?><TrainingCenterDatabase>' + data)
