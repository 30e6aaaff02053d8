"""Elapsed time, distance and moving time: the device's own totals, unless they are impossible.

A rider compares a ride with what their device showed them, and Garmin Connect and the head
unit show the file's summary (the FIT session's total_elapsed_time, total_timer_time and
total_distance; the sum of a TCX file's laps). So:

- Elapsed time runs from the reported start (the session's start_time, the TCX Activity Id
  or first Lap StartTime) to the later of the last record and the session's end (its start
  plus its elapsed time). A reported start earlier than the first record by more than the
  device's own elapsed time is not believed; the first record starts the ride. Without
  timed records, elapsed is the session's elapsed time ("device_total").
- Distance is the device's total where the file has one, else the device's distance
  stream, else the track (see motion.py).
- Moving time is measured from the records (see motion.py), except for sports without a
  continuous position (swimming: the watch knows lengths, not speeds) and for files whose
  timed records span less than half the elapsed time (or none), where it is the device's
  timer time.

A summary is impossible, and set aside with a note, when its elapsed time is shorter than
its own timer time, or shorter than the records it summarises (a session that adds up only
its laps), or when its distance needs more than MAX_STEP_SPEED_MPS over the elapsed time.
"""

from __future__ import annotations

import math

import numpy as np

from bikenode.rides.formats.activity import FloatArray, ParsedActivity
from bikenode.rides.logic.motion import MAX_STEP_SPEED_MPS, DistanceTrack

__all__ = ["TIMER_SPORTS", "distance", "elapsed", "moving"]

# Sports whose devices time the effort but cannot tell moving from resting by position.
TIMER_SPORTS = frozenset({"swimming"})
_ROUNDING_S = 1.0  # devices round totals to the second or the millisecond


def elapsed(
    activity: ParsedActivity, time: FloatArray | None, start_s: float | None, notes: list[str]
) -> tuple[float | None, str | None]:
    """Elapsed seconds of the ride and where they come from ("device", "records",
    "device_total"), noting in notes a session end that was set aside."""
    timed = np.array([]) if time is None else time[np.isfinite(time)]
    session_s = _possible_session_s(activity, notes)
    if timed.size == 0:
        return (session_s, "device_total") if session_s is not None else (None, None)
    first, last = float(timed.min()), float(timed.max())
    if start_s is not None and 0 < first - start_s <= max(session_s or 0.0, _timer(activity)):
        first = start_s
    end_s = activity.device_end_s
    if session_s is not None and end_s is not None and end_s > last:
        return end_s - first, "device"
    if session_s is not None and session_s + _ROUNDING_S < last - first and activity.dated:
        notes.append(
            f"the file's summary gives an elapsed time of {session_s:.0f} s, shorter than "
            f"its own records ({last - first:.0f} s): the records' time is used"
        )
    return last - first, "records"


def distance(
    activity: ParsedActivity, track: DistanceTrack | None, elapsed_s: float | None, notes: list[str]
) -> tuple[float | None, str | None]:
    """The ride's distance in metres and where it comes from (see the module docstring)."""
    total = activity.device_distance_m
    if total is not None and math.isfinite(total) and total >= 0:
        if elapsed_s is None or total <= MAX_STEP_SPEED_MPS * elapsed_s:
            return total, "device_total"
        notes.append(
            f"the file's summary gives a distance of {total:.0f} m in {elapsed_s:.0f} s, "
            f"faster than {MAX_STEP_SPEED_MPS:.0f} m/s: the distance along the records is used"
        )
    if track is not None:
        return track.total_m, track.source
    return None, None


def moving(
    activity: ParsedActivity,
    measured_s: float | None,
    elapsed_s: float | None,
    time: FloatArray | None,
) -> tuple[float | None, str | None]:
    """Moving seconds and where they come from ("records" or "device_timer")."""
    timer_s = activity.device_timer_s
    if timer_s is None or not math.isfinite(timer_s) or timer_s < 0:
        return measured_s, None if measured_s is None else "records"
    if activity.sport in TIMER_SPORTS or measured_s is None or not _covered(time, elapsed_s):
        return min(timer_s, elapsed_s) if elapsed_s is not None else timer_s, "device_timer"
    return measured_s, None if measured_s is None else "records"


def _covered(time: FloatArray | None, elapsed_s: float | None) -> bool:
    """Whether the records span at least half the ride (else they are a sample of it)."""
    timed = np.array([]) if time is None else time[np.isfinite(time)]
    if elapsed_s is None or not elapsed_s > 0:
        return True
    return timed.size > 0 and float(timed.max() - timed.min()) * 2 >= elapsed_s


def _timer(activity: ParsedActivity) -> float:
    timer = activity.device_timer_s
    return timer if timer is not None and math.isfinite(timer) else 0.0


def _possible_session_s(activity: ParsedActivity, notes: list[str]) -> float | None:
    """The session's elapsed time, or None when there is none or it is impossible."""
    elapsed_s, timer_s = activity.device_elapsed_s, activity.device_timer_s
    if elapsed_s is None or not math.isfinite(elapsed_s) or elapsed_s < 0:
        return None
    if timer_s is not None and elapsed_s + _ROUNDING_S < timer_s:
        notes.append(
            f"the file's summary gives an elapsed time of {elapsed_s:.0f} s, shorter than its "
            f"own timer time of {timer_s:.0f} s: the records' time is used"
        )
        return None
    return elapsed_s
