"""Synthetic activity files for tests and benchmarks that need many distinct rides."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def synthetic_gpx(
    start: datetime,
    *,
    points: int = 600,
    seed: int = 0,
    power_w: Callable[[int], float] | None = None,
) -> bytes:
    """A GPX ride of `points` one-second samples on a gentle loop, with heart rate (and power
    power_w(i) at the i-th second, if given)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="bikenode-tests" xmlns="http://www.topografix.com/GPX/1/1"'
        ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">',
        f"<trk><name>Synthetic ride {seed}</name><type>cycling</type><trkseg>",
    ]
    lat0, lon0 = 45.0 + (seed % 50) * 0.01, 6.0 + (seed // 50) * 0.01
    for i in range(points):
        angle = i / points * 2 * math.pi
        lat = lat0 + 0.02 * math.sin(angle)
        lon = lon0 + 0.03 * (1 - math.cos(angle))
        when = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{300 + 20 * math.sin(3 * angle):.1f}</ele>'
            f"<time>{when}</time><extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{120 + i % 30}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
            + ("" if power_w is None else f"<power>{power_w(i):.0f}</power>")
            + "</extensions></trkpt>"
        )
    lines.append("</trkseg></trk></gpx>")
    return "\n".join(lines).encode()


def synthetic_archive(count: int, *, points: int = 600) -> bytes:
    """A zip of `count` distinct synthetic rides, one a day from 2024-01-01."""
    buffer = io.BytesIO()
    first = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(count):
            archive.writestr(
                f"rides/{n:05d}.gpx",
                synthetic_gpx(first + timedelta(days=n), points=points, seed=n),
            )
    return buffer.getvalue()


STRAVA_TYPES = ["Virtual Ride", "E-Bike Ride", "Gravel Ride", "Mountain Bike Ride", "Ride", "Ride"]


def strava_archive() -> bytes:
    """Six Strava activities, one of each type above; the last two rides are commutes."""
    rows = ["Activity ID,Activity Date,Activity Name,Activity Type,Commute,Filename"]
    members: dict[str, bytes] = {}
    start = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    for n, kind in enumerate(STRAVA_TYPES):
        when = start + timedelta(days=n)
        commute = "true" if n >= 4 else "false"
        rows.append(
            f'{n},"{when:%b} {when.day}, 2024, 7:00:00 AM",Ride {n},{kind},{commute},'
            f"activities/{n}.gpx"
        )
        members[f"activities/{n}.gpx"] = synthetic_gpx(when, points=200, seed=n)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("activities.csv", "\n".join(rows) + "\n")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
