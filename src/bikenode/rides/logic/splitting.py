"""When one file holds several rides: tracks recorded hours or days apart.

A logger or a tour recorded into one file (GPX tracks, or segments, from 2012 to 2015; a
bikepacking trip's days) is several rides, not one ride of years with pauses. The rule:
where the recording stopped (a track or segment break) and the next point comes at least
SEPARATE_RIDE_GAP_S later, a new ride starts. Twelve hours keeps a long day with a lunch
stop, or a sportive's night pause, as one ride, and makes each day of a tour its own ride,
as riders log tours on the peers. A break without a long gap, or a long gap without a break
(the device kept recording), stays one ride with a pause.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from bikenode.rides.formats.activity import FloatArray, ParsedActivity

SEPARATE_RIDE_GAP_S = 12 * 3600.0
MIN_POINTS_PER_RIDE = 2  # a stray point after a break is no ride of its own


def split_rides(
    activity: ParsedActivity, *, gap_s: float = SEPARATE_RIDE_GAP_S
) -> list[ParsedActivity]:
    """The activity as one or more rides, cut at breaks followed by a gap of gap_s or more.

    Parts keep their own streams, breaks, laps and pauses; the file's own totals (which cover
    the whole file) are kept only when there is one part.
    """
    time = activity.streams.get("time_s")
    if time is None or not activity.segment_starts or not activity.dated:
        return [activity]
    cuts = [
        start
        for start in activity.segment_starts
        if 0 < start < time.shape[0] and _gap_before(time, start) >= gap_s
    ]
    if not cuts:
        return [activity]
    bounds = list(zip([0, *cuts], [*cuts, int(time.shape[0])], strict=True))
    parts = [
        _part(activity, first, end) for first, end in bounds if end - first >= MIN_POINTS_PER_RIDE
    ]
    return parts or [activity]


def _gap_before(time: FloatArray, start: int) -> float:
    """Seconds from the last timed point before `start` to the first timed point from it."""
    before = time[:start][np.isfinite(time[:start])]
    after = time[start:][np.isfinite(time[start:])]
    if before.size == 0 or after.size == 0:
        return 0.0
    return float(after[0] - before[-1])


def _part(activity: ParsedActivity, first: int, end: int) -> ParsedActivity:
    streams = {key: values[first:end].copy() for key, values in activity.streams.items()}
    time = streams["time_s"]
    timed = time[np.isfinite(time)]
    start_s, end_s = (float(timed[0]), float(timed[-1])) if timed.size else (None, None)
    return replace(
        activity,
        streams=streams,
        started_at=datetime.fromtimestamp(start_s, UTC) if start_s is not None else None,
        segment_starts=[s - first for s in activity.segment_starts if first < s < end],
        laps=[lap for lap in activity.laps if _within(lap.start_s, start_s, end_s)],
        pauses=[pause for pause in activity.pauses if _within(pause[0], start_s, end_s)],
        batteries=_batteries_within(activity.batteries, start_s, end_s),
        # The file's totals describe all of it, not this part.
        device_distance_m=None,
        device_calories_kcal=None,
        device_elapsed_s=None,
        device_timer_s=None,
        device_end_s=None,
        warnings=list(activity.warnings),
    )


# A head unit writes battery readings around the ride's first and last points; parts are at
# least gap_s (12 h) apart, so an hour either side never takes another part's reading.
BATTERY_MARGIN_S = 3600.0


def _batteries_within(
    batteries: dict[str, list[tuple[float, str | None, float | None]]],
    start_s: float | None,
    end_s: float | None,
) -> dict[str, list[tuple[float, str | None, float | None]]]:
    """Each serial's battery readings read during this part (an hour either side)."""
    if start_s is None or end_s is None:
        return {}
    kept = {
        serial: [
            r
            for r in readings
            if _within(r[0], start_s - BATTERY_MARGIN_S, end_s + BATTERY_MARGIN_S)
        ]
        for serial, readings in batteries.items()
    }
    return {serial: readings for serial, readings in kept.items() if readings}


def _within(moment: float, start_s: float | None, end_s: float | None) -> bool:
    return start_s is not None and end_s is not None and start_s <= moment <= end_s
