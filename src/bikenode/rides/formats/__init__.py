"""One reader per file format behind one function: bytes in, ParsedActivity out."""

from __future__ import annotations

from bikenode.rides.formats.activity import (
    STREAM_KEYS,
    Lap,
    NotAnActivity,
    ParsedActivity,
    ParseError,
)

__all__ = [
    "STREAM_KEYS",
    "Lap",
    "NotAnActivity",
    "ParseError",
    "ParsedActivity",
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


def parse_activity(data: bytes, filename: str = "") -> ParsedActivity:
    """Decode one uncompressed activity file of any supported format."""
    fmt = detect_format(data, filename)
    if fmt == "fit":
        from bikenode.rides.formats.fit import parse_fit

        return parse_fit(data)
    if fmt == "gpx":
        from bikenode.rides.formats.gpx import parse_gpx

        return parse_gpx(data)
    from bikenode.rides.formats.tcx import parse_tcx

    return parse_tcx(data)
