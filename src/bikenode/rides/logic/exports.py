"""The file a viewer downloads: the streams they may see, carrying the figures they are shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.export import ExportError, ExportFormat, RideTotals, export_activity
from bikenode.rides.logic.motion import shown_distance_m

__all__ = ["export_as_shown"]


def export_as_shown(
    streams: dict[str, FloatArray],
    *,
    fmt: ExportFormat,
    started_at: datetime | None,
    distance_m: float | None,
    moving_time_s: float | None,
    elevation_gain_m: float | None,
    summary: Mapping[str, object],
    name: str | None = None,
    description: str | None = None,
    sport: str | None = None,
) -> bytes:
    """Return the ride as a GPX, TCX or FIT file whose start, distance, moving time and climb
    are those its viewer's ride page shows.

    ``streams`` and the figures are what that viewer sees (cut by privacy zones for others).
    A ride with no date (``started_at`` None) keeps its times from a device's power-up, or
    none: written as dates they would invent one, so its GPX has untimed points and TCX and
    FIT, which need dated points, refuse it.

    Raises ExportError when the format cannot hold the ride (GPX needs positions; TCX and FIT
    need times and a date).
    """
    times = streams.get("time_s")
    if started_at is None and times is not None and np.isfinite(times).any():
        if fmt != "gpx":
            raise ExportError(
                f"expected a ride with a date for a {fmt} export, got one whose start is "
                "unknown (its times count from the device's power-up)"
            )
        streams = {key: values for key, values in streams.items() if key != "time_s"}
    # Every format carries the distance the ride page shows, GPS-measured included.
    distance = shown_distance_m(streams, distance_m)
    if distance is not None:
        streams = {**streams, "distance_m": distance}
    loss = summary.get("elevation_loss_m")
    totals = RideTotals(
        timer_s=moving_time_s,
        ascent_m=elevation_gain_m,
        descent_m=float(loss) if isinstance(loss, int | float) else None,
        distance_m=distance_m,
    )
    return export_activity(
        streams,
        fmt=fmt,
        name=name,
        description=description,
        sport=sport,
        started_at=started_at,
        totals=totals,
    )
