"""The shape every importer returns: one activity as columnar numpy streams."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Stream names and their units. Every stream is a float64 array of the same length as
# "time_s"; NaN marks a missing value at that point. A stream the file does not carry at
# all is simply absent from ParsedActivity.streams.
STREAM_UNITS: dict[str, str] = {
    "time_s": "seconds since the Unix epoch, UTC",
    "lat_deg": "degrees WGS84",
    "lon_deg": "degrees WGS84",
    "elevation_m": "metres above sea level",
    "distance_m": "metres from the start (device odometer)",
    "speed_mps": "metres per second",
    "hr_bpm": "beats per minute",
    "cadence_rpm": "revolutions per minute",
    "power_w": "watts",
    "temperature_c": "degrees Celsius",
}
STREAM_KEYS: tuple[str, ...] = tuple(STREAM_UNITS)
# Points one activity may hold: 11.5 days at one a second. A file past it is refused with that
# reason, counted before its streams are built, so time and memory stay bounded.
MAX_POINTS_PER_ACTIVITY = 1_000_000


class ParseError(ValueError):
    """The bytes are not a readable activity; the message says what was expected and found."""


class TooManyPoints(ParseError):
    """An activity with more points than one ride may hold."""

    def __init__(self, points: int, max_points: int, *, at_least: bool = False) -> None:
        got = f"at least {points:,}" if at_least else f"{points:,}"
        super().__init__(
            f"expected at most {max_points:,} points in one activity, got {got}; "
            "split the recording into several files"
        )


def check_point_count(points: int, max_points: int, *, at_least: bool = False) -> None:
    """Raise TooManyPoints if an activity holds (at least) `points` and that is too many."""
    if points > max_points:
        raise TooManyPoints(points, max_points, at_least=at_least)


class NotAnActivity(ParseError):
    """A valid file of the format that holds no activity (settings, workout, course...)."""


@dataclass(frozen=True)
class Lap:
    """A lap as the device recorded it (times are Unix seconds, UTC)."""

    start_s: float
    end_s: float
    distance_m: float | None = None


@dataclass
class ParsedActivity:
    """One activity decoded from a file, before cleaning and analytics."""

    format: str  # "fit", "gpx" or "tcx"
    streams: dict[str, FloatArray]
    started_at: datetime | None = None
    sport: str | None = None  # lower-case, e.g. "cycling", "running"; None when unknown
    sub_sport: str | None = None
    name: str | None = None
    description: str | None = None
    device: str | None = None  # manufacturer and product as written by the file
    # Serial numbers the file names (FIT device_info): the recording unit and each sensor,
    # with its kind ("head_unit", "power_meter", "heart_rate", "speed_cadence", "sensor").
    devices: list[tuple[str, str]] = field(default_factory=list)
    # Battery readings device_info gives per serial: the first and the last of the file, as
    # (Unix seconds, status "new"/"good"/"ok"/"low"/"critical"/None, volts or None).
    batteries: dict[str, list[tuple[float, str | None, float | None]]] = field(default_factory=dict)
    laps: list[Lap] = field(default_factory=list)
    # Device timer stop/start pairs (Unix seconds): the rider pressed pause between them.
    pauses: list[tuple[float, float]] = field(default_factory=list)
    # Totals the device itself computed, where the file has them (FIT session, TCX laps):
    # elapsed is wall-clock time start to end, timer time excludes the rider's pauses, end
    # is the reported start plus the elapsed time (Unix seconds).
    device_distance_m: float | None = None
    device_calories_kcal: float | None = None
    device_elapsed_s: float | None = None
    device_timer_s: float | None = None
    device_end_s: float | None = None
    # Index of the first point of each track or segment after the first: the rider (or the
    # logger) stopped recording there, so no distance is counted across it.
    segment_starts: list[int] = field(default_factory=list)
    # False when the times count from the device's power-up, not from a date: the streams
    # keep them (durations hold) but the ride's start is unknown.
    dated: bool = True
    # What was odd but tolerated: bad CRC, truncated tail, unknown enum values...
    warnings: list[str] = field(default_factory=list)

    @property
    def point_count(self) -> int:
        """Number of points (samples) in the streams."""
        time = self.streams.get("time_s")
        if time is not None:
            return int(time.shape[0])
        return max((int(a.shape[0]) for a in self.streams.values()), default=0)
