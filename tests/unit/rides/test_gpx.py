"""The GPX reader on small hand-written files, hostile input, and random mutations."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bikenode.rides.formats import NotAnActivity, ParsedActivity, ParseError
from bikenode.rides.formats.gpx import TRACK, parse_gpx
from bikenode.rides.formats.xml import iso_times, read_document

GPX11 = 'xmlns="http://www.topografix.com/GPX/1/1"'
TPX1 = 'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'


def gpx(body: str, *, head: str = "", version: str = "1.1", ns: str = GPX11) -> bytes:
    """A GPX document around body (tracks, routes, waypoints)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="Test Unit"'
        f" {ns} {head}>\n{body}\n</gpx>\n"
    ).encode()


def trkpt(lat: float, lon: float, inner: str = "") -> str:
    return f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>\n'


def unix(text: str) -> float:
    """Seconds since the epoch for an ISO text, the way the standard library reads it."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def both(data: bytes) -> ParsedActivity:
    """Parse with the fast reader and the tree reader; they must agree exactly."""
    fast, tree = parse_gpx(data, fast=True), parse_gpx(data, fast=False)
    assert_same(fast, tree)
    return fast


def assert_same(a: ParsedActivity, b: ParsedActivity) -> None:
    assert sorted(a.streams) == sorted(b.streams)
    for key in a.streams:
        np.testing.assert_array_equal(a.streams[key], b.streams[key], err_msg=key)
    assert (a.name, a.description, a.sport, a.device) == (b.name, b.description, b.sport, b.device)
    assert (a.laps, a.pauses, a.started_at) == (b.laps, b.pauses, b.started_at)
    assert a.warnings == b.warnings


TWO_TRACKS = gpx(
    "<metadata><name>Morning ride</name><desc>file level</desc></metadata>"
    "<trk><name>Loop</name><desc>round the lake</desc><type>cycling</type>"
    "<trkseg>"
    + trkpt(46.1, 14.1, "<ele>300.5</ele><time>2021-05-01T08:00:00Z</time>")
    + trkpt(46.2, 14.2, "<ele>301.5</ele><time>2021-05-01T08:00:01Z</time>")
    + "</trkseg><trkseg>"
    + trkpt(46.3, 14.3, "<ele>302.5</ele><time>2021-05-01T08:10:00Z</time>")
    + "</trkseg></trk><trk><trkseg></trkseg><trkseg>"
    + trkpt(46.4, 14.4, "<ele>303.5</ele><time>2021-05-01T09:00:00Z</time>")
    + "</trkseg></trk>"
)


def test_parse_gpx_reads_all_track_points_of_all_tracks_and_segments_in_order() -> None:
    ride = both(TWO_TRACKS)
    assert ride.point_count == 4
    np.testing.assert_array_equal(ride.streams["lat_deg"], [46.1, 46.2, 46.3, 46.4])
    np.testing.assert_array_equal(ride.streams["lon_deg"], [14.1, 14.2, 14.3, 14.4])
    np.testing.assert_array_equal(ride.streams["elevation_m"], [300.5, 301.5, 302.5, 303.5])
    expected = [unix(f"2021-05-01T{t}Z") for t in ("08:00:00", "08:00:01", "08:10:00", "09:00:00")]
    np.testing.assert_array_equal(ride.streams["time_s"], expected)
    assert ride.started_at == datetime(2021, 5, 1, 8, tzinfo=UTC)


def test_parse_gpx_takes_name_description_type_and_creator() -> None:
    ride = both(TWO_TRACKS)
    assert (ride.name, ride.description, ride.sport) == ("Loop", "round the lake", "cycling")
    assert ride.device == "Test Unit"
    assert ride.format == "gpx"


@pytest.mark.parametrize(
    ("kind", "sport"),
    [
        ("road_biking", "cycling"),
        ("Mountain biking", "cycling"),
        ("1", "cycling"),
        ("9", "running"),
        ("trail_running", "running"),
        ("Open water swimming", "swimming"),
        ("unknown", None),
    ],
)
def test_parse_gpx_names_the_sport_from_the_track_type(kind: str, sport: str | None) -> None:
    body = f"<trk><type>{kind}</type><trkseg>" + trkpt(1, 2) + "</trkseg></trk>"
    assert both(gpx(body)).sport == sport


def test_parse_gpx_turns_segment_breaks_into_pauses() -> None:
    ride = both(TWO_TRACKS)
    assert ride.pauses == [
        (unix("2021-05-01T08:00:01Z"), unix("2021-05-01T08:10:00Z")),
        (unix("2021-05-01T08:10:00Z"), unix("2021-05-01T09:00:00Z")),
    ]


def test_parse_gpx_reads_gpx10_with_speed_and_root_name() -> None:
    body = (
        "<name>Old device</name><desc>1.0 file</desc><trk><trkseg>"
        + trkpt(1.0, 2.0, "<ele>5</ele><time>2010-03-21T21:55:01Z</time><speed>4.5</speed>")
        + trkpt(1.1, 2.1, "<ele>6</ele><time>2010-03-21T21:55:02Z</time><speed>5.5</speed>")
        + "</trkseg></trk>"
    )
    ride = both(gpx(body, version="1.0", ns='xmlns="http://www.topografix.com/GPX/1/0"'))
    np.testing.assert_array_equal(ride.streams["speed_mps"], [4.5, 5.5])
    assert (ride.name, ride.description) == ("Old device", "1.0 file")


def test_parse_gpx_reads_a_file_without_any_namespace() -> None:
    body = "<trk><trkseg>" + trkpt(1.0, 2.0, "<ele>5</ele>") + "</trkseg></trk>"
    ride = both(gpx(body, ns=""))
    np.testing.assert_array_equal(ride.streams["elevation_m"], [5.0])


EXTENSIONS = gpx(
    "<trk><trkseg>"
    # Garmin TrackPointExtension v1 with the usual prefix, and Strava's bare <power>
    + trkpt(
        1.0,
        2.0,
        "<extensions><power>250</power><gpxtpx:TrackPointExtension><gpxtpx:atemp>18.5"
        "</gpxtpx:atemp><gpxtpx:hr>140</gpxtpx:hr><gpxtpx:cad>90</gpxtpx:cad>"
        "</gpxtpx:TrackPointExtension></extensions>",
    )
    # TrackPointExtension v2 under another prefix, Garmin's PowerExtension as pwr:
    + trkpt(
        1.1,
        2.1,
        '<extensions><ns3:TrackPointExtension xmlns:ns3="http://www.garmin.com/xmlschemas/'
        'TrackPointExtension/v2"><ns3:hr>141</ns3:hr><ns3:cad>91</ns3:cad>'
        "<ns3:speed>7.5</ns3:speed></ns3:TrackPointExtension>"
        '<pwr:PowerInWatts xmlns:pwr="http://www.garmin.com/xmlschemas/PowerExtension/v1">'
        "260</pwr:PowerInWatts></extensions>",
    )
    # Cluetrust gpxdata and a bare <heartrate>
    + trkpt(
        1.2,
        2.2,
        '<extensions><heartrate>142</heartrate><gd:cadence xmlns:gd="http://www.cluetrust.com'
        '/XML/GPXDATA/1/0">92</gd:cadence><gd:temp xmlns:gd="http://www.cluetrust.com/XML/'
        'GPXDATA/1/0">19</gd:temp></extensions>',
    )
    + trkpt(1.3, 2.3)
    + "</trkseg></trk>",
    head=TPX1,
)


def test_parse_gpx_matches_extensions_by_local_name_in_any_namespace() -> None:
    ride = both(EXTENSIONS)
    nan = np.nan
    np.testing.assert_array_equal(ride.streams["hr_bpm"], [140, 141, 142, nan])
    np.testing.assert_array_equal(ride.streams["cadence_rpm"], [90, 91, 92, nan])
    np.testing.assert_array_equal(ride.streams["temperature_c"], [18.5, nan, 19, nan])
    np.testing.assert_array_equal(ride.streams["power_w"], [250, 260, nan, nan])
    np.testing.assert_array_equal(ride.streams["speed_mps"], [nan, 7.5, nan, nan])


def test_parse_gpx_reads_the_gpxpx_power_extension_and_fast_path_layout() -> None:
    points = "".join(
        trkpt(
            48.0 + i / 1000,
            9.0,
            f"<time>2019-04-18T14:12:{i:02d}.500Z</time><extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{120 + i}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
            f"<gpxpx:PowerInWatts>{200 + i}</gpxpx:PowerInWatts></extensions>",
        )
        for i in range(30)
    )
    head = TPX1 + ' xmlns:gpxpx="http://www.garmin.com/xmlschemas/PowerExtensionv1.xsd"'
    data = gpx(f"<trk><trkseg>{points}</trkseg></trk>", head=head)
    assert read_document(
        data, TRACK, fast=True
    ).fast  # the regular layout takes the byte-level path
    ride = both(data)
    np.testing.assert_array_equal(ride.streams["power_w"], np.arange(200, 230))
    np.testing.assert_array_equal(ride.streams["hr_bpm"], np.arange(120, 150))
    assert ride.streams["time_s"][1] - ride.streams["time_s"][0] == 1.0


def test_parse_gpx_leaves_missing_time_and_elevation_nan() -> None:
    body = (
        "<trk><trkseg>"
        + trkpt(1.0, 2.0, "<ele>10</ele>")
        + trkpt(1.1, 2.1, "<time>2020-01-01T00:00:00Z</time>")
        + trkpt(1.2, 2.2)
        + "</trkseg></trk>"
    )
    ride = both(gpx(body))
    np.testing.assert_array_equal(ride.streams["elevation_m"], [10, np.nan, np.nan])
    np.testing.assert_array_equal(
        ride.streams["time_s"], [np.nan, unix("2020-01-01T00:00:00Z"), np.nan]
    )
    assert ride.started_at == datetime(2020, 1, 1, tzinfo=UTC)


def test_parse_gpx_without_any_time_keeps_a_nan_time_stream() -> None:
    ride = both(gpx("<trk><trkseg>" + trkpt(1, 2) + trkpt(1.5, 2) + "</trkseg></trk>"))
    assert np.isnan(ride.streams["time_s"]).all() and ride.point_count == 2
    assert ride.started_at is None and "elevation_m" not in ride.streams


def test_parse_gpx_uses_the_route_when_there_is_no_track() -> None:
    body = (
        '<wpt lat="5" lon="5"><name>start</name></wpt><rte><name>Planned</name>'
        '<rtept lat="1" lon="2"><ele>3</ele></rtept><rtept lat="1.5" lon="2.5"/></rte>'
    )
    ride = both(gpx(body))
    np.testing.assert_array_equal(ride.streams["lat_deg"], [1, 1.5])
    np.testing.assert_array_equal(ride.streams["elevation_m"], [3, np.nan])
    assert ride.name == "Planned"


def test_parse_gpx_prefers_the_track_over_a_route() -> None:
    body = '<rte><rtept lat="9" lon="9"/></rte><trk><trkseg>' + trkpt(1, 2) + "</trkseg></trk>"
    np.testing.assert_array_equal(both(gpx(body)).streams["lat_deg"], [1])


def test_parse_gpx_says_a_waypoint_only_file_is_not_an_activity() -> None:
    data = gpx('<wpt lat="1" lon="2"><name>a</name></wpt><wpt lat="3" lon="4"/>')
    with pytest.raises(NotAnActivity, match="2 waypoints"):
        parse_gpx(data)


def test_parse_gpx_blanks_impossible_and_nan_coordinates_with_a_warning() -> None:
    body = (
        "<trk><trkseg>"
        + trkpt(91, 2)
        + trkpt(1, 181)
        + '<trkpt lat="NaN" lon="2"/>'
        + '<trkpt lat="x" lon="2"/>'
        + trkpt(-90, -180)
        + "</trkseg></trk>"
    )
    ride = both(gpx(body))
    np.testing.assert_array_equal(ride.streams["lat_deg"], [np.nan] * 4 + [-90])
    np.testing.assert_array_equal(ride.streams["lon_deg"], [np.nan] * 4 + [-180])
    assert any("impossible coordinates" in w for w in ride.warnings)
    assert any("lat_deg values could not be read" in w for w in ride.warnings)


TIMES = [
    "2021-01-07T21:51:59Z",
    "2021-01-07T21:51:59.179Z",
    "2021-01-07T21:51:59.179+01:15",
    "2021-01-07T21:51:59-05:00",
    "2021-01-07T21:51:59+0200",
    "2021-01-07T21:51:59",  # no zone: UTC
    "2021-01-07T21:51:59.123456789Z",
    "2016-02-29T23:59:59.5Z",
    "1999-12-31T23:59:59+14:00",
]


@pytest.mark.parametrize("text", TIMES)
def test_iso_times_read_zones_fractions_and_naive_times_as_utc(text: str) -> None:
    expected = unix(text[:26] + "Z" if text.endswith("789Z") else text)
    values, bad = iso_times([text.encode()] * 20)  # many rows of one width: vectorised
    assert bad == 0
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-6)
    odd, _ = iso_times([f"  {text} ".encode()])  # padded: the one-by-one path
    np.testing.assert_allclose(odd, expected, rtol=0, atol=1e-6)


def test_iso_times_keep_a_column_when_one_row_is_odd() -> None:
    texts = [f"2021-03-01T10:00:{i:02d}Z" for i in range(20)]
    texts[3] = "2016-12-31T23:59:60Z"  # a leap second: the minute after
    texts[5] = "2021-02-30T00:00:00Z"  # no such day
    texts[7] = "2021-03-01t10:00:07z"  # lower case: still ISO 8601
    values, bad = iso_times([t.encode() for t in texts])
    expected = [unix(t) for t in texts[:3]] + [unix("2017-01-01T00:00:00Z")]
    np.testing.assert_array_equal(values[:4], expected)
    assert np.isnan(values[5]) and bad == 1
    assert values[7] == unix("2021-03-01T10:00:07Z") and values[19] == unix(texts[19])


@pytest.mark.parametrize("text", ["2021-02-30T00:00:00Z", "2021-13-01T00:00:00Z", "yesterday", ""])
def test_iso_times_turn_impossible_dates_into_nan(text: str) -> None:
    values, bad = iso_times([text.encode() or None, b"2021-01-01T00:00:00Z"])
    assert np.isnan(values[0]) and values[1] == unix("2021-01-01T00:00:00Z")
    assert bad == (1 if text else 0)


# hypothesis takes naive bounds; the drawn times are read as UTC below
EARLY, LATE = datetime.fromisoformat("1900-01-01"), datetime.fromisoformat("2200-01-01")


@given(
    st.lists(st.datetimes(min_value=EARLY, max_value=LATE), min_size=17, max_size=40),
    st.sampled_from(["Z", "+01:00", "-05:30", "+0545", ""]),
)
def test_vectorised_iso_times_agree_with_the_standard_library(
    moments: list[datetime], zone: str
) -> None:
    texts = [m.isoformat(timespec="milliseconds") + zone for m in moments]
    values, bad = iso_times([t.encode() for t in texts])
    assert bad == 0
    np.testing.assert_allclose(values, [unix(t) for t in texts], rtol=0, atol=1e-6)


@given(st.datetimes(min_value=EARLY, max_value=LATE))
def test_iso_times_agree_with_the_standard_library(moment: datetime) -> None:
    text = moment.isoformat() + "Z"
    values, _ = iso_times([text.encode()])
    assert values[0] == pytest.approx(moment.replace(tzinfo=UTC).timestamp(), abs=1e-6)


# --- hostile input ---------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<gpx version="1.1"><trk><name>&lol4;</name><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>
"""


def test_parse_gpx_refuses_entity_bombs() -> None:
    with pytest.raises(ParseError, match="entity declarations"):
        parse_gpx(BILLION_LAUGHS)


def test_parse_gpx_refuses_entity_bombs_behind_a_comment() -> None:
    hidden = BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!-- <a> -->\n<!DOCTYPE", 1)
    for fast in (True, False):
        with pytest.raises(ParseError, match="entity declarations"):
            parse_gpx(hidden, fast=fast)


def test_parse_gpx_refuses_entity_bombs_in_utf16() -> None:
    data = BILLION_LAUGHS.replace(b'version="1.0"?>', b'version="1.0" encoding="UTF-16"?>')
    with pytest.raises(ParseError, match="entit"):
        parse_gpx(data.decode().encode("utf-16"))


def test_parse_gpx_refuses_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<gpx version="1.1"><trk><name>&xxe;</name><trkseg><trkpt lat="1" lon="2"/>'
        "</trkseg></trk></gpx>"
    ).encode()
    with pytest.raises(ParseError, match="entity declarations") as caught:
        parse_gpx(data)
    assert "TOPSECRET" not in str(caught.value)


def test_parse_gpx_never_loads_an_external_dtd(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "TOPSECRET">')
    data = (
        f'<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "file://{dtd}"><gpx version="1.1">'
        '<trk><name>x&secret;</name><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>'
    ).encode()
    try:
        ride = parse_gpx(data)
    except ParseError as err:
        assert "TOPSECRET" not in str(err)
    else:
        assert "TOPSECRET" not in (ride.name or "")


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"track: init: Found track point without time!", "line 1, column 1"),
        (b'<?xml version="1.0"?>\n<gpx>\n<trk></gpx>', "line 3"),
        (b"\x00\x01\x02binary", "line 1"),
    ],
)
def test_parse_gpx_rejects_non_xml_citing_line_and_column(data: bytes, where: str) -> None:
    with pytest.raises(ParseError, match=where):
        parse_gpx(data)


@pytest.mark.parametrize("data", [b"", b"  \n "])
def test_parse_gpx_rejects_an_empty_file(data: bytes) -> None:
    with pytest.raises(ParseError, match="blank"):
        parse_gpx(data)


def test_parse_gpx_rejects_xml_that_is_not_gpx() -> None:
    with pytest.raises(ParseError, match="expected a <gpx> root element, got <html>"):
        parse_gpx(b"<html><body>hello</body></html>")


def test_parse_gpx_keeps_the_points_before_a_truncation_with_a_warning() -> None:
    points = "".join(trkpt(1 + i / 10, 2, f"<ele>{100 + i}</ele>") for i in range(5))
    whole = gpx(f"<trk><trkseg>{points}</trkseg></trk>")
    cut = whole[: whole.index(b"<ele>104") + 6]  # inside the last point's elevation
    ride = both(cut)
    np.testing.assert_array_equal(ride.streams["elevation_m"], [100, 101, 102, 103])
    assert any("breaks off" in w for w in ride.warnings)


def test_parse_gpx_rejects_a_file_cut_before_its_first_point() -> None:
    whole = gpx("<trk><trkseg>" + trkpt(1, 2) + "</trkseg></trk>")
    with pytest.raises(ParseError, match="expected well-formed GPX XML"):
        parse_gpx(whole[: whole.index(b"<trkpt") + 10])


def test_parse_gpx_does_not_salvage_damage_before_the_last_point() -> None:
    points = "".join(trkpt(1, 2, "<ele>1</ele>") for _ in range(3))
    broken = gpx(f"<trk><trkseg>{points}</trkseg></trk>").replace(b"</ele>", b"</elf>", 1)
    with pytest.raises(ParseError, match="line"):
        parse_gpx(broken)


def test_parse_gpx_reads_undeclared_prefixes_leniently_with_a_warning() -> None:
    body = (
        "<trk><trkseg>"
        + trkpt(1, 2, "<extensions><x:hr>150</x:hr></extensions>")
        + "</trkseg></trk>"
    )
    ride = both(gpx(body))
    assert ride.point_count == 1
    assert any("Namespace prefix x" in w for w in ride.warnings)


def test_parse_gpx_rejects_hostile_nesting_with_a_parse_error() -> None:
    deep = "<a>" * 5000 + "</a>" * 5000
    body = "<trk><trkseg>" + trkpt(1, 2, f"<extensions>{deep}</extensions>") + "</trkseg></trk>"
    for fast in (True, False):
        with pytest.raises(ParseError, match="expected well-formed GPX XML"):
            parse_gpx(gpx(body), fast=fast)


@pytest.mark.parametrize(("depth", "read"), [(7, True), (8, True), (9, False)])
def test_fields_count_up_to_eight_levels_below_their_point(depth: int, read: bool) -> None:
    nested = "<x>" * (depth - 1) + "<hr>150</hr>" + "</x>" * (depth - 1)
    ride = both(gpx("<trk><trkseg>" + trkpt(1, 2, nested) + trkpt(3, 4) + "</trkseg></trk>"))
    assert ("hr_bpm" in ride.streams) is read


def test_parse_gpx_skips_whitespace_before_the_declaration() -> None:
    ride = both(b"\n  " + gpx("<trk><trkseg>" + trkpt(1, 2) + "</trkseg></trk>"))
    assert ride.point_count == 1 and "whitespace" in ride.warnings[0]


# --- the fast path against the tree --------------------------------------------------------------

IRREGULAR = [
    # a comment inside a point, an element order that differs, CDATA, an entity reference
    trkpt(1, 2, "<ele>1<!-- x --></ele>")
    + trkpt(1, 2, "<time>2020-01-01T00:00:00Z</time><ele>2</ele>"),
    trkpt(1, 2, "<ele><![CDATA[7]]></ele>") + trkpt(3, 4, "<ele>&#56;</ele>"),
    trkpt(1, 2, "<ele>1</ele><ele>2</ele>") + trkpt(3, 4, "<ele/>") + '<trkpt lon="4" lat="3"/>',
    trkpt(1, 2, "<extensions><hr>1</hr><hr>2</hr></extensions>") + trkpt(1, 2, "<hr>7</hr>"),
    trkpt(1, 2, "<ele>5</ele>") + "<!-- " + trkpt(9, 9) + " -->" + trkpt(3, 4),
    trkpt(1, 2, "<name>caf\u00e9</name><ele>5</ele>") + trkpt(3, 4, "<ele> 6 </ele>"),
]


@pytest.mark.parametrize("points", IRREGULAR)
def test_fast_and_tree_readers_agree_on_irregular_layouts(points: str) -> None:
    data = gpx(f"<trk><trkseg>{points}</trkseg></trk>")
    assert both(data).point_count == points.count("<trkpt") - points.count("<!-- <trkpt")


ADVERSARIAL = [
    # points where a track has none: in metadata extensions, in a nested trkseg, in CDATA
    "<metadata><extensions>"
    + trkpt(9, 9)
    + "</extensions></metadata><trk><trkseg>"
    + trkpt(1, 2)
    + "</trkseg></trk>",
    "<trk><trkseg>"
    + trkpt(1, 2)
    + "</trkseg><extensions><trkseg>"
    + trkpt(9, 9)
    + "</trkseg></extensions></trk>",
    "<trk><desc><![CDATA["
    + trkpt(9, 9)
    + "</trkseg>]]></desc><trkseg>"
    + trkpt(1, 2)
    + "</trkseg></trk>",
    # another namespace on the segment or the point, a prefixed point, a character reference
    '<trk><trkseg xmlns="urn:x">'
    + trkpt(9, 9)
    + "</trkseg><trkseg>"
    + trkpt(1, 2)
    + "</trkseg></trk>",
    '<trk><trkseg><trkpt xmlns="urn:x" lat="9" lon="9"/>' + trkpt(1, 2) + "</trkseg></trk>",
    '<trk><trkseg><g:trkpt xmlns:g="http://www.topografix.com/GPX/1/1" lat="5" lon="5"/>'
    + trkpt(1, 2)
    + "</trkseg></trk>",
    '<trk><trkseg><trkpt lat="&#49;" lon="2"/>' + trkpt(1, 2) + "</trkseg></trk>",
]


@pytest.mark.parametrize("body", ADVERSARIAL)
def test_fast_and_tree_readers_agree_on_points_in_odd_places(body: str) -> None:
    ride = both(gpx(body))
    assert 9 not in ride.streams["lat_deg"]


POINT = st.builds(
    lambda lat, lon, ele, time, hr, cad, power: trkpt(
        lat,
        lon,
        (f"<ele>{ele}</ele>" if ele is not None else "")
        + (f"<time>{time.isoformat()}Z</time>" if time else "")
        + (
            "<extensions><gpxtpx:TrackPointExtension>"
            + (f"<gpxtpx:hr>{hr}</gpxtpx:hr>" if hr is not None else "")
            + (f"<gpxtpx:cad>{cad}</gpxtpx:cad>" if cad is not None else "")
            + "</gpxtpx:TrackPointExtension>"
            + (f"<power>{power}</power>" if power is not None else "")
            + "</extensions>"
            if hr is not None or cad is not None or power is not None
            else ""
        ),
    ),
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.none() | st.floats(-400, 9000),
    st.none() | st.datetimes(min_value=EARLY, max_value=LATE),
    st.none() | st.integers(30, 220),
    st.none() | st.integers(0, 200),
    st.none() | st.integers(0, 2000),
)


@given(st.lists(st.lists(POINT, max_size=6), min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_fast_and_tree_readers_agree_on_generated_tracks(segments: list[list[str]]) -> None:
    body = "<trk>" + "".join(f"<trkseg>{''.join(s)}</trkseg>" for s in segments) + "</trk>"
    data = gpx(body, head=TPX1)
    count = sum(len(s) for s in segments)
    if count == 0:
        with pytest.raises(NotAnActivity):
            parse_gpx(data)
    else:
        assert both(data).point_count == count


@given(st.binary(max_size=600))
@settings(max_examples=150, deadline=None)
def test_parse_gpx_raises_only_parse_error_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(ParseError):  # any other exception fails the test
        parse_gpx(data)


REGULAR = gpx(
    "<metadata><name>regular</name></metadata><trk><trkseg>"
    + "".join(
        trkpt(
            45 + i / 100,
            5 - i / 100,
            f"<ele>{200 + i}</ele><time>2021-09-05T10:47:{i:02d}Z</time><extensions>"
            f"<power>{150 + i}</power><gpxtpx:TrackPointExtension><gpxtpx:hr>{100 + i}"
            "</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>",
        )
        for i in range(6)
    )
    + "</trkseg></trk>",
    head=TPX1,
)


def test_a_regular_layout_takes_the_fast_path() -> None:
    assert read_document(REGULAR, TRACK, fast=True).fast
    assert not read_document(REGULAR, TRACK, fast=False).fast


MUTATION = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "truncate"]),
    st.floats(0, 1),
    st.binary(min_size=1, max_size=8) | st.sampled_from([b"<", b">", b"&", b'"', b"/", b"\xff"]),
)


def mutate(data: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, chunk in mutations:
        at = int(where * len(out))
        if kind == "delete":
            del out[at : at + len(chunk)]
        elif kind == "insert":
            out[at:at] = chunk
        elif kind == "replace":
            out[at : at + len(chunk)] = chunk
        else:
            del out[at:]
    return bytes(out)


def outcome(data: bytes, *, fast: bool) -> ParsedActivity | type[ParseError]:
    try:
        return parse_gpx(data, fast=fast)
    except ParseError as err:
        return type(err)


@given(
    st.sampled_from([REGULAR, EXTENSIONS, TWO_TRACKS]), st.lists(MUTATION, min_size=1, max_size=3)
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_gpx_gives_a_parse_error_or_the_same_result_on_both_readers(
    original: bytes, mutations: list[tuple[str, float, bytes]]
) -> None:
    data = mutate(original, mutations)
    fast, tree = outcome(data, fast=True), outcome(data, fast=False)
    if isinstance(fast, ParsedActivity) and isinstance(tree, ParsedActivity):
        assert_same(fast, tree)
    else:
        assert fast == tree
