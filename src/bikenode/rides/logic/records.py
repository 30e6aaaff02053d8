"""Personal records: the best effort of each kind over many rides, and the ride it came from.

Efforts come from each ride's summary: `best_power` (highest average power in watts held for
`duration_s` seconds; higher is better) and `fastest` (shortest time in seconds to cover
`distance_m` metres; lower is better). A missing or non-finite value is no effort. On a tie
the earlier ride keeps the record (it set it first); untimed rides count as the latest.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RideEfforts:
    """What one ride contributes: its identity and its analytics summary."""

    ride_id: uuid.UUID
    name: str
    started_at: datetime | None
    summary: dict[str, Any]


@dataclass(frozen=True)
class PowerRecord:
    duration_s: int
    power_w: float
    ride: RideEfforts


@dataclass(frozen=True)
class DistanceRecord:
    distance_m: float
    duration_s: float
    ride: RideEfforts


@dataclass(frozen=True)
class PersonalRecords:
    best_power: list[PowerRecord]  # shortest duration first
    fastest: list[DistanceRecord]  # shortest distance first


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _order(ride: RideEfforts) -> tuple[bool, datetime | None]:
    """Sort key: timed rides by start, untimed ones last."""
    return (ride.started_at is None, ride.started_at)


def best_of_rides(rides: Iterable[RideEfforts]) -> PersonalRecords:
    """The highest power per duration and the shortest time per distance over the rides."""
    power: dict[int, PowerRecord] = {}
    fastest: dict[float, DistanceRecord] = {}
    for ride in sorted(rides, key=_order):
        for effort in ride.summary.get("best_power") or []:
            watts, seconds = _number(effort.get("power_w")), _number(effort.get("duration_s"))
            if watts is None or seconds is None:
                continue
            held = power.get(int(seconds))
            if held is None or watts > held.power_w:
                power[int(seconds)] = PowerRecord(int(seconds), watts, ride)
        for effort in ride.summary.get("fastest") or []:
            seconds, metres = _number(effort.get("duration_s")), _number(effort.get("distance_m"))
            if seconds is None or metres is None or seconds <= 0:
                continue
            held_distance = fastest.get(metres)
            if held_distance is None or seconds < held_distance.duration_s:
                fastest[metres] = DistanceRecord(metres, seconds, ride)
    return PersonalRecords(
        best_power=[power[k] for k in sorted(power)],
        fastest=[fastest[k] for k in sorted(fastest)],
    )
