"""The GPX and TCX readers on every GPX and TCX file of the shared corpus, against peers.

GPX, against gpxpy: a point is a track point of any track and segment; a file without track
points is read from its route, and one with neither is not an activity. Point counts must be
equal, coordinates, elevations and times equal point by point, and our distance along the
track within 0.5% of gpxpy's length_2d over the same points (impossible coordinates, which we
blank, are left out of both).

TCX, against tcxreader (only_gps=False): counts, times and values point by point. tcxreader
only looks at Activities/Activity, so it finds no trackpoints in a MultiSportSession file; there
the count comes from a plain lxml walk of every Activity's trackpoints. Our last distance_m must
be within 0.5% of the last trackpoint DistanceMeters in the file, read with plain lxml.

Every file must read the same through the byte-level fast path and the lxml tree path.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import warnings
from datetime import UTC
from typing import Any

import numpy as np
import pytest

from bikenode.rides.formats import NotAnActivity, ParsedActivity, ParseError
from bikenode.rides.formats.gpx import parse_gpx
from bikenode.rides.formats.tcx import parse_tcx
from tests.corpus import CORPUS, MISSING

TCD = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=MISSING),
]


def _entries() -> list[dict[str, str]]:
    if not CORPUS.is_dir():
        return []
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [
        e
        for e in manifest
        if e["file"].startswith(("gpx/", "tcx/", "bad/"))
        and e["file"].lower().removesuffix(".gz").endswith((".gpx", ".tcx"))
    ]


ENTRIES = _entries()


def _names(expect: str, suffix: str = "") -> list[str]:
    return [
        e["file"]
        for e in ENTRIES
        if e["expect"] == expect and e["file"].lower().removesuffix(".gz").endswith(suffix)
    ]


def _read(name: str) -> bytes:
    data = (CORPUS / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _parse(name: str, *, fast: bool | None = None) -> ParsedActivity:
    reader = parse_tcx if name.lower().removesuffix(".gz").endswith(".tcx") else parse_gpx
    return reader(_read(name), fast=fast)


def _distance_m(lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any]) -> float:
    """Great-circle length through the points with coordinates (haversine, mean radius)."""
    keep = np.isfinite(lat) & np.isfinite(lon)
    phi, lam = np.radians(lat[keep]), np.radians(lon[keep])
    a = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lam) / 2) ** 2
    )
    return float(np.sum(2 * 6371008.8 * np.arcsin(np.sqrt(a))))


def test_the_corpus_holds_gpx_and_tcx_files() -> None:
    assert len(_names("ok", ".gpx")) >= 50 and len(_names("ok", ".tcx")) >= 20


# --- GPX against gpxpy ---------------------------------------------------------------------------


@functools.cache
def _gpxpy_points(name: str) -> list[Any]:
    import gpxpy

    gpx = gpxpy.parse(_read(name).decode("utf-8-sig"))
    track = [p for t in gpx.tracks for s in t.segments for p in s.points]
    return track or [p for r in gpx.routes for p in r.points]


@pytest.mark.parametrize("name", _names("ok", ".gpx"))
def test_gpx_reads_the_same_points_and_distance_as_gpxpy(name: str) -> None:
    from gpxpy.geo import length_2d

    points = _gpxpy_points(name)
    if not points:  # waypoints only, or nothing: not an activity
        with pytest.raises(NotAnActivity):
            _parse(name)
        return
    ride = _parse(name)
    assert ride.point_count == len(points)
    lat = np.array([p.latitude for p in points], dtype=float)
    lon = np.array([p.longitude for p in points], dtype=float)
    valid = (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    np.testing.assert_array_equal(ride.streams["lat_deg"], np.where(valid, lat, np.nan))
    np.testing.assert_array_equal(ride.streams["lon_deg"], np.where(valid, lon, np.nan))
    elevation = np.array([np.nan if p.elevation is None else p.elevation for p in points])
    np.testing.assert_array_equal(
        ride.streams.get("elevation_m", np.full(len(points), np.nan)), elevation
    )
    times = np.array([np.nan if p.time is None else _timestamp(p.time) for p in points])
    np.testing.assert_allclose(ride.streams["time_s"], times, rtol=0, atol=1e-6)
    ours = _distance_m(ride.streams["lat_deg"], ride.streams["lon_deg"])
    theirs = length_2d([p for p, ok in zip(points, valid, strict=True) if ok])
    assert ours == pytest.approx(theirs, rel=0.005, abs=0.5)


def _timestamp(moment: Any) -> float:
    return float((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


# --- TCX against tcxreader -----------------------------------------------------------------------


@functools.cache
def _tcxreader_points(name: str) -> list[Any]:
    from tcxreader.tcxreader import TCXReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tcxreader's own numpy warnings on empty laps
        return list(TCXReader().read(io.BytesIO(_read(name)), only_gps=False).trackpoints)


def _lxml_trackpoints(name: str) -> list[Any]:
    from lxml import etree

    root = etree.fromstring(_read(name), etree.XMLParser(resolve_entities=False, no_network=True))
    return [
        tp
        for activity in root.iter(f"{TCD}Activity")
        for tp in activity.iterfind(f"{TCD}Lap/{TCD}Track/{TCD}Trackpoint")
    ]


@pytest.mark.parametrize("name", _names("ok", ".tcx"))
def test_tcx_reads_the_same_trackpoints_as_tcxreader(name: str) -> None:
    ride, points = _parse(name), _tcxreader_points(name)
    if not points:  # tcxreader misses MultiSportSession activities: count them with lxml
        assert ride.point_count == len(_lxml_trackpoints(name)) > 0
        return
    assert ride.point_count == len(points)
    s = ride.streams
    np.testing.assert_allclose(s["time_s"], [_timestamp(p.time) for p in points], rtol=0, atol=1e-6)
    for ours, attribute in [
        ("lat_deg", "latitude"),
        ("lon_deg", "longitude"),
        ("elevation_m", "elevation"),
        ("distance_m", "distance"),
    ]:
        theirs = np.array(
            [np.nan if getattr(p, attribute) is None else getattr(p, attribute) for p in points]
        )
        np.testing.assert_array_equal(
            s.get(ours, np.full(len(points), np.nan)), theirs, err_msg=ours
        )
    for ours, attribute in [("hr_bpm", "hr_value"), ("cadence_rpm", "cadence")]:
        theirs = np.array(
            [np.nan if getattr(p, attribute) is None else getattr(p, attribute) for p in points]
        )
        present = np.isfinite(theirs)  # tcxreader truncates to int and skips RunCadence
        np.testing.assert_array_equal(
            np.trunc(s[ours][present]) if present.any() else [], theirs[present]
        )
    for ours, key in [("speed_mps", "Speed"), ("power_w", "Watts")]:
        theirs = np.array(
            [np.nan if p.tpx_ext.get(key) is None else p.tpx_ext[key] for p in points]
        )
        present = np.isfinite(theirs)  # tcxreader only looks inside TPX; COROS writes no TPX
        values = s.get(ours, np.full(len(points), np.nan))
        np.testing.assert_array_equal(values[present], theirs[present], err_msg=ours)


@pytest.mark.parametrize("name", _names("ok", ".tcx"))
def test_tcx_last_distance_is_within_half_a_percent_of_the_file(name: str) -> None:
    texts = [tp.findtext(f"{TCD}DistanceMeters") for tp in _lxml_trackpoints(name)]
    last = next((float(t) for t in reversed(texts) if t), None)
    ride = _parse(name)
    distance = ride.streams.get("distance_m", np.array([]))
    finite = distance[np.isfinite(distance)]
    if last is None:
        assert finite.size == 0
    else:
        assert finite[-1] == pytest.approx(last, rel=0.005)


# --- every file: expectations, and the fast path against the tree --------------------------------


@pytest.mark.parametrize("name", [e["file"] for e in ENTRIES])
def test_fast_and_tree_readers_agree_on_every_corpus_file(name: str) -> None:
    outcomes: list[Any] = []
    for fast in (True, False):
        try:
            outcomes.append(_parse(name, fast=fast))
        except ParseError as err:
            outcomes.append((type(err), str(err)))
    fast_ride, tree_ride = outcomes
    if not isinstance(fast_ride, ParsedActivity):
        assert fast_ride == tree_ride
        return
    assert isinstance(tree_ride, ParsedActivity)
    assert sorted(fast_ride.streams) == sorted(tree_ride.streams)
    for key, values in fast_ride.streams.items():
        np.testing.assert_array_equal(values, tree_ride.streams[key], err_msg=key)
    assert (fast_ride.laps, fast_ride.pauses, fast_ride.warnings) == (
        tree_ride.laps,
        tree_ride.pauses,
        tree_ride.warnings,
    )
    assert (fast_ride.name, fast_ride.sport, fast_ride.device) == (
        tree_ride.name,
        tree_ride.sport,
        tree_ride.device,
    )


@pytest.mark.parametrize("name", _names("non-activity"))
def test_non_activity_files_raise_not_an_activity(name: str) -> None:
    with pytest.raises(NotAnActivity, match="expected"):
        _parse(name)


@pytest.mark.parametrize("name", _names("reject"))
def test_reject_files_raise_a_parse_error_with_a_reason(name: str) -> None:
    with pytest.raises(ParseError, match=r"expected .+, got .+") as caught:
        _parse(name)
    assert not isinstance(caught.value, NotAnActivity)


@pytest.mark.parametrize("name", _names("tolerant"))
def test_tolerant_files_parse_with_warnings_or_raise_a_parse_error(name: str) -> None:
    try:
        ride = _parse(name)
    except ParseError as err:
        assert "expected" in str(err)
    else:
        assert ride.warnings and ride.point_count > 0
