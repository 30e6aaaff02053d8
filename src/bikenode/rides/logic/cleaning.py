"""Cleaning run on every import: small pure filters, each saying in plain words what it did.

The filters run in this order, each on the output of the one before:

1. Streams of different lengths are cut to the shortest (they are aligned from the start).
2. Points without a timestamp are dropped when most points have one. Interpolating a time
   would place the point's position and sensor values at a moment nobody measured; devices
   skip a time only on a broken record, so dropping costs little. When fewer than half the
   points have a time (a planned route, a track edited by hand) every point is kept and the
   time stream goes: a few times cannot place the rest, and dropping the rest would lose
   the ride. The file's own start is kept as the ride's start.
3. Points timed before 1990-01-01 or more than a day after `now_s` are dropped; when that
   is every point, the file is rejected with ImplausibleActivity. Times the file marks as
   undated (counted from a device's power-up) are durations and are not checked; the ride's
   start stays unknown.
4. Points whose time goes backwards are dropped. Two readings are tried, and the one that
   keeps more points wins: keep each point no earlier than all before it (a glitch into the
   past costs only itself), or each point no later than all after it (a glitch into the
   future, or a clock set back once, costs only the points before the fix).
5. Points sharing a timestamp are merged into one: each stream keeps the first value it had
   at that time, so a position from one record and a heart rate from the next both survive.
   The odometer (distance_m) keeps its largest: a counter's last word at that time.
6. Impossible values are blanked (set to NaN), the point kept: positions outside the globe,
   half a position, and the (0, 0) "null island" placeholder; elevations outside
   -500..9000 m (devices write +-99999 for "none"); heart rate outside 20..250 bpm; power
   outside 0..3000 W; cadence outside 0..300 rpm; speed outside 0..50 m/s; temperature
   outside -60..70 C; negative or absurd distances.
7. A GPS spike is blanked: a position reached from the one before, and left for the one
   after, both faster than 50 m/s (plus GPS_SLACK_M of noise). A single jump, with no way
   back, is left alone: which side of it is wrong cannot be told (the distance does not
   count it, see motion.py).

Track segment breaks (ParsedActivity.segment_starts) move with the points through every step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray, ParsedActivity
from bikenode.rides.logic.geo import haversine_m

__all__ = ["EARLIEST_TIME_S", "FUTURE_SLACK_S", "ImplausibleActivity", "clean_activity"]

EARLIEST_TIME_S = 631_152_000.0  # 1990-01-01T00:00:00Z: before GPS loggers existed
FUTURE_SLACK_S = 86_400.0  # a day of clock skew and time zones ahead of the server
MAX_SPEED_MPS = 50.0  # 180 km/h: beyond any bike, and what the speed stream is held to
GPS_SLACK_M = 30.0  # position noise, so that 10 Hz logging does not look like a spike

Streams = dict[str, FloatArray]
BoolArray = npt.NDArray[np.bool_]

# Stream, lowest and highest plausible value, and how a message names the values.
_PLAUSIBLE_RANGES: tuple[tuple[str, float, float, str], ...] = (
    ("elevation_m", -500.0, 9000.0, "elevation outside -500..9000 m"),
    ("hr_bpm", 20.0, 250.0, "heart rate outside 20..250 bpm"),
    ("power_w", 0.0, 3000.0, "power outside 0..3000 W"),
    ("cadence_rpm", 0.0, 300.0, "cadence outside 0..300 rpm"),
    ("speed_mps", 0.0, MAX_SPEED_MPS, "speed outside 0..50 m/s"),
    ("temperature_c", -60.0, 70.0, "temperature outside -60..70 C"),
    ("distance_m", 0.0, 1e8, "distance below 0 or above 100,000 km"),
)


INT32_MIN_S = -(2.0**31)


class ImplausibleActivity(ValueError):
    """No point of the activity has a believable timestamp; the message says which range."""


def clean_activity(activity: ParsedActivity, *, now_s: float) -> tuple[ParsedActivity, list[str]]:
    """The activity with implausible data removed, and one plain sentence per change made.

    The input is not modified. Raises ImplausibleActivity when every timestamp lies before
    1990 or more than a day after now_s (Unix seconds).
    """
    streams: Streams = {k: np.asarray(v, dtype=np.float64) for k, v in activity.streams.items()}
    streams, first_message = _cut_to_shortest(streams)
    messages = [first_message] if first_message else []
    if activity.segment_starts:
        streams[_SEGMENT] = _segment_ids(activity.segment_starts, _length(streams))
    filters: list[Callable[[Streams], tuple[Streams, str | None]]] = [
        _blank_placeholder_times,
        _drop_untimed_points,
        # Undated times (counted from a device's power-up) are durations, not dates to check.
        lambda s: _drop_implausible_times(s, now_s) if activity.dated else (s, None),
        _drop_backward_times,
        _merge_repeated_times,
        _blank_bad_positions,
        *(_range_filter(*limits) for limits in _PLAUSIBLE_RANGES),
        _blank_position_spikes,
    ]
    for step in filters:
        streams, message = step(streams)
        if message:
            messages.append(message)
    segments = streams.pop(_SEGMENT, None)
    cleaned = dataclasses.replace(
        activity, streams=streams, segment_starts=_segment_starts(segments)
    )
    return _with_start_from_times(cleaned, now_s), messages


# Each point's track segment, carried through the filters as one more stream so that the
# breaks between segments move with the points that are dropped or merged.
_SEGMENT = "_segment"


def _length(streams: Streams) -> int:
    return next((values.shape[0] for values in streams.values()), 0)


def _segment_ids(starts: list[int], length: int) -> FloatArray:
    ids = np.zeros(length)
    inside = [start for start in starts if 0 < start < length]
    ids[inside] = 1.0
    return np.cumsum(ids)


def _segment_starts(segments: FloatArray | None) -> list[int]:
    if segments is None or segments.size < 2:
        return []
    return [int(i) + 1 for i in np.flatnonzero(np.diff(segments) != 0)]


def _cut_to_shortest(streams: Streams) -> tuple[Streams, str | None]:
    lengths = {name: values.shape[0] for name, values in streams.items()}
    if len(set(lengths.values())) <= 1:
        return streams, None
    shortest = min(lengths.values())
    detail = ", ".join(f"{name} {length}" for name, length in lengths.items())
    message = f"cut every stream to {shortest} points: their lengths differed ({detail})"
    return {name: values[:shortest] for name, values in streams.items()}, message


def _blank_placeholder_times(streams: Streams) -> tuple[Streams, str | None]:
    # Some apps write the smallest 32-bit time (1901-12-13T20:45:52Z) to mean "no time".
    time = streams.get("time_s")
    if time is None:
        return streams, None
    placeholder = (time >= INT32_MIN_S) & (time < INT32_MIN_S + 1)
    if not placeholder.any():
        return streams, None
    blanked = dict(streams)
    blanked["time_s"] = np.where(placeholder, np.nan, time)
    count = int(placeholder.sum())
    return (
        blanked,
        f"treated {_points(count)} dated 1901-12-13 (a 'no time' placeholder) as untimed",
    )


def _drop_untimed_points(streams: Streams) -> tuple[Streams, str | None]:
    time = streams.get("time_s")
    if time is None or time.size == 0:
        return streams, None
    untimed = np.isnan(time)
    timed = int(time.size - untimed.sum())
    if timed * 2 < time.size:
        kept = {name: values for name, values in streams.items() if name != "time_s"}
        if timed == 0:
            return kept, f"no point has a timestamp: kept {time.shape[0]} points without times"
        return kept, (
            f"only {timed} of {time.shape[0]} points have a timestamp: kept every point, "
            "without times"
        )
    return _drop(streams, untimed, "without a timestamp")


def _drop_implausible_times(streams: Streams, now_s: float) -> tuple[Streams, str | None]:
    time = streams.get("time_s")
    if time is None or time.size == 0:
        return streams, None
    latest_s = now_s + FUTURE_SLACK_S
    implausible = ~((time >= EARLIEST_TIME_S) & (time <= latest_s))
    if implausible.all():
        raise ImplausibleActivity(
            f"expected timestamps between {_iso(EARLIEST_TIME_S)} and {_iso(latest_s)}, "
            f"got all {time.size} from {_iso(float(time.min()))} to {_iso(float(time.max()))}"
        )
    return _drop(streams, implausible, "timed before 1990 or more than a day in the future")


def _drop_backward_times(streams: Streams) -> tuple[Streams, str | None]:
    time = streams.get("time_s")
    if time is None or time.size < 2:
        return streams, None
    after_all_before = time >= np.maximum.accumulate(time)
    before_all_after = time <= np.minimum.accumulate(time[::-1])[::-1]
    keep = after_all_before
    if before_all_after.sum() > after_all_before.sum():
        keep = before_all_after
    return _drop(streams, ~keep, "with timestamps going backwards")


def _merge_repeated_times(streams: Streams) -> tuple[Streams, str | None]:
    time = streams.get("time_s")
    if time is None or time.size < 2:
        return streams, None
    starts = np.concatenate(([True], np.diff(time) != 0))
    merged = int(time.size - starts.sum())
    if merged == 0:
        return streams, None
    group = np.cumsum(starts) - 1
    groups = int(group[-1]) + 1
    result = {
        name: _first_known_per_group(values, group, groups) for name, values in streams.items()
    }
    if "distance_m" in streams:  # a counter: its last word at that time is the largest
        result["distance_m"] = np.fmax.reduceat(streams["distance_m"], np.flatnonzero(starts))
    return result, f"merged {_points(merged)} that repeated the timestamp before them"


def _first_known_per_group(
    values: FloatArray, group: npt.NDArray[np.intp], groups: int
) -> FloatArray:
    out = np.full(groups, np.nan)
    known = np.flatnonzero(~np.isnan(values))
    first_groups, first_at = np.unique(group[known], return_index=True)
    out[first_groups] = values[known[first_at]]
    return out


def _blank_bad_positions(streams: Streams) -> tuple[Streams, str | None]:
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    if lat is None or lon is None:
        return _drop_lone_coordinate(streams)
    on_globe = (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
    null_island = (lat == 0.0) & (lon == 0.0)
    bad = ~on_globe | null_island
    blanked = int((bad & ~(np.isnan(lat) & np.isnan(lon))).sum())
    if blanked == 0:
        return streams, None
    result = dict(streams)
    result["lat_deg"], result["lon_deg"] = np.where(bad, np.nan, lat), np.where(bad, np.nan, lon)
    return result, (
        f"blanked the position at {_points(blanked)}: outside the globe, half missing, "
        "or at the (0, 0) placeholder"
    )


def _blank_position_spikes(streams: Streams) -> tuple[Streams, str | None]:
    lat, lon, time = streams.get("lat_deg"), streams.get("lon_deg"), streams.get("time_s")
    if lat is None or lon is None or time is None:
        return streams, None
    fixes = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon) & np.isfinite(time))
    if fixes.size < 3:
        return streams, None
    lat_f, lon_f = lat[fixes], lon[fixes]
    step_m = haversine_m(lat_f[:-1], lon_f[:-1], lat_f[1:], lon_f[1:])
    too_fast = step_m > MAX_SPEED_MPS * np.diff(time[fixes]) + GPS_SLACK_M
    spikes = fixes[1:-1][too_fast[:-1] & too_fast[1:]]
    if spikes.size == 0:
        return streams, None
    result = dict(streams)
    result["lat_deg"], result["lon_deg"] = lat.copy(), lon.copy()
    result["lat_deg"][spikes] = result["lon_deg"][spikes] = np.nan
    message = f"blanked the position at {_points(spikes.size)}: GPS spikes faster than 50 m/s"
    return result, message


def _drop_lone_coordinate(streams: Streams) -> tuple[Streams, str | None]:
    lone = next((name for name in ("lat_deg", "lon_deg") if name in streams), None)
    if lone is None:
        return streams, None
    result = {name: values for name, values in streams.items() if name != lone}
    return result, f"removed the {lone} stream: a position needs both latitude and longitude"


def _range_filter(
    name: str, low: float, high: float, words: str
) -> Callable[[Streams], tuple[Streams, str | None]]:
    def blank_outside(streams: Streams) -> tuple[Streams, str | None]:
        values = streams.get(name)
        if values is None:
            return streams, None
        bad = ~np.isnan(values) & ~((values >= low) & (values <= high))
        if not bad.any():
            return streams, None
        message = f"blanked {words} at {_points(int(bad.sum()))}"
        return {**streams, name: np.where(bad, np.nan, values)}, message

    return blank_outside


def _drop(streams: Streams, drop: BoolArray, reason: str) -> tuple[Streams, str | None]:
    """Remove the points marked in drop from every stream."""
    count = int(drop.sum())
    if count == 0:
        return streams, None
    keep = ~drop
    return {name: values[keep] for name, values in streams.items()}, (
        f"removed {_points(count)} {reason}"
    )


def _points(count: int) -> str:
    return f"{count} point" if count == 1 else f"{count} points"


def _with_start_from_times(activity: ParsedActivity, now_s: float) -> ParsedActivity:
    """Take the start from the first timestamp when the file's own start is missing or absurd.

    With no timestamp left an absurd start (a 1901 placeholder) is dropped: the ride is
    untimed and has no date, rather than a made-up one.
    """
    time = activity.streams.get("time_s")
    if not activity.dated:  # times from power-up with nothing to date them: start unknown
        return activity
    started = activity.started_at
    if started is not None and EARLIEST_TIME_S <= started.timestamp() <= now_s + FUTURE_SLACK_S:
        first_s = _first_time_s(time)
        if first_s is None or first_s >= started.timestamp():
            return activity
        # Records before the reported start (a session start_time written late): the ride
        # began with its first record, as its elapsed time and first lap already say.
        return dataclasses.replace(activity, started_at=datetime.fromtimestamp(first_s, UTC))
    if time is None or time.size == 0:
        return activity if started is None else dataclasses.replace(activity, started_at=None)
    return dataclasses.replace(activity, started_at=datetime.fromtimestamp(float(time[0]), UTC))


def _first_time_s(time: FloatArray | None) -> float | None:
    """The earliest timestamp, or None without one."""
    if time is None or not np.isfinite(time).any():
        return None
    return float(np.nanmin(time))


def _iso(seconds: float) -> str:
    """A Unix time as ISO 8601 UTC, or the raw number when no calendar date can hold it."""
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return f"{seconds!r} s"
