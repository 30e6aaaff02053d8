"""Write a ride as GPX 1.1 with Garmin's TrackPointExtension v2 and Strava's power element."""

from __future__ import annotations

from typing import Final

import numpy as np

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.export import (
    ExportError,
    RideExport,
    Texts,
    any_present,
    assemble,
    degree_texts,
    fixed_texts,
    has_position,
    optional,
    speed_texts,
    stream_element,
    time_text,
    time_texts,
    total_distance_m,
    whole_texts,
    xml_text,
)

_TPX: Final = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
# Garmin's track summary (as Garmin devices and OpenTracks write it): GPX has no field of its
# own for the ride's distance, timer time or climb, and a device-measured distance is not the
# length of the track's points.
_STATS: Final = "http://www.garmin.com/xmlschemas/TrackStatsExtension/v1"
_HEAD: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx version="1.1" creator="BikeNode" xmlns="http://www.topografix.com/GPX/1/1"'
    f' xmlns:gpxtpx="{_TPX}" xmlns:gpxtrkx="{_STATS}"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://www.topografix.com/GPX/1/1'
    " http://www.topografix.com/GPX/1/1/gpx.xsd"
    f' {_TPX} https://www8.garmin.com/xmlschemas/TrackPointExtensionv2.xsd">\n'
)


def write_gpx(ride: RideExport) -> bytes:
    """Return the ride as GPX 1.1 bytes: one track with one segment.

    GPX requires lat/lon on every point, so points without a position are left out; points
    without a time or an elevation just omit that element. Raises ExportError when no point
    has a position (an indoor ride has nothing GPX can hold).
    """
    keep = np.flatnonzero(has_position(ride))
    if keep.size == 0:
        raise ExportError(
            f"expected points with a position for a GPX export, got {ride.point_count} points"
            " and none with one (an indoor ride? export it as TCX or FIT)"
        )
    streams = {key: values[keep] for key, values in ride.streams.items()}
    head = _HEAD + _metadata(ride) + "<trk>\n" + _track_names(ride) + _track_stats(ride)
    head += "<trkseg>\n"
    tail = "</trkseg>\n</trk>\n</gpx>\n"
    return b"".join([head.encode(), *assemble(_points(streams)), tail.encode()])


def _metadata(ride: RideExport) -> str:
    time = time_text(_start_s(ride))
    inner = _names(ride) + (f"<time>{time}</time>\n" if time else "")
    return f"<metadata>\n{inner}</metadata>\n" if inner else ""


def _start_s(ride: RideExport) -> float:
    if ride.started_at is not None:
        return ride.started_at.timestamp()
    times = ride.streams.get("time_s", np.zeros(0))
    known = times[~np.isnan(times)]
    return float(known.min()) if known.size else np.nan


def _names(ride: RideExport) -> str:
    name = f"<name>{xml_text(ride.name)}</name>\n" if ride.name else ""
    desc = f"<desc>{xml_text(ride.description)}</desc>\n" if ride.description else ""
    return name + desc


def _track_names(ride: RideExport) -> str:
    # Strava and others read the sport from <type> in the same lower-case words we use.
    kind = f"<type>{xml_text(ride.sport)}</type>\n" if ride.sport else ""
    return _names(ride) + kind


def _track_stats(ride: RideExport) -> str:
    """The track's TrackStatsExtension: distance (m), timer and moving time (s), climb (m)."""
    totals = ride.totals
    stats = (
        ("Distance", total_distance_m(ride)),
        ("TimerTime", totals.timer_s),
        ("MovingTime", totals.timer_s),
        ("Ascent", totals.ascent_m),
        ("Descent", totals.descent_m),
    )
    inner = "".join(
        f"<gpxtrkx:{name}>{value:.2f}</gpxtrkx:{name}>\n"
        for name, value in stats
        if value is not None
    )
    if not inner:
        return ""
    return f"<extensions>\n<gpxtrkx:TrackStatsExtension>\n{inner}</gpxtrkx:TrackStatsExtension>\n</extensions>\n"


def _points(streams: dict[str, FloatArray]) -> list[Texts]:
    count = streams["lat_deg"].size
    return [
        np.full(count, b'<trkpt lat="'),
        degree_texts(streams["lat_deg"]),
        np.full(count, b'" lon="'),
        degree_texts(streams["lon_deg"], longitude=True),
        np.full(count, b'">'),
        *stream_element(streams, "elevation_m", lambda v: fixed_texts(v, 2), "ele"),
        *stream_element(streams, "time_s", time_texts, "time"),
        *_extensions(streams),
        np.full(count, b"</trkpt>\n"),
    ]


def _extensions(streams: dict[str, FloatArray]) -> list[Texts]:
    # The order TrackPointExtension v2 prescribes: atemp, hr, cad, speed.
    garmin = [
        *stream_element(streams, "temperature_c", lambda v: fixed_texts(v, 1), "gpxtpx:atemp"),
        *stream_element(streams, "hr_bpm", lambda v: whole_texts(v, 0, 255), "gpxtpx:hr"),
        *stream_element(streams, "cadence_rpm", lambda v: whole_texts(v, 0, 254), "gpxtpx:cad"),
        *stream_element(streams, "speed_mps", speed_texts, "gpxtpx:speed"),
    ]
    # Strava's <power> is in the GPX namespace: that is how Strava and the tools following it
    # write and read it, although GPX 1.1 strictly wants extensions from another namespace.
    power = stream_element(streams, "power_w", lambda v: whole_texts(v, 0, 65535), "power")
    in_garmin = any_present(garmin, streams["lat_deg"].size)
    in_extensions = in_garmin | any_present(power, in_garmin.size)
    return [
        optional(b"<extensions>", in_extensions),
        *power,
        optional(b"<gpxtpx:TrackPointExtension>", in_garmin),
        *garmin,
        optional(b"</gpxtpx:TrackPointExtension>", in_garmin),
        optional(b"</extensions>", in_extensions),
    ]
