"""Exports read back by the peer libraries.

GPX goes through gpxpy, TCX through tcxreader, FIT through fitdecode, fitparse and the Garmin
FIT SDK. Expected values always come from the streams we exported and the resolution of the
format (7 decimals, FIT scales), never from our own output. The XML structure is checked
against subsets of the published schemas, and real corpus files go through a full round trip.
"""

from __future__ import annotations

import io
import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

import fitdecode
import fitparse
import gpxpy
import numpy as np
import pytest
from garmin_fit_sdk import Decoder, Stream
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from lxml import etree
from tcxreader.tcxreader import TCXReader

from bikenode.rides.formats.activity import STREAM_KEYS, FloatArray, Lap
from bikenode.rides.formats.export import (
    EXPORT_EXTENSIONS,
    EXPORT_MEDIA_TYPES,
    ExportError,
    ExportFormat,
    RideTotals,
    export_activity,
)
from tests.corpus import CORPUS, MISSING

START_S: Final = datetime(2024, 5, 1, 6, 30, tzinfo=UTC).timestamp()
SEMICIRCLE_DEG: Final = 180 / 2**31
FORMATS: Final[tuple[ExportFormat, ...]] = ("gpx", "tcx", "fit")
GPX_NS: Final = "http://www.topografix.com/GPX/1/1"

# --- factories ---------------------------------------------------------------------------------


def make_outdoor_ride(count: int = 600, **overrides: FloatArray) -> dict[str, FloatArray]:
    """A 1 Hz road ride with every stream recorded."""
    rng = np.random.default_rng(11)
    streams = {
        "time_s": START_S + np.arange(count, dtype=np.float64),
        "lat_deg": 46.05 + np.cumsum(rng.normal(0, 3e-5, count)),
        "lon_deg": 14.51 + np.cumsum(rng.normal(0, 3e-5, count)),
        "elevation_m": 295 + np.cumsum(rng.normal(0, 0.4, count)),
        "distance_m": np.cumsum(rng.uniform(2, 11, count)),
        "speed_mps": rng.uniform(0, 16, count),
        "hr_bpm": rng.integers(80, 190, count).astype(np.float64),
        "cadence_rpm": rng.integers(0, 125, count).astype(np.float64),
        "power_w": rng.integers(0, 1200, count).astype(np.float64),
        "temperature_c": rng.integers(-8, 38, count).astype(np.float64),
    }
    return streams | overrides


def make_indoor_ride(count: int = 300) -> dict[str, FloatArray]:
    """A trainer ride: no position, no elevation."""
    streams = make_outdoor_ride(count)
    for key in ("lat_deg", "lon_deg", "elevation_m"):
        del streams[key]
    return streams


def make_gappy_ride(count: int = 400) -> dict[str, FloatArray]:
    """A 4 Hz ride with sub-second times and NaN gaps in time, position and sensors."""
    streams = make_outdoor_ride(count)
    streams["time_s"] = np.arange(count, dtype=np.float64) * 0.25 + (START_S + 0.125)
    rng = np.random.default_rng(5)
    for keys, share in ((("lat_deg", "lon_deg"), 0.15), (("time_s",), 0.05)):
        gaps = rng.random(count) < share
        for key in keys:
            streams[key][gaps] = np.nan
    for key in ("elevation_m", "hr_bpm", "cadence_rpm", "power_w", "speed_mps", "temperature_c"):
        streams[key][rng.random(count) < 0.1] = np.nan
    streams["hr_bpm"][20:60] = np.nan  # a strap that dropped out
    # Values some formats cannot hold: left out there, kept elsewhere.
    streams["hr_bpm"][61:63] = [0.0, 255.0]
    streams["cadence_rpm"][70] = 255.0
    streams["power_w"][80:82] = [-3.0, 70000.0]
    streams["temperature_c"][90] = 127.0
    return streams


RIDES: Final = {
    "outdoor": make_outdoor_ride,
    "indoor": make_indoor_ride,
    "gappy": make_gappy_ride,
}

# --- what each format keeps, from the format's own rules -----------------------------------------

CARRIED: Final[dict[str, tuple[str, ...]]] = {
    "gpx": ("time_s", "lat_deg", "lon_deg", "elevation_m", "temperature_c", "hr_bpm",
            "cadence_rpm", "speed_mps", "power_w"),
    "tcx": ("time_s", "lat_deg", "lon_deg", "elevation_m", "distance_m", "hr_bpm",
            "cadence_rpm", "speed_mps", "power_w"),
    "fit": STREAM_KEYS,
}  # fmt: skip
# Half the resolution each format writes a stream with.
TOLERANCE: Final[dict[str, dict[str, float]]] = {
    "gpx": {"elevation_m": 0.005, "temperature_c": 0.05, "speed_mps": 0.0005},
    "tcx": {"elevation_m": 0.005, "distance_m": 0.005, "speed_mps": 0.0005},
    "fit": {"elevation_m": 0.1, "distance_m": 0.005, "speed_mps": 0.0005},
}
# Integer streams: the range each format's type allows (outside it, the value is left out).
WHOLE_RANGES: Final[dict[str, dict[str, tuple[int, int]]]] = {
    "gpx": {"hr_bpm": (0, 255), "cadence_rpm": (0, 254), "power_w": (0, 65535)},
    "tcx": {"hr_bpm": (1, 255), "cadence_rpm": (0, 254), "power_w": (0, 65535)},
    "fit": {"hr_bpm": (0, 254), "cadence_rpm": (0, 254), "power_w": (0, 65534),
            "temperature_c": (-128, 126)},
}  # fmt: skip


def written_rows(streams: dict[str, FloatArray], fmt: str) -> np.ndarray[Any, Any]:
    """GPX keeps the points with a position, TCX and FIT those with a time."""
    if fmt == "gpx":
        return np.flatnonzero(~np.isnan(streams["lat_deg"]) & ~np.isnan(streams["lon_deg"]))
    return np.flatnonzero(~np.isnan(streams["time_s"]))


def expected(values: FloatArray, key: str, fmt: str) -> FloatArray:
    if key == "time_s":  # XML keeps milliseconds, FIT whole seconds
        return np.floor(values) if fmt == "fit" else np.round(values * 1000) / 1000
    if key in WHOLE_RANGES[fmt]:
        low, high = WHOLE_RANGES[fmt][key]
        rounded = np.round(values)
        return np.where((rounded >= low) & (rounded <= high), rounded, np.nan)
    return values


def assert_same_points(
    read: dict[str, FloatArray], streams: dict[str, FloatArray], fmt: str
) -> None:
    rows = written_rows(streams, fmt)
    for key in CARRIED[fmt]:
        got = read[key]
        assert got.shape == rows.shape, f"{fmt} {key}: {got.shape} points, wanted {rows.shape}"
        if key not in streams:
            assert np.isnan(got).all(), f"{fmt} {key}: values appeared from nowhere"
            continue
        want = expected(streams[key][rows], key, fmt)
        assert np.array_equal(np.isnan(got), np.isnan(want)), f"{fmt} {key}: gaps moved"
        known = ~np.isnan(want)
        if key == "time_s":  # exact, compared as whole milliseconds
            assert np.array_equal(np.round(got[known] * 1000), np.round(want[known] * 1000))
        elif key in ("lat_deg", "lon_deg"):
            np.testing.assert_allclose(got[known], want[known], rtol=0, atol=1e-7)
        else:
            atol = TOLERANCE[fmt].get(key, 0.0)
            np.testing.assert_allclose(got[known], want[known], rtol=0, atol=atol + 1e-9)


# --- the peer readers, each returning our stream columns ---------------------------------------

GPX_EXTENSION_STREAMS: Final = {
    "atemp": "temperature_c",
    "hr": "hr_bpm",
    "cad": "cadence_rpm",
    "speed": "speed_mps",
    "power": "power_w",
}


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _columns(rows: list[dict[str, float]]) -> dict[str, FloatArray]:
    return {key: np.array([row.get(key, np.nan) for row in rows]) for key in STREAM_KEYS}


def gpxpy_streams(data: bytes) -> dict[str, FloatArray]:
    gpx = gpxpy.parse(data.decode())
    rows = []
    for track in gpx.tracks:
        for segment in track.segments:
            for point in segment.points:
                row = {
                    "time_s": point.time.timestamp() if point.time else np.nan,
                    "lat_deg": point.latitude,
                    "lon_deg": point.longitude,
                    "elevation_m": _number(point.elevation),
                }
                for extension in point.extensions:
                    for node in extension.iter():
                        key = GPX_EXTENSION_STREAMS.get(str(node.tag).rsplit("}", 1)[-1])
                        if key and node.text:
                            row[key] = float(node.text)
                rows.append(row)
    return _columns(rows)


def tcxreader_streams(data: bytes, folder: Path) -> dict[str, FloatArray]:
    path = folder / "ride.tcx"
    path.write_bytes(data)
    exercise = TCXReader().read(str(path), only_gps=False)
    rows = []
    for point in exercise.trackpoints:
        time = point.time if point.time.tzinfo else point.time.replace(tzinfo=UTC)
        rows.append(
            {
                "time_s": time.timestamp(),
                "lat_deg": _number(point.latitude),
                "lon_deg": _number(point.longitude),
                "elevation_m": _number(point.elevation),
                "distance_m": _number(point.distance),
                "hr_bpm": _number(point.hr_value),
                "cadence_rpm": _number(point.cadence),
                "speed_mps": _number(point.tpx_ext.get("Speed")),
                "power_w": _number(point.tpx_ext.get("Watts")),
            }
        )
    return _columns(rows)


def _fit_row(values: dict[str, Any]) -> dict[str, float]:
    """Our streams from one decoded FIT record (field names as the FIT profile spells them)."""
    time = values.get("timestamp")
    if time is not None and time.tzinfo is None:  # fitparse gives naive UTC
        time = time.replace(tzinfo=UTC)
    lat, lon = values.get("position_lat"), values.get("position_long")
    altitude = values.get("enhanced_altitude", values.get("altitude"))
    speed = values.get("enhanced_speed", values.get("speed"))
    return {
        "time_s": time.timestamp() if time is not None else np.nan,
        "lat_deg": np.nan if lat is None else lat * SEMICIRCLE_DEG,
        "lon_deg": np.nan if lon is None else lon * SEMICIRCLE_DEG,
        "elevation_m": _number(altitude),
        "distance_m": _number(values.get("distance")),
        "speed_mps": _number(speed),
        "hr_bpm": _number(values.get("heart_rate")),
        "cadence_rpm": _number(values.get("cadence")),
        "power_w": _number(values.get("power")),
        "temperature_c": _number(values.get("temperature")),
    }


def fitdecode_streams(data: bytes) -> dict[str, FloatArray]:
    rows = []
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                rows.append(_fit_row({field.name: field.value for field in frame.fields}))
    return _columns(rows)


def fitparse_streams(data: bytes) -> dict[str, FloatArray]:
    fit = fitparse.FitFile(data, check_crc=True)
    return _columns([_fit_row(message.get_values()) for message in fit.get_messages("record")])


def sdk_messages(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """Decode with the Garmin FIT SDK after its integrity check; fail on any decode error."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return cast(dict[str, list[dict[str, Any]]], messages)


def read_back(data: bytes, fmt: str, folder: Path) -> list[dict[str, FloatArray]]:
    """The streams each peer library reads from an export."""
    if fmt == "gpx":
        return [gpxpy_streams(data)]
    if fmt == "tcx":
        return [tcxreader_streams(data, folder)]
    records = sdk_messages(data).get("record_mesgs", [])
    streams = [fitdecode_streams(data), fitparse_streams(data)]
    assert all(s["time_s"].size == len(records) for s in streams)
    return streams


def present_streams(streams: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Drop the columns a peer reader filled with NaN: the file did not record them."""
    return {key: values for key, values in streams.items() if not np.isnan(values).all()}


# --- round trips ---------------------------------------------------------------------------------


def export_and_compare(streams: dict[str, FloatArray], fmt: ExportFormat, folder: Path) -> None:
    has_position = "lat_deg" in streams and bool(written_rows(streams, "gpx").size)
    has_time = "time_s" in streams and bool(written_rows(streams, "fit").size)
    if (fmt == "gpx" and not has_position) or (fmt != "gpx" and not has_time):
        with pytest.raises(ExportError):
            export_activity(streams, fmt=fmt)
        return
    data = export_activity(streams, fmt=fmt, name="Round trip", sport="cycling")
    for read in read_back(data, fmt, folder):
        assert_same_points(read, streams, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ride", sorted(RIDES))
def test_export_reads_back_with_the_same_points(
    ride: str, fmt: ExportFormat, tmp_path: Path
) -> None:
    export_and_compare(RIDES[ride](), fmt, tmp_path)


def test_gpx_of_an_indoor_ride_raises_export_error() -> None:
    with pytest.raises(ExportError, match="position"):
        export_activity(make_indoor_ride(), fmt="gpx")


@pytest.mark.parametrize("fmt", ["tcx", "fit"])
def test_tcx_and_fit_without_any_time_raise_export_error(fmt: ExportFormat) -> None:
    streams = make_outdoor_ride(20, time_s=np.full(20, np.nan))
    with pytest.raises(ExportError, match="time"):
        export_activity(streams, fmt=fmt)
    del streams["time_s"]
    with pytest.raises(ExportError, match="time"):
        export_activity(streams, fmt=fmt)


def test_gpx_without_times_writes_points_without_time_elements(tmp_path: Path) -> None:
    streams = make_outdoor_ride(30)
    del streams["time_s"]
    data = export_activity(streams, fmt="gpx")
    assert b"<time>" not in data
    assert_same_points(gpxpy_streams(data), streams, "gpx")


# --- exact text and bytes ------------------------------------------------------------------------


def test_gpx_writes_coordinates_with_seven_decimals_and_utc_times() -> None:
    streams = make_outdoor_ride(3, lat_deg=np.array([46.05, -0.5, 89.123456789]))
    text = export_activity(streams, fmt="gpx").decode()
    assert '<trkpt lat="46.0500000" lon="' in text
    assert '<trkpt lat="-0.5000000" lon="' in text
    assert '<trkpt lat="89.1234568" lon="' in text
    assert "<time>2024-05-01T06:30:02Z</time>" in text


def test_times_keep_milliseconds_only_when_the_ride_has_sub_second_times() -> None:
    whole = export_activity(make_outdoor_ride(5), fmt="gpx").decode()
    assert re.findall(r"<time>([^<]*)</time>", whole)[1:3] == [
        "2024-05-01T06:30:00Z",
        "2024-05-01T06:30:01Z",
    ]
    streams = make_outdoor_ride(3, time_s=START_S + np.array([0.0, 0.5, 1.004]))
    time_tags: tuple[tuple[ExportFormat, str], ...] = (("gpx", "time"), ("tcx", "Time"))
    for fmt, tag in time_tags:
        text = export_activity(streams, fmt=fmt).decode()
        assert re.findall(rf"<{tag}>([^<]*)</{tag}>", text)[-3:] == [
            "2024-05-01T06:30:00.000Z",
            "2024-05-01T06:30:00.500Z",
            "2024-05-01T06:30:01.004Z",
        ]


def test_longitude_180_is_written_as_minus_180(tmp_path: Path) -> None:
    streams = make_outdoor_ride(2, lon_deg=np.array([180.0, 179.99999999]))
    assert export_activity(streams, fmt="gpx").count(b'lon="-180.0000000"') == 2
    lon = fitdecode_streams(export_activity(streams, fmt="fit"))["lon_deg"]
    np.testing.assert_allclose(lon, [-180.0, -180.0], atol=1e-7)


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC bit by bit, as the FIT protocol document defines it."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def test_fit_header_and_crcs_follow_the_protocol() -> None:
    data = export_activity(make_outdoor_ride(40), fmt="fit")
    size, protocol, _profile, data_size, magic, header_crc = struct.unpack("<BBHI4sH", data[:14])
    assert (size, magic) == (14, b".FIT")
    assert protocol >> 4 in (1, 2)
    assert data_size == len(data) - 14 - 2
    assert header_crc == crc16_arc(data[:12])
    assert struct.unpack("<H", data[-2:])[0] == crc16_arc(data[:-2])


def test_fit_has_file_id_lap_session_and_activity() -> None:
    streams = make_outdoor_ride(90)
    started = datetime(2024, 5, 1, 6, 29, 50, tzinfo=UTC)
    data = export_activity(streams, fmt="fit", sport="cycling", started_at=started)
    messages = sdk_messages(data)
    file_id = messages["file_id_mesgs"][0]
    assert (file_id["type"], file_id["manufacturer"]) == ("activity", "development")
    assert file_id["time_created"] == started
    session = messages["session_mesgs"][0]
    assert session["sport"] == "cycling"
    assert session["start_time"] == started
    assert session["total_elapsed_time"] == pytest.approx(89 + 10)
    assert session["total_timer_time"] == pytest.approx(89 + 10)
    assert session["total_distance"] == pytest.approx(streams["distance_m"][-1], abs=0.005)
    assert session["num_laps"] == len(messages["lap_mesgs"]) == 1
    assert messages["activity_mesgs"][0]["num_sessions"] == 1
    assert [e["event_type"] for e in messages["event_mesgs"]] == ["start", "stop_all"]


@pytest.mark.parametrize(("sport", "fit_sport", "tcx_sport"), [
    ("cycling", "cycling", "Biking"),
    ("running", "running", "Running"),
    ("hiking", "hiking", "Other"),
    (None, "generic", "Other"),
])  # fmt: skip
def test_sport_is_mapped_to_each_format(sport: str | None, fit_sport: str, tcx_sport: str) -> None:
    streams = make_outdoor_ride(5)
    messages = sdk_messages(export_activity(streams, fmt="fit", sport=sport))
    assert messages["session_mesgs"][0]["sport"] == fit_sport
    tcx = export_activity(streams, fmt="tcx", sport=sport)
    assert f'<Activity Sport="{tcx_sport}">'.encode() in tcx


def test_laps_split_the_points_in_tcx_and_fit(tmp_path: Path) -> None:
    streams = make_outdoor_ride(300)
    laps = (
        Lap(START_S + 100, START_S + 250, distance_m=1234.5),
        Lap(START_S, START_S + 100),  # out of order on purpose
        Lap(START_S + 250, START_S + 299),
    )
    tcx = export_activity(streams, fmt="tcx", laps=laps)
    (tmp_path / "laps.tcx").write_bytes(tcx)
    exercise = TCXReader().read(str(tmp_path / "laps.tcx"), only_gps=False)
    assert [len(lap.trackpoints) for lap in exercise.laps] == [100, 150, 50]
    assert [lap.distance for lap in exercise.laps][1] == pytest.approx(1234.5)
    fit_laps = sdk_messages(export_activity(streams, fmt="fit", laps=laps))["lap_mesgs"]
    starts = [lap["start_time"].timestamp() for lap in fit_laps]
    assert starts == [START_S, START_S + 100, START_S + 250]
    assert fit_laps[1]["total_distance"] == pytest.approx(1234.5)
    assert fit_laps[0]["total_elapsed_time"] == pytest.approx(100)


def test_names_are_escaped_and_unwritable_characters_dropped(tmp_path: Path) -> None:
    name = 'Tom & Jerry <climb> "KOM"\x01'
    gpx = gpxpy.parse(export_activity(make_outdoor_ride(3), fmt="gpx", name=name).decode())
    assert gpx.name == gpx.tracks[0].name == 'Tom & Jerry <climb> "KOM"'
    tcx = export_activity(make_outdoor_ride(3), fmt="tcx", name=name, description="a\nb")
    notes = etree.fromstring(tcx).findtext(".//{*}Notes")
    assert notes == 'Tom & Jerry <climb> "KOM"\n\na\nb'


def test_export_leaves_the_input_streams_untouched() -> None:
    streams = make_gappy_ride()
    streams["lat_deg"][0] = 95.0  # off the globe: not written, but not changed either
    before = {key: values.copy() for key, values in streams.items()}
    for fmt in FORMATS:
        export_activity(streams, fmt=fmt)
    for key, values in before.items():
        np.testing.assert_array_equal(streams[key], values)


# --- refusals ------------------------------------------------------------------------------------


def test_export_rejects_streams_of_different_lengths() -> None:
    streams = make_outdoor_ride(10, hr_bpm=np.ones(9))
    with pytest.raises(ExportError, match="one length"):
        export_activity(streams, fmt="gpx")


def test_export_rejects_unknown_streams() -> None:
    with pytest.raises(ExportError, match="heart_rate"):
        export_activity(make_outdoor_ride(3, heart_rate=np.ones(3)), fmt="fit")


def test_export_rejects_a_naive_start_time() -> None:
    naive = datetime(2024, 5, 1, 6, 30)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ExportError, match="timezone-aware"):
        export_activity(make_outdoor_ride(3), fmt="tcx", started_at=naive)


def test_export_rejects_laps_without_times() -> None:
    with pytest.raises(ExportError, match="laps"):
        export_activity(make_outdoor_ride(3), fmt="fit", laps=(Lap(START_S, float("nan")),))


def test_fit_rejects_times_it_cannot_hold() -> None:
    streams = make_outdoor_ride(3, time_s=np.array([0.0, 1.0, 2.0]))  # 1970: before FIT times
    with pytest.raises(ExportError, match="FIT can hold"):
        export_activity(streams, fmt="fit")


def test_export_lists_a_media_type_and_extension_per_format() -> None:
    assert set(EXPORT_MEDIA_TYPES) == set(EXPORT_EXTENSIONS) == set(FORMATS)
    assert EXPORT_MEDIA_TYPES["gpx"] == "application/gpx+xml"
    assert all(ext == f".{fmt}" for fmt, ext in EXPORT_EXTENSIONS.items())


# --- schema structure ----------------------------------------------------------------------------
# Subsets of the published schemas with just the elements we write, in the published order and
# with the published types: a document valid here is valid against the full schema.

GPX_XSD: Final = """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns="http://www.topografix.com/GPX/1/1" targetNamespace="http://www.topografix.com/GPX/1/1"
  elementFormDefault="qualified">
 <xsd:import namespace="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
   schemaLocation="tpx.xsd"/>
 <xsd:element name="gpx"><xsd:complexType><xsd:sequence>
  <xsd:element name="metadata" minOccurs="0"><xsd:complexType><xsd:sequence>
   <xsd:element name="name" type="xsd:string" minOccurs="0"/>
   <xsd:element name="desc" type="xsd:string" minOccurs="0"/>
   <xsd:element name="time" type="xsd:dateTime" minOccurs="0"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="trk" minOccurs="0" maxOccurs="unbounded"><xsd:complexType><xsd:sequence>
   <xsd:element name="name" type="xsd:string" minOccurs="0"/>
   <xsd:element name="desc" type="xsd:string" minOccurs="0"/>
   <xsd:element name="type" type="xsd:string" minOccurs="0"/>
   <xsd:element name="extensions" minOccurs="0"><xsd:complexType><xsd:sequence>
    <xsd:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
   </xsd:sequence></xsd:complexType></xsd:element>
   <xsd:element name="trkseg" minOccurs="0" maxOccurs="unbounded"><xsd:complexType><xsd:sequence>
    <xsd:element name="trkpt" minOccurs="0" maxOccurs="unbounded"><xsd:complexType>
     <xsd:sequence>
      <xsd:element name="ele" type="xsd:decimal" minOccurs="0"/>
      <xsd:element name="time" type="xsd:dateTime" minOccurs="0"/>
      <xsd:element name="extensions" minOccurs="0"><xsd:complexType><xsd:sequence>
       <xsd:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>
     </xsd:sequence>
     <xsd:attribute name="lat" use="required"><xsd:simpleType><xsd:restriction base="xsd:decimal">
      <xsd:minInclusive value="-90.0"/><xsd:maxInclusive value="90.0"/>
     </xsd:restriction></xsd:simpleType></xsd:attribute>
     <xsd:attribute name="lon" use="required"><xsd:simpleType><xsd:restriction base="xsd:decimal">
      <xsd:minInclusive value="-180.0"/><xsd:maxExclusive value="180.0"/>
     </xsd:restriction></xsd:simpleType></xsd:attribute>
    </xsd:complexType></xsd:element>
   </xsd:sequence></xsd:complexType></xsd:element>
  </xsd:sequence></xsd:complexType></xsd:element>
 </xsd:sequence>
 <xsd:attribute name="version" type="xsd:string" use="required" fixed="1.1"/>
 <xsd:attribute name="creator" type="xsd:string" use="required"/>
 </xsd:complexType></xsd:element>
</xsd:schema>"""

GPX_TPX_XSD: Final = """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  targetNamespace="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
  elementFormDefault="qualified">
 <xsd:element name="TrackPointExtension"><xsd:complexType><xsd:sequence>
  <xsd:element name="atemp" type="xsd:double" minOccurs="0"/>
  <xsd:element name="hr" type="xsd:unsignedByte" minOccurs="0"/>
  <xsd:element name="cad" minOccurs="0"><xsd:simpleType>
   <xsd:restriction base="xsd:unsignedByte"><xsd:maxInclusive value="254"/></xsd:restriction>
  </xsd:simpleType></xsd:element>
  <xsd:element name="speed" minOccurs="0"><xsd:simpleType>
   <xsd:restriction base="xsd:double"><xsd:minInclusive value="0"/></xsd:restriction>
  </xsd:simpleType></xsd:element>
 </xsd:sequence></xsd:complexType></xsd:element>
</xsd:schema>"""

TCX_XSD: Final = """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  targetNamespace="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  elementFormDefault="qualified">
 <xsd:import namespace="http://www.garmin.com/xmlschemas/ActivityExtension/v2"
   schemaLocation="tpx.xsd"/>
 <xsd:element name="TrainingCenterDatabase"><xsd:complexType><xsd:sequence>
  <xsd:element name="Activities" minOccurs="0"><xsd:complexType><xsd:sequence>
   <xsd:element name="Activity" minOccurs="0" maxOccurs="unbounded"><xsd:complexType>
    <xsd:sequence>
     <xsd:element name="Id" type="xsd:dateTime"/>
     <xsd:element name="Lap" type="Lap_t" maxOccurs="unbounded"/>
     <xsd:element name="Notes" type="xsd:string" minOccurs="0"/>
    </xsd:sequence>
    <xsd:attribute name="Sport" use="required"><xsd:simpleType>
     <xsd:restriction base="xsd:token">
      <xsd:enumeration value="Running"/><xsd:enumeration value="Biking"/>
      <xsd:enumeration value="Other"/>
     </xsd:restriction>
    </xsd:simpleType></xsd:attribute>
   </xsd:complexType></xsd:element>
  </xsd:sequence></xsd:complexType></xsd:element>
 </xsd:sequence></xsd:complexType></xsd:element>
 <xsd:complexType name="Lap_t">
  <xsd:sequence>
   <xsd:element name="TotalTimeSeconds" type="xsd:double"/>
   <xsd:element name="DistanceMeters" type="xsd:double"/>
   <xsd:element name="Calories" type="xsd:unsignedShort"/>
   <xsd:element name="Intensity"><xsd:simpleType><xsd:restriction base="xsd:token">
    <xsd:enumeration value="Active"/><xsd:enumeration value="Resting"/>
   </xsd:restriction></xsd:simpleType></xsd:element>
   <xsd:element name="TriggerMethod"><xsd:simpleType><xsd:restriction base="xsd:token">
    <xsd:enumeration value="Manual"/><xsd:enumeration value="Distance"/>
    <xsd:enumeration value="Location"/><xsd:enumeration value="Time"/>
    <xsd:enumeration value="HeartRate"/>
   </xsd:restriction></xsd:simpleType></xsd:element>
   <xsd:element name="Track" minOccurs="0" maxOccurs="unbounded"><xsd:complexType>
    <xsd:sequence><xsd:element name="Trackpoint" type="Trackpoint_t" maxOccurs="unbounded"/>
    </xsd:sequence>
   </xsd:complexType></xsd:element>
  </xsd:sequence>
  <xsd:attribute name="StartTime" type="xsd:dateTime" use="required"/>
 </xsd:complexType>
 <xsd:complexType name="Trackpoint_t"><xsd:sequence>
  <xsd:element name="Time" type="xsd:dateTime"/>
  <xsd:element name="Position" minOccurs="0"><xsd:complexType><xsd:sequence>
   <xsd:element name="LatitudeDegrees"><xsd:simpleType><xsd:restriction base="xsd:double">
    <xsd:minInclusive value="-90.0"/><xsd:maxInclusive value="90.0"/>
   </xsd:restriction></xsd:simpleType></xsd:element>
   <xsd:element name="LongitudeDegrees"><xsd:simpleType><xsd:restriction base="xsd:double">
    <xsd:minInclusive value="-180.0"/><xsd:maxExclusive value="180.0"/>
   </xsd:restriction></xsd:simpleType></xsd:element>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="AltitudeMeters" type="xsd:double" minOccurs="0"/>
  <xsd:element name="DistanceMeters" type="xsd:double" minOccurs="0"/>
  <xsd:element name="HeartRateBpm" minOccurs="0"><xsd:complexType><xsd:sequence>
   <xsd:element name="Value"><xsd:simpleType><xsd:restriction base="xsd:unsignedByte">
    <xsd:minInclusive value="1"/>
   </xsd:restriction></xsd:simpleType></xsd:element>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="Cadence" minOccurs="0"><xsd:simpleType>
   <xsd:restriction base="xsd:unsignedByte"><xsd:maxInclusive value="254"/></xsd:restriction>
  </xsd:simpleType></xsd:element>
  <xsd:element name="Extensions" minOccurs="0"><xsd:complexType><xsd:sequence>
   <xsd:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
  </xsd:sequence></xsd:complexType></xsd:element>
 </xsd:sequence></xsd:complexType>
</xsd:schema>"""

TCX_TPX_XSD: Final = """<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  targetNamespace="http://www.garmin.com/xmlschemas/ActivityExtension/v2"
  elementFormDefault="qualified">
 <xsd:element name="TPX"><xsd:complexType><xsd:sequence>
  <xsd:element name="Speed" type="xsd:double" minOccurs="0"/>
  <xsd:element name="RunCadence" type="xsd:unsignedByte" minOccurs="0"/>
  <xsd:element name="Watts" type="xsd:unsignedShort" minOccurs="0"/>
 </xsd:sequence></xsd:complexType></xsd:element>
</xsd:schema>"""


def schema(folder: Path, main: str, extension: str) -> etree.XMLSchema:
    (folder / "tpx.xsd").write_text(extension)
    (folder / "main.xsd").write_text(main)
    return etree.XMLSchema(etree.parse(str(folder / "main.xsd")))


def assert_valid(xsd: etree.XMLSchema, document: etree._Element) -> None:
    assert xsd.validate(document), str(xsd.error_log)


@pytest.mark.parametrize("ride", ["outdoor", "gappy"])
def test_gpx_is_valid_gpx_1_1_apart_from_stravas_power_element(ride: str, tmp_path: Path) -> None:
    data = export_activity(RIDES[ride](), fmt="gpx", name="n", description="d", sport="cycling")
    document = etree.fromstring(data)
    powers = document.findall(f".//{{{GPX_NS}}}extensions/{{{GPX_NS}}}power")
    assert powers, "expected Strava's <power> in the GPX namespace"
    for power in powers:  # GPX 1.1 wants extensions from another namespace: a known deviation
        parent = power.getparent()
        assert parent is not None
        parent.remove(power)
    assert_valid(schema(tmp_path, GPX_XSD, GPX_TPX_XSD), document)


@pytest.mark.parametrize("ride", sorted(RIDES))
def test_tcx_is_valid_training_center_database_v2(ride: str, tmp_path: Path) -> None:
    laps = (
        Lap(START_S, START_S + 30),
        Lap(START_S + 30, START_S + 90),
        Lap(START_S + 1e6, START_S + 2e6),
    )
    data = export_activity(RIDES[ride](), fmt="tcx", name="n", sport="cycling", laps=laps)
    assert_valid(schema(tmp_path, TCX_XSD, TCX_TPX_XSD), etree.fromstring(data))


def test_schema_subsets_catch_misordered_elements(tmp_path: Path) -> None:
    data = export_activity(make_outdoor_ride(3), fmt="tcx")
    swapped = data.replace(b"<Time>", b"<Cadence>1</Cadence><Time>", 1)
    xsd = schema(tmp_path, TCX_XSD, TCX_TPX_XSD)
    assert not xsd.validate(etree.fromstring(swapped))


# --- random streams ------------------------------------------------------------------------------

SOME_VALUE: Final = st.one_of(
    st.floats(-1e4, 1e4),
    st.just(float("nan")),
    st.floats(allow_nan=True, allow_infinity=True),
)
FIT_TIME: Final = st.one_of(st.floats(9.0e8, 4.2e9), st.just(float("nan")))  # 1998 to 2103
ANY_TIME: Final = st.floats(allow_nan=True, allow_infinity=True)
SOME_DEGREES: Final = st.one_of(st.floats(-181, 181), st.just(float("nan")))


@st.composite
def random_streams(draw: st.DrawFn) -> dict[str, FloatArray]:
    count = draw(st.integers(0, 300))
    keys = draw(st.sets(st.sampled_from(STREAM_KEYS)))
    # Mostly times every format can hold (or none), sometimes anything at all.
    times = draw(st.sampled_from([FIT_TIME, FIT_TIME, FIT_TIME, ANY_TIME]))
    elements = {"time_s": times, "lat_deg": SOME_DEGREES, "lon_deg": SOME_DEGREES}
    return {
        key: draw(hnp.arrays(np.float64, count, elements=elements.get(key, SOME_VALUE)))
        for key in keys
    }


@settings(max_examples=60, deadline=None)
@given(streams=random_streams(), fmt=st.sampled_from(FORMATS))
def test_random_streams_export_or_raise_export_error(
    streams: dict[str, FloatArray], fmt: ExportFormat
) -> None:
    try:
        data = export_activity(streams, fmt=fmt, started_at=None)
    except ExportError:
        return
    if fmt == "fit":
        sdk_messages(data)
    else:
        etree.fromstring(data)  # well-formed, or this raises


# --- the corpus ----------------------------------------------------------------------------------


def corpus_file(folder: str, name: str) -> bytes:
    path = CORPUS / folder / name
    if not CORPUS.is_dir():
        pytest.skip(MISSING)
    return path.read_bytes()


CORPUS_RIDES: Final = [
    ("fit", "fitparse__garmin-edge-820-bike.fit"),
    ("fit", "fitparse__sample-activity-indoor-trainer.fit"),
    ("gpx", "sweatpy__activity_5039744860.gpx"),
    ("gpx", "gpsbabel__gpx_subsecond-sample.gpx"),
    ("gpx", "gpxpy__cerknicko-without-times.gpx"),
    ("tcx", "sweatpy__activity_5039744860.tcx"),
]


@pytest.mark.corpus
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("folder", "name"), CORPUS_RIDES)
def test_corpus_rides_survive_a_round_trip(
    folder: str, name: str, fmt: ExportFormat, tmp_path: Path
) -> None:
    data = corpus_file(folder, name)
    if folder == "fit":
        streams = fitdecode_streams(data)
    elif folder == "gpx":
        streams = gpxpy_streams(data)
    else:
        streams = tcxreader_streams(data, tmp_path)
    streams = present_streams(streams)
    assert streams, f"the peer reader found no points in {name}"
    export_and_compare(streams, fmt, tmp_path)


def test_fit_record_timestamps_are_cut_to_whole_seconds() -> None:
    streams = make_outdoor_ride(4, time_s=START_S + np.array([0.0, 0.999, 1.5, 2.0]))
    times = fitdecode_streams(export_activity(streams, fmt="fit"))["time_s"]
    assert times.tolist() == [START_S, START_S, START_S + 1, START_S + 2]
    started = datetime.fromtimestamp(START_S, UTC) + timedelta(seconds=0.999)
    session = sdk_messages(export_activity(streams, fmt="fit", started_at=started))["session_mesgs"]
    assert session[0]["start_time"] == datetime.fromtimestamp(START_S, UTC)


def _fit_summaries(data: bytes) -> dict[str, dict[str, Any]]:
    """The lap, session and activity messages of a FIT file (the last of each), by name."""
    found: dict[str, dict[str, Any]] = {}
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name in (
                "lap",
                "session",
                "activity",
            ):
                found[frame.name] = {field.name: field.value for field in frame.fields}
    return found


def test_fit_timer_time_is_the_moving_time_and_the_climb_is_the_rides() -> None:
    streams = make_outdoor_ride()
    totals = RideTotals(timer_s=1234.5, ascent_m=321.4, descent_m=319.6)
    summaries = _fit_summaries(export_activity(streams, fmt="fit", totals=totals))
    for name in ("lap", "session"):
        message = summaries[name]
        assert message["total_timer_time"] == pytest.approx(1234.5), name
        assert message["total_elapsed_time"] != pytest.approx(1234.5), name
        assert (message["total_ascent"], message["total_descent"]) == (321, 320), name
    assert summaries["activity"]["total_timer_time"] == pytest.approx(1234.5)


def test_fit_without_totals_times_the_elapsed_time_and_claims_no_climb() -> None:
    summaries = _fit_summaries(export_activity(make_outdoor_ride(), fmt="fit"))
    session = summaries["session"]
    assert session["total_timer_time"] == pytest.approx(session["total_elapsed_time"])
    assert session.get("total_ascent") is None and session.get("total_descent") is None


@pytest.mark.parametrize("distance_m", [0.0, 1234.5])
def test_fit_and_tcx_of_a_ride_without_distance_stream_carry_its_total(distance_m: float) -> None:
    start = datetime(2024, 5, 1, 8, tzinfo=UTC)
    streams = {"time_s": start.timestamp() + np.arange(60.0), "power_w": np.full(60, 200.0)}
    totals = RideTotals(distance_m=distance_m)
    fit = export_activity(streams, fmt="fit", started_at=start, totals=totals)
    with fitdecode.FitReader(io.BytesIO(fit)) as reader:
        [session] = [
            f for f in reader if isinstance(f, fitdecode.FitDataMessage) and f.name == "session"
        ]
    assert session.get_value("total_distance") == pytest.approx(distance_m)
    tcx = etree.fromstring(export_activity(streams, fmt="tcx", started_at=start, totals=totals))
    assert float(tcx.findtext(".//{*}Lap/{*}DistanceMeters") or "nan") == distance_m


def test_gpx_of_a_ride_without_distance_stream_states_its_total() -> None:
    streams = {"lat_deg": np.array([45.0, 45.0]), "lon_deg": np.array([7.0, 7.0])}
    gpx = export_activity(streams, fmt="gpx", totals=RideTotals(distance_m=0.0))
    stats = "{http://www.garmin.com/xmlschemas/TrackStatsExtension/v1}"
    found = etree.fromstring(gpx).findtext(f".//{stats}TrackStatsExtension/{stats}Distance")
    assert float(found or "nan") == 0.0
