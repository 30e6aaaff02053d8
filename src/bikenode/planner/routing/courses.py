"""A planned route as files a head unit follows: GPX (route and track), TCX and FIT courses.

Each file carries the whole planned line (routed legs and straight ones) with the distance
along it; TCX and FIT courses also need times, so points are timed at the bike profile's
speed from `start_s`. The FIT file is a course file (file_id type 6) written from scratch:
file_id, course, lap, a timer start event, one record per point, a timer stop event. No I/O.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
from datetime import UTC, datetime
from typing import Final
from xml.sax.saxutils import escape, quoteattr  # nosec B406 (writing XML, not parsing)

from bikenode.errors import InvalidInput
from bikenode.planner.routing.graph import BIKE_SPEED_MPS, EARTH_RADIUS_M
from bikenode.planner.routing.plan import RoutePlan

FIT_EPOCH_S: Final = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CRC_TABLE: Final = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def distances_m(path: list[tuple[float, float]]) -> list[float]:
    """Distance along the path at each point, from 0, in metres."""
    along = [0.0]
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(path):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        along.append(along[-1] + 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a))))
    return along


def gpx_track(name: str, plan: RoutePlan) -> bytes:
    """The planned line as a GPX 1.1 track (one trkseg)."""
    title = _text(name)
    rows = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="BikeNode" xmlns="http://www.topografix.com/GPX/1/1">',
        f"<metadata><name>{title}</name></metadata>",
        f"<trk><name>{title}</name><type>cycling</type><trkseg>",
    ]
    rows.extend(
        f"<trkpt lat={quoteattr(f'{lat:.7f}')} lon={quoteattr(f'{lon:.7f}')}/>"
        for lat, lon in plan.path
    )
    rows.append("</trkseg></trk></gpx>")
    return "\n".join(rows).encode()


def tcx_course(name: str, plan: RoutePlan, *, start_s: float) -> bytes:
    """The planned line as a TCX course, timed at the bike profile's speed."""
    path = plan.path
    _check_path(path)
    along = distances_m(path)
    title = _text(name)[:15] or "Route"  # the TCX schema limits a course name to 15 chars
    first, last = path[0], path[-1]
    rows = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">',
        f"<Courses><Course><Name>{title}</Name>",
        f"<Lap><TotalTimeSeconds>{along[-1] / BIKE_SPEED_MPS:.1f}</TotalTimeSeconds>",
        f"<DistanceMeters>{along[-1]:.1f}</DistanceMeters>",
        f"<BeginPosition>{_position(first)}</BeginPosition>",
        f"<EndPosition>{_position(last)}</EndPosition>",
        "<Intensity>Active</Intensity></Lap><Track>",
    ]
    for point, metres in zip(path, along, strict=True):
        at = datetime.fromtimestamp(start_s + metres / BIKE_SPEED_MPS, UTC)
        rows.append(
            f"<Trackpoint><Time>{at.strftime('%Y-%m-%dT%H:%M:%SZ')}</Time>"
            f"<Position>{_position(point)}</Position>"
            f"<DistanceMeters>{metres:.1f}</DistanceMeters></Trackpoint>"
        )
    rows.append("</Track></Course></Courses></TrainingCenterDatabase>")
    return "\n".join(rows).encode()


def fit_course(name: str, plan: RoutePlan, *, start_s: float) -> bytes:
    """The planned line as a FIT course file, timed at the bike profile's speed."""
    path = plan.path
    _check_path(path)
    along = distances_m(path)
    start = int(start_s) - FIT_EPOCH_S
    end = start + round(along[-1] / BIKE_SPEED_MPS)
    title = name.encode()[:15].decode("utf-8", "ignore").encode() or b"Route"
    body = b"".join(
        [
            _message(0, 0, [(0, 0x00, 6), (1, 0x84, 255), (4, 0x86, start)]),  # file_id: course
            _message(1, 31, [(5, 0x07, title), (4, 0x00, 2)]),  # course: name, sport cycling
            _message(2, 19, _lap(path, along, start, end)),
            _message(3, 21, [(253, 0x86, start), (0, 0x00, 0), (1, 0x00, 0)]),  # timer start
            *(
                _message(4, 20, _record(point, metres, start), define=n == 0)
                for n, (point, metres) in enumerate(zip(path, along, strict=True))
            ),
            _message(3, 21, [(253, 0x86, end), (0, 0x00, 0), (1, 0x00, 9)], define=False),
        ]
    )
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", crc16(header))
    return header + body + struct.pack("<H", crc16(header + body))


Field = tuple[int, int, int | bytes]


def _lap(path: list[tuple[float, float]], along: list[float], start: int, end: int) -> list[Field]:
    (lat0, lon0), (lat1, lon1) = path[0], path[-1]
    timer_ms = (end - start) * 1000
    return [
        (253, 0x86, end), (2, 0x86, start),
        (3, 0x85, _semicircles(lat0)), (4, 0x85, _semicircles(lon0)),
        (5, 0x85, _semicircles(lat1)), (6, 0x85, _semicircles(lon1)),
        (7, 0x86, timer_ms), (8, 0x86, timer_ms), (9, 0x86, round(along[-1] * 100)),
    ]  # fmt: skip


def _record(point: tuple[float, float], metres: float, start: int) -> list[Field]:
    return [
        (253, 0x86, start + round(metres / BIKE_SPEED_MPS)),
        (0, 0x85, _semicircles(point[0])),
        (1, 0x85, _semicircles(point[1])),
        (5, 0x86, round(metres * 100)),
    ]


_FORMATS: Final = {0x00: "B", 0x02: "B", 0x84: "H", 0x85: "i", 0x86: "I"}


def _message(local: int, global_number: int, fields: list[Field], *, define: bool = True) -> bytes:
    """A data message, after its definition message unless `define` is False."""
    sizes = [
        len(v) + 1 if isinstance(v, bytes) else struct.calcsize(_FORMATS[t]) for _, t, v in fields
    ]
    out = b""
    if define:
        out += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_number, len(fields))
        out += b"".join(
            struct.pack("BBB", n, s, t) for (n, t, _), s in zip(fields, sizes, strict=True)
        )
    out += bytes([local])
    for _, kind, value in fields:
        out += (
            value + b"\0" if isinstance(value, bytes) else struct.pack("<" + _FORMATS[kind], value)
        )
    return out


def _semicircles(degrees: float) -> int:
    return max(-(2**31) + 1, min(2**31 - 1, round(degrees * 2**31 / 180)))


def crc16(data: bytes) -> int:
    """The FIT CRC-16 of some bytes."""
    crc = 0
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = _CRC_TABLE[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[nibble]
    return crc


def _position(point: tuple[float, float]) -> str:
    return (
        f"<LatitudeDegrees>{point[0]:.7f}</LatitudeDegrees>"
        f"<LongitudeDegrees>{point[1]:.7f}</LongitudeDegrees>"
    )


def _text(text: str) -> str:
    return escape(_XML_INVALID.sub("", text))


def _check_path(path: list[tuple[float, float]]) -> None:
    """A course needs somewhere to go: a route without points has no line to follow."""
    if not path:
        raise InvalidInput("expected a route with at least one point to export as a course")
