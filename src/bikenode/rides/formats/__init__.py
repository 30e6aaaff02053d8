"""One reader per file format behind one function: bytes in, ParsedActivity out."""

from __future__ import annotations

from bikenode.rides.formats.activity import (
    MAX_POINTS_PER_ACTIVITY,
    STREAM_KEYS,
    Lap,
    NotAnActivity,
    ParsedActivity,
    ParseError,
    TooManyPoints,
    check_point_count,
)

__all__ = [
    "MAX_POINTS_PER_ACTIVITY",
    "STREAM_KEYS",
    "Lap",
    "NotAnActivity",
    "ParseError",
    "ParsedActivity",
    "TooManyPoints",
    "detect_format",
    "parse_activity",
]


def detect_format(data: bytes, filename: str = "") -> str:
    """Return "fit", "gpx" or "tcx" from the content (the file name only breaks ties)."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    head = data[:4096].lower()
    if b"<trainingcenterdatabase" in head:
        return "tcx"
    if b"<gpx" in head:
        return "gpx"
    name = filename.lower()
    for suffix in ("fit", "gpx", "tcx"):
        if name.endswith("." + suffix):
            return suffix
    raise ParseError(
        f"expected a FIT, GPX or TCX file, got {len(data)} bytes starting {data[:16]!r}"
    )


# A point's element name in each XML format: it appears once (<trkpt .../>) or twice (opening
# and closing tag) per point, so half the count is a lower bound of the points, known at once.
_XML_POINT_TAGS = {"gpx": b"trkpt", "tcx": b"Trackpoint"}


def parse_activity(
    data: bytes, filename: str = "", *, max_points: int = MAX_POINTS_PER_ACTIVITY
) -> ParsedActivity:
    """Decode one uncompressed activity file of any supported format.

    Raises TooManyPoints (a ParseError) past max_points, before building the streams.
    """
    fmt = detect_format(data, filename)
    if fmt == "fit":
        from bikenode.rides.formats.fit import parse_fit

        parsed = parse_fit(data, max_points=max_points)
    else:
        check_point_count(data.count(_XML_POINT_TAGS[fmt]) // 2, max_points, at_least=True)
        if fmt == "gpx":
            from bikenode.rides.formats.gpx import parse_gpx

            parsed = parse_gpx(data)
        else:
            from bikenode.rides.formats.tcx import parse_tcx

            parsed = parse_tcx(data)
    check_point_count(parsed.point_count, max_points)
    return parsed
