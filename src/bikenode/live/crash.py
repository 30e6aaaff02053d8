"""Suspected-crash detection on a live track: pure rules over positions, no I/O.

A crash, as GPS alone can see it: the rider was moving (at least MOVING_SPEED_MPS, by the
median speed and by the ground covered over the last MOVING_WINDOW_S), then stopped hard (from
a moving point to a standing one within HARD_STOP_S), then stayed within STILL_RADIUS_M of
where they stopped for the rider's stillness time. Moving again, a silence in the positions
longer than MAX_GAP_S (no evidence of stillness), or the end of the session clears it.

Times are seconds (any epoch), positions degrees WGS84, speeds metres per second.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bikenode.geo import EARTH_RADIUS_M

# 15 km/h: slower than that a fall rarely hurts enough to need help, and walking or pushing
# the bike (5-7 km/h) never counts as "moving".
MOVING_SPEED_MPS: Final = 15 / 3.6
# The rider must have held that speed for several seconds, so one GPS jump (a spike in
# derived speed) is never taken for riding.
MOVING_WINDOW_S: Final = 5.0
# Ground covered over the moving window must be at least this share of the moving speed:
# a standing phone's jitter has speed but goes nowhere.
MOVING_NET_SHARE: Final = 0.7
# Below this the rider stands (a phone at rest reads 0-1 m/s of GPS noise).
STANDING_SPEED_MPS: Final = 1.0
# From the last moving point to the first standing one: a crash stops the bike in about a
# second; a rider braking hard for a traffic light takes 3-4 s from 25 km/h, a normal stop
# 5-8 s. 2.5 s allows one late point at 1 Hz.
HARD_STOP_S: Final = 2.5
# The stopped rider (or their phone on the road) stays this close to where they stopped:
# GPS at rest wanders 5-10 m; a rider who walks off or rides on leaves it.
STILL_RADIUS_M: Final = 20.0
# Positions must keep coming while still: a longer silence (a tunnel, an auto-paused device,
# a phone switched off) is no evidence of a lying rider, so the suspicion is dropped.
MAX_GAP_S: Final = 30.0
DEFAULT_STILL_S: Final = 75.0  # riders set 30-600 s; 75 s outlasts most traffic lights
MIN_STILL_S: Final = 30.0
MAX_STILL_S: Final = 600.0


@dataclass(frozen=True)
class SuspectedCrash:
    """Where and when the rider stopped hard, and when their stillness time ran out."""

    stopped_at_s: float
    lat: float
    lon: float
    speed_before_mps: float
    raised_at_s: float


@dataclass
class _Point:
    t: float
    lat: float
    lon: float
    speed: float  # m/s, reported or derived from the previous point


class CrashDetector:
    """Fed a session's positions in time order, reports a suspected crash once per stop."""

    def __init__(self, *, still_s: float = DEFAULT_STILL_S) -> None:
        self.still_s = still_s
        self._recent: deque[_Point] = deque()
        self._stop: _Point | None = None  # the candidate: where the rider stopped hard
        self._speed_before = 0.0
        self._far: int = 0  # consecutive points outside the still radius
        self._raised = False

    @property
    def pending(self) -> bool:
        """Whether a hard stop is being watched (not yet raised or cleared)."""
        return self._stop is not None and not self._raised

    def feed(
        self, t_s: float, lat: float, lon: float, speed_mps: float | None = None
    ) -> SuspectedCrash | None:
        """Take one position; a SuspectedCrash the moment the stillness time has run out."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        previous = self._recent[-1] if self._recent else None
        if previous is not None and t_s <= previous.t:
            return None  # a repeat or an out-of-order point says nothing new
        if previous is not None and t_s - previous.t > MAX_GAP_S:
            self.clear()  # no evidence across the silence
            previous = None
        speed = _speed(previous, t_s, lat, lon, speed_mps)
        point = _Point(t_s, lat, lon, speed)
        self._recent.append(point)
        while self._recent and t_s - self._recent[0].t > MOVING_WINDOW_S + HARD_STOP_S + 1:
            self._recent.popleft()
        if self._stop is not None:
            return self._watch(point)
        self._look_for_hard_stop(point)
        return None

    def clear(self) -> None:
        """Forget any suspicion and the recent track (moving again, a silence, session end)."""
        self._recent.clear()
        self._stop = None
        self._far = 0
        self._raised = False

    def _look_for_hard_stop(self, point: _Point) -> None:
        if point.speed >= STANDING_SPEED_MPS:
            return
        moving = [p for p in self._recent if p.speed >= MOVING_SPEED_MPS]
        if not moving or point.t - moving[-1].t > HARD_STOP_S:
            return
        last_fast = moving[-1]
        before = [p for p in self._recent if last_fast.t - MOVING_WINDOW_S <= p.t <= last_fast.t]
        if len(before) < 3 or last_fast.t - before[0].t < MOVING_WINDOW_S * 0.6:
            return  # too few points to say the rider was riding
        speeds = sorted(p.speed for p in before)
        if speeds[len(speeds) // 2] < MOVING_SPEED_MPS:
            return
        span_s = last_fast.t - before[0].t
        net_m = _distance_m(before[0].lat, before[0].lon, last_fast.lat, last_fast.lon)
        if net_m < MOVING_NET_SHARE * MOVING_SPEED_MPS * span_s:
            return  # jitter or a spike, not a ride
        self._stop, self._far, self._raised = point, 0, False
        self._speed_before = speeds[len(speeds) // 2]

    def _watch(self, point: _Point) -> SuspectedCrash | None:
        stop = self._stop
        if stop is None:
            return None
        if _distance_m(stop.lat, stop.lon, point.lat, point.lon) > STILL_RADIUS_M:
            self._far += 1
            if self._far >= 2:  # two in a row: the rider moved (one is a GPS jump)
                self.clear()
                self._recent.append(point)
            return None
        self._far = 0
        if self._raised or point.t - stop.t < self.still_s:
            return None
        self._raised = True
        return SuspectedCrash(
            stopped_at_s=stop.t,
            lat=stop.lat,
            lon=stop.lon,
            speed_before_mps=self._speed_before,
            raised_at_s=point.t,
        )


def _speed(
    previous: _Point | None, t_s: float, lat: float, lon: float, speed_mps: float | None
) -> float:
    if speed_mps is not None and math.isfinite(speed_mps) and speed_mps >= 0:
        return speed_mps
    if previous is None:
        return 0.0
    return _distance_m(previous.lat, previous.lon, lat, lon) / (t_s - previous.t)


def detect(
    points: Iterable[tuple[float, float, float, float | None]], *, still_s: float = DEFAULT_STILL_S
) -> list[SuspectedCrash]:
    """Every suspected crash in a whole track of (time s, lat, lon, speed m/s or None)."""
    detector = CrashDetector(still_s=still_s)
    found = []
    for t_s, lat, lon, speed in points:
        crash = detector.feed(t_s, lat, lon, speed)
        if crash is not None:
            found.append(crash)
    return found


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Scalar haversine: geo.haversine_m works on arrays, too slow one point at a time.
    p1, p2 = math.radians(lat1), math.radians(lat2)
    half = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, half)))


def moved_away(
    points: Iterable[tuple[float, float, float, float | None]], *, lat: float, lon: float
) -> bool:
    """Whether two positions in a row lie beyond STILL_RADIUS_M of (lat, lon): the rider left."""
    far = 0
    for _, p_lat, p_lon, _ in points:
        far = far + 1 if _distance_m(lat, lon, p_lat, p_lon) > STILL_RADIUS_M else 0
        if far >= 2:
            return True
    return False
