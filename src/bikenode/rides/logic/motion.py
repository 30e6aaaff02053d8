"""Distance, elapsed and moving time, speed and splits of a ride.

Distance comes, in order of preference, from the device's distance stream (its wheel sensor
or its own GPS filtering), from the positions along the track, or from the speed stream
integrated over time (an indoor trainer). The source is named with the result.

Moving time adds up the intervals between samples in which the rider moved at least
MOVING_SPEED_MPS (1 m/s, a walking pace; lower for slower sports, see
MOVING_SPEED_MPS_BY_SPORT) and which fall outside a device pause. An
interval's speed is the device speed at its end, or distance over time where the device gave
no speed or the interval is longer than MAX_SAMPLE_GAP_S (the end speed says nothing about a
long gap; distance over it tells a stop from a tunnel). Without speed or distance, every
interval up to MAX_SAMPLE_GAP_S counts as moving.

Maximum speed is the highest median of three consecutive speeds, so one GPS spike cannot be
the maximum: it takes two samples at a speed to reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.efforts import value_at_distance
from bikenode.rides.logic.geo import carried_forward, haversine_m, track_distance_m
from bikenode.rides.logic.zones import MAX_SAMPLE_GAP_S, sample_intervals_s

__all__ = [
    "MAX_SPLITS",
    "MOVING_SPEED_MPS",
    "MOVING_SPEED_MPS_BY_SPORT",
    "RESET_DROP_M",
    "DistanceTrack",
    "Split",
    "distance_track",
    "elapsed_time_s",
    "max_speed_mps",
    "moving_seconds_so_far",
    "moving_time_s",
    "splits",
]

MOVING_SPEED_MPS = 1.0
# Slower sports move below a cyclist's walking pace: a swimmer's 0.8 m/s is not a stop.
MOVING_SPEED_MPS_BY_SPORT: dict[str, float] = {
    "swimming": 0.2,
    "walking": 0.3,
    "hiking": 0.3,
    "running": 0.5,
}
RESET_DROP_M = 100.0
# No rider covers a step faster than this (180 km/h). A faster step shorter than
# GPS_JUMP_M is a receiver regaining its fix after losing the sky, the distance between
# ridden; a longer one is a jump to elsewhere (a wrong fix, two rides in one file).
MAX_STEP_SPEED_MPS = 50.0
GPS_JUMP_M = 1000.0
# A first odometer reading this far beyond what MAX_STEP_SPEED_MPS allows since the start
# comes from a cropped file (a pool swim's first length is 50 m, a sensor's lag 10 m).
CROP_SLACK_M = 100.0
MAX_SPLITS = 10_000  # 10,000 km in kilometre splits: more can only be corrupt distances
_NEGLIGIBLE_SHARE = 1e-3  # a last split of under 1 m per km is rounding, not riding


@dataclass(frozen=True)
class DistanceTrack:
    """Cumulative distance in metres at every point from the start, and where it came from."""

    cumulative_m: FloatArray
    source: str  # "device", "gps" or "speed"

    @property
    def total_m(self) -> float:
        """Distance covered over the whole track."""
        return float(self.cumulative_m[-1]) if self.cumulative_m.size else 0.0


@dataclass(frozen=True)
class Split:
    """One split of the ride: the whole unit, or what is left of it at the end.

    duration_s is the elapsed time, pauses included; moving_s leaves them out and paused_s
    is the difference. The speed is over the moving time where it is known, as the peers do,
    so that a stop at a café does not make a kilometre read 3 km/h.
    """

    index: int  # 1-based
    distance_m: float
    duration_s: float | None
    speed_mps: float | None
    elevation_change_m: float | None
    moving_s: float | None = None
    paused_s: float | None = None


def distance_track(
    streams: dict[str, FloatArray],
    *,
    segment_starts: Sequence[int] = (),
    start_s: float | None = None,
) -> DistanceTrack | None:
    """Cumulative distance from the best source the streams hold, or None when none does.

    segment_starts are the points that begin a new track segment (nothing is counted into
    them); start_s is when the activity started (Unix seconds), which tells a first odometer
    reading that is real distance from one left by a cropped file.
    """
    device = streams.get("distance_m")
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    has_gps = lat is not None and lon is not None and bool(np.isfinite(lat + lon).sum() >= 2)
    if device is not None and np.isfinite(device).sum() >= 2:
        track = DistanceTrack(_odometer_m(device, _cropped(device, streams, start_s)), "device")
        if track.total_m > 0 or not has_gps:
            return track
    if lat is not None and lon is not None and has_gps:
        gaps = _track_gaps(lat, lon, streams.get("time_s"), segment_starts)
        return DistanceTrack(track_distance_m(lat, lon, gaps=gaps), "gps")
    speed, time = streams.get("speed_mps"), streams.get("time_s")
    if speed is not None and time is not None and np.isfinite(speed).any():
        return DistanceTrack(_integrated_m(speed, time), "speed")
    return None


def shown_distance_m(streams: dict[str, FloatArray], total_m: float | None) -> FloatArray | None:
    """Cumulative metres at every point (0 at the start) that end at the ride's shown distance.

    The track is the one the analytics measured (the device's odometer, else the GPS track,
    else integrated speed), scaled so that it ends at ``total_m`` when the shown distance
    came from elsewhere (a device total without a stream). None when no source exists.
    """
    track = distance_track(streams)
    if track is None:
        return None
    if total_m is None or not np.isfinite(total_m) or track.total_m <= 0:
        return track.cumulative_m
    return track.cumulative_m * (total_m / track.total_m)


def _track_gaps(
    lat: FloatArray, lon: FloatArray, time: FloatArray | None, segment_starts: Sequence[int]
) -> npt.NDArray[np.bool_]:
    """Points the track must not be joined into: segment starts, and fixes reached from the
    fix before by a jump (see GPS_JUMP_M) faster than MAX_STEP_SPEED_MPS."""
    gaps = np.zeros(lat.shape[0], dtype=bool)
    gaps[[i for i in segment_starts if 0 < i < lat.shape[0]]] = True
    if time is None:
        return gaps
    fixes = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon) & np.isfinite(time))
    step_m = haversine_m(lat[fixes[:-1]], lon[fixes[:-1]], lat[fixes[1:]], lon[fixes[1:]])
    jump = (step_m > GPS_JUMP_M) & (step_m > MAX_STEP_SPEED_MPS * np.diff(time[fixes]))
    gaps[fixes[1:][jump]] = True
    return gaps


def _cropped(device: FloatArray, streams: dict[str, FloatArray], start_s: float | None) -> bool:
    """Whether the first odometer reading is more than anyone covers between the start and
    its own time: the file was cut from a longer one, and its distance counts from there."""
    time = streams.get("time_s")
    known = np.flatnonzero(np.isfinite(device))
    if time is None or start_s is None or not np.isfinite(time[known[0]]):
        return False
    since_start_s = max(float(time[known[0]]) - start_s, 0.0)
    return bool(device[known[0]] > MAX_STEP_SPEED_MPS * since_start_s + CROP_SLACK_M)


def _odometer_m(distance_m: FloatArray, cropped: bool) -> FloatArray:
    """The device odometer, never going back, carried across resets; rebased to 0 only for
    a cropped file (the first reading of a whole one is distance covered since the start).

    Within a run the running maximum counts: a reading that steps back and forth (two
    sensors interleaved) would otherwise count the same metres twice. A reading that falls
    more than halfway back to zero, by over RESET_DROP_M, is a reset (a multisport file
    starts each leg at 0), and the next run adds on to the distance so far.
    """
    known = np.isfinite(distance_m)
    readings = distance_m[known]
    if readings.size == 0:
        return np.zeros(distance_m.shape[0])
    drop = readings[:-1] - readings[1:]
    reset = (readings[1:] < drop) & (drop > RESET_DROP_M)
    run = np.concatenate(([0], np.cumsum(reset)))
    # Lift each run above all before it, so one running maximum restarts at every run.
    lift = run * (float(readings.max() - readings.min()) + 1.0)
    within = np.maximum.accumulate(readings + lift) - lift
    if cropped:
        within[run == 0] -= readings[0]
    within = np.maximum(within, 0.0)  # a run starts from 0, never below
    run_totals = within[np.concatenate((np.flatnonzero(reset), [readings.size - 1]))]
    before = np.concatenate(([0.0], np.cumsum(run_totals)[:-1]))
    return carried_forward(before[run] + within, known)


def _integrated_m(speed_mps: FloatArray, time_s: FloatArray) -> FloatArray:
    speed = np.where(np.isfinite(speed_mps), np.clip(speed_mps, 0.0, None), 0.0)
    return np.asarray(np.cumsum(speed * sample_intervals_s(time_s)))


def elapsed_time_s(time_s: FloatArray) -> float | None:
    """Seconds from the first to the last timestamp, pauses included."""
    timed = time_s[np.isfinite(time_s)]
    return float(timed.max() - timed.min()) if timed.size else None


def moving_time_s(
    time_s: FloatArray,
    *,
    speed_mps: FloatArray | None = None,
    distance: DistanceTrack | None = None,
    pauses: list[tuple[float, float]] | None = None,
    threshold_mps: float = MOVING_SPEED_MPS,
) -> float | None:
    """Seconds spent moving (see the module docstring for the rule); None without times."""
    so_far = moving_seconds_so_far(
        time_s, speed_mps=speed_mps, distance=distance, pauses=pauses, threshold_mps=threshold_mps
    )
    if so_far is None:
        return None
    return float(np.nanmax(so_far))


def moving_seconds_so_far(
    time_s: FloatArray,
    *,
    speed_mps: FloatArray | None = None,
    distance: DistanceTrack | None = None,
    pauses: list[tuple[float, float]] | None = None,
    threshold_mps: float = MOVING_SPEED_MPS,
) -> FloatArray | None:
    """Seconds spent moving from the start to each sample (NaN where a sample has no time).

    The same rule as moving_time_s, whose total is the last value; None without times.
    """
    timed = np.flatnonzero(np.isfinite(time_s))
    if timed.size == 0:
        return None
    time = time_s[timed]
    step_s = np.diff(time)
    speeds = _interval_speeds(step_s, timed, speed_mps, distance)
    moving = (step_s > 0) & ~_in_pauses((time[1:] + time[:-1]) / 2.0, pauses or [])
    if speeds is None:
        moving &= step_s <= MAX_SAMPLE_GAP_S
    else:
        moving &= speeds >= threshold_mps
    so_far = np.full(time_s.shape[0], np.nan)
    so_far[timed] = np.concatenate(([0.0], np.cumsum(np.where(moving, step_s, 0.0))))
    return so_far


def _interval_speeds(
    step_s: FloatArray,
    timed: npt.NDArray[np.intp],
    speed_mps: FloatArray | None,
    distance: DistanceTrack | None,
) -> FloatArray | None:
    """Speed over each interval between timed samples, NaN where nothing tells it."""
    if speed_mps is None and distance is None:
        return None
    speeds = np.full(step_s.shape[0], np.nan)
    if distance is not None:
        covered_m = np.diff(distance.cumulative_m[timed])
        speeds = np.where(step_s > 0, covered_m / np.where(step_s > 0, step_s, 1.0), np.nan)
    if speed_mps is not None:
        device = speed_mps[timed[1:]]
        use_device = np.isfinite(device) & (step_s <= MAX_SAMPLE_GAP_S)
        speeds = np.where(use_device, device, speeds)
    return speeds


def _in_pauses(moments_s: FloatArray, pauses: list[tuple[float, float]]) -> npt.NDArray[np.bool_]:
    inside = np.zeros(moments_s.shape[0], dtype=bool)
    for start_s, end_s in pauses:
        inside |= (moments_s >= start_s) & (moments_s <= end_s)
    return inside


def max_speed_mps(
    time_s: FloatArray | None, speed_mps: FloatArray | None, distance: DistanceTrack | None
) -> float | None:
    """Highest speed held for two samples (see the module docstring), or None."""
    speeds = _sample_speeds(time_s, speed_mps, distance)
    if speeds is None or speeds.size < 3:
        return None
    a, b, c = speeds[:-2], speeds[1:-1], speeds[2:]
    medians = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))  # NaN stays NaN
    medians = medians[np.isfinite(medians)]
    return float(medians.max()) if medians.size else None


def _sample_speeds(
    time_s: FloatArray | None, speed_mps: FloatArray | None, distance: DistanceTrack | None
) -> FloatArray | None:
    if speed_mps is not None and np.isfinite(speed_mps).any():
        return speed_mps
    if time_s is None or distance is None:
        return None
    timed = np.flatnonzero(np.isfinite(time_s))
    step_s = np.diff(time_s[timed])
    covered_m = np.diff(distance.cumulative_m[timed])
    usable = (step_s > 0) & (step_s <= MAX_SAMPLE_GAP_S)
    return np.where(usable, covered_m / np.where(usable, step_s, 1.0), np.nan)


def splits(
    distance: DistanceTrack,
    time_s: FloatArray | None,
    elevation_m: FloatArray | None,
    unit_m: float,
    moving_so_far_s: FloatArray | None = None,
) -> tuple[Split, ...]:
    """The ride cut every unit_m metres (1000 for kilometres, 1609.344 for miles).

    With moving_so_far_s (see moving_seconds_so_far) each split has its moving time, its
    pause time and a speed over the moving time.
    """
    if not unit_m > 0:
        raise ValueError(f"expected a split length above 0 m, got {unit_m}")
    total_m = distance.total_m
    if not 0 < total_m <= unit_m * MAX_SPLITS:
        return ()
    marks_m = np.append(np.arange(0.0, total_m, unit_m), total_m)
    lengths_m = np.diff(marks_m)
    times = _at_marks(distance, time_s, marks_m)
    moving = _at_marks(distance, moving_so_far_s, marks_m)
    elevations = _at_marks(distance, elevation_m, marks_m)
    return tuple(
        _split(number, float(lengths_m[number]), times, elevations, moving)
        for number in range(lengths_m.size)
        if lengths_m[number] > unit_m * _NEGLIGIBLE_SHARE
    )


def _at_marks(
    distance: DistanceTrack, values: FloatArray | None, marks_m: FloatArray
) -> FloatArray | None:
    if values is None:
        return None
    return value_at_distance(distance.cumulative_m, values, marks_m)


def _split(
    number: int,
    length_m: float,
    times: FloatArray | None,
    elevations: FloatArray | None,
    moving: FloatArray | None,
) -> Split:
    duration_s = _between(times, number)
    climb_m = _between(elevations, number)
    moving_s = _between(moving, number)
    if moving_s is not None and duration_s is not None:
        moving_s = min(moving_s, duration_s)  # interpolation must not invent time
    paused_s = duration_s - moving_s if duration_s is not None and moving_s is not None else None
    timed_s = moving_s if moving_s is not None else duration_s
    speed_mps = length_m / timed_s if timed_s else None
    return Split(number + 1, length_m, duration_s, speed_mps, climb_m, moving_s, paused_s)


def _between(values: FloatArray | None, number: int) -> float | None:
    return _finite(values[number + 1] - values[number]) if values is not None else None


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
