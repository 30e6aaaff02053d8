"""Write a ride as a TCX (Garmin TrainingCenterDatabase v2) activity."""

from __future__ import annotations

from typing import Final

import numpy as np

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.export import (
    BoolArray,
    LapSpan,
    RideExport,
    Texts,
    any_present,
    assemble,
    degree_texts,
    element,
    fixed_texts,
    has_position,
    lap_spans,
    optional,
    speed_texts,
    stream_element,
    time_text,
    time_texts,
    timed_points,
    whole_texts,
    xml_text,
)

_HEAD: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
    ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2'
    ' http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd">\n'
    "<Activities>\n"
)
_TAIL: Final = "</Activities>\n</TrainingCenterDatabase>\n"
# TCX knows three sports; everything else is "Other".
_SPORTS: Final = {"cycling": "Biking", "e_biking": "Biking", "running": "Running"}


def write_tcx(ride: RideExport) -> bytes:
    """Return the ride as TCX bytes: one Activity with one Lap, or one per lap given.

    TCX requires a time on every trackpoint, so points without one are left out; a point
    without a position (an indoor ride) simply has no <Position>. Raises ExportError when
    no point has a time.
    """
    index = timed_points(ride, "TCX")
    streams = {key: values[index] for key, values in ride.streams.items()}
    spans = lap_spans(ride, index)
    points = assemble(_trackpoints(streams, has_position(ride)[index]))
    parts = [_HEAD.encode(), _activity_head(ride, spans).encode()]
    for span in spans:
        parts += _lap(span, points)
    parts.append((_notes(ride) + "</Activity>\n" + _TAIL).encode())
    return b"".join(parts)


def _activity_head(ride: RideExport, spans: list[LapSpan]) -> str:
    sport = _SPORTS.get(ride.sport or "", "Other")
    start = ride.started_at.timestamp() if ride.started_at else spans[0].start_s
    return f'<Activity Sport="{sport}">\n<Id>{time_text(start)}</Id>\n'


def _lap(span: LapSpan, points: list[bytes]) -> list[bytes]:
    head = (
        f'<Lap StartTime="{time_text(span.start_s)}">\n'
        f"<TotalTimeSeconds>{span.elapsed_s:.3f}</TotalTimeSeconds>\n"
        f"<DistanceMeters>{span.distance_m or 0.0:.2f}</DistanceMeters>\n"
        # Calories, Intensity and TriggerMethod are required; we know no better values.
        "<Calories>0</Calories>\n<Intensity>Active</Intensity>\n"
        "<TriggerMethod>Manual</TriggerMethod>\n"
    )
    if span.stop == span.start:  # a Track must hold at least one Trackpoint
        return [(head + "</Lap>\n").encode()]
    return [(head + "<Track>\n").encode(), *points[span.start : span.stop], b"</Track>\n</Lap>\n"]


def _notes(ride: RideExport) -> str:
    text = "\n\n".join(t for t in (ride.name, ride.description) if t)
    return f"<Notes>{xml_text(text)}</Notes>\n" if text else ""


def _trackpoints(streams: dict[str, FloatArray], positioned: BoolArray) -> list[Texts]:
    count = positioned.size
    return [
        np.full(count, b"<Trackpoint>"),
        element(time_texts(streams["time_s"]), "Time"),
        *_position(streams, positioned),
        *stream_element(streams, "elevation_m", lambda v: fixed_texts(v, 2), "AltitudeMeters"),
        *stream_element(streams, "distance_m", lambda v: fixed_texts(v, 2), "DistanceMeters"),
        *stream_element(streams, "hr_bpm", lambda v: whole_texts(v, 1, 255), "HeartRateBpm/Value"),
        *stream_element(streams, "cadence_rpm", lambda v: whole_texts(v, 0, 254), "Cadence"),
        *_extensions(streams, count),
        np.full(count, b"</Trackpoint>\n"),
    ]


def _position(streams: dict[str, FloatArray], positioned: BoolArray) -> list[Texts]:
    if not positioned.any():
        return []
    return [
        optional(b"<Position><LatitudeDegrees>", positioned),
        degree_texts(streams["lat_deg"]),
        optional(b"</LatitudeDegrees><LongitudeDegrees>", positioned),
        degree_texts(streams["lon_deg"], longitude=True),
        optional(b"</LongitudeDegrees></Position>", positioned),
    ]


def _extensions(streams: dict[str, FloatArray], count: int) -> list[Texts]:
    inner = [
        *stream_element(streams, "speed_mps", speed_texts, "ns3:Speed"),
        *stream_element(streams, "power_w", lambda v: whole_texts(v, 0, 65535), "ns3:Watts"),
    ]
    used = any_present(inner, count)
    return [
        optional(b"<Extensions><ns3:TPX>", used),
        *inner,
        optional(b"</ns3:TPX></Extensions>", used),
    ]
