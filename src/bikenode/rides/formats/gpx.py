"""GPX 1.0 / 1.1 reader: every track point in document order (or the route, without a track)."""

from __future__ import annotations

import numpy as np
from lxml import etree

from bikenode.rides.formats.activity import NotAnActivity, ParsedActivity
from bikenode.rides.formats.xml import (
    Field,
    PointSpec,
    build_streams,
    container_pauses,
    first_time,
    namespace_of,
    read_document,
    tree_points,
)

__all__ = ["ROUTE", "TRACK", "parse_gpx", "segment_starts"]

# Extensions are matched by local name, so gpxtpx:, ns3:, gpxdata:, pwr: or no prefix all work.
_FIELDS = (
    Field("time_s", ("time",)),
    Field("elevation_m", ("ele",)),
    Field("speed_mps", ("speed",), parent=None),
    Field("hr_bpm", ("hr", "heartrate"), parent=None),
    Field("cadence_rpm", ("cad", "cadence"), parent=None),
    Field("temperature_c", ("atemp", "temp", "Temperature"), parent=None),
    Field("power_w", ("power", "PowerInWatts"), parent=None),
)
_COORDINATES = (("lat", "lat_deg"), ("lon", "lon_deg"))
TRACK = PointSpec(
    "GPX", "gpx", "/{d}gpx/{d}trk/{d}trkseg", "trkseg", "trkpt", _COORDINATES, _FIELDS
)
ROUTE = PointSpec("GPX", "gpx", "/{d}gpx/{d}rte", "rte", "rtept", _COORDINATES, _FIELDS)

# <type> holds free text: "cycling", Garmin's "road_biking", OpenTracks' "mountain biking",
# Strava's numeric codes (1 ride, 9 run). Keywords, tried in order, name the sport.
_STRAVA_CODES = {"1": "cycling", "9": "running"}
_SPORT_WORDS = (
    ("bik", "cycling"),
    ("cycl", "cycling"),
    ("ride", "cycling"),
    ("run", "running"),
    ("walk", "walking"),
    ("hik", "hiking"),
    ("swim", "swimming"),
)


def parse_gpx(data: bytes, *, fast: bool | None = None) -> ParsedActivity:
    """Decode a GPX file (fast: see read_document; tests force each reader to compare them)."""
    doc = read_document(data, TRACK, fast=fast)
    points, where = doc.points, "trk"
    if points.count == 0:
        points, where = tree_points(doc.root, ROUTE), "rte"
    if points.count == 0:
        raise NotAnActivity(
            "expected track or route points in the GPX file, got none"
            f" ({_count(doc.root, 'wpt')} waypoints)"
        )
    streams = build_streams(points.texts, points.count, doc.warnings)
    return ParsedActivity(
        format="gpx",
        streams=streams,
        started_at=first_time(streams["time_s"]),
        sport=_sport(_text(doc.root, f"{{d}}{where}/{{d}}type")),
        name=_text(doc.root, f"{{d}}{where}/{{d}}name", "{d}metadata/{d}name", "{d}name"),
        description=_text(doc.root, f"{{d}}{where}/{{d}}desc", "{d}metadata/{d}desc", "{d}desc"),
        device=(doc.root.get("creator") or "").strip() or None,
        pauses=container_pauses(streams["time_s"], points.sizes, [0] * len(points.sizes)),
        segment_starts=segment_starts(points.sizes),
        warnings=doc.warnings,
    )


def segment_starts(sizes: list[int]) -> list[int]:
    """Index of the first point of every non-empty track segment after the first."""
    if len(sizes) < 2:
        return []
    ends = np.cumsum(sizes)
    starts = np.unique(ends[:-1])
    return [int(start) for start in starts if 0 < start < ends[-1]]


def _text(root: etree._Element, *paths: str) -> str | None:
    """The first non-blank text among paths ({d} stands for the root's namespace)."""
    namespace = namespace_of(root)
    d = f"{{{namespace}}}" if namespace else ""
    for path in paths:
        found = root.findtext(path.format(d=d))
        if found and found.strip():
            return found.strip()
    return None


def _count(root: etree._Element, name: str) -> int:
    namespace = namespace_of(root)
    return len(root.findall(f"{{{namespace}}}{name}" if namespace else name))


def _sport(kind: str | None) -> str | None:
    text = (kind or "").lower()
    return _STRAVA_CODES.get(text) or next((s for w, s in _SPORT_WORDS if w in text), None)
