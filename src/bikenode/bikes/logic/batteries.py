"""A sensor's battery from the readings its rides' FIT files carried (device_info).

Rules, over one sensor's readings in time order:

- **last status / voltage / seen**: of the latest reading (a reading without a voltage keeps
  the last voltage seen; the status is the latest sent).
- **low**: the latest status is "low" or "critical" (the sensor's own judgement), or the
  latest voltage is under the kind's threshold in `LOW_VOLTAGE_V`. Kinds whose batteries vary
  (power meters: LR44 pedals at 1.3 V, CR2032 spiders, Li-ion at 4.2 V; shifting; head
  units) have no threshold: their status decides alone.
- **last charged / replaced**: the latest reading whose voltage is at least `JUMP_V` above
  the reading before it, or whose status is "new" after a worse one. Within a ride a coin
  cell moves by up to about 0.06 V (the shared corpus: 3.01 V to 2.95 V on a speed sensor),
  and with temperature by about 0.1 V; a fresh CR2032 reads 0.3 V or more above a spent one
  and a recharged Li-ion pack 0.2 V or more above a low one. The moment given is the first
  reading that shows it: the battery was charged or replaced on or before then, after the
  reading before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# Volts under which a battery is low, per kind: CR2032 coin cells (3.0 V new) under 2.5 V,
# about where Garmin's straps start to report "low" (in the corpus an HRM says "low" at
# 2.65 V, another "ok" at 2.70 V); Li-ion packs (radar, lights: 4.2 V full) under 3.6 V.
LOW_VOLTAGE_V = {
    "heart_rate": 2.5,
    "speed_cadence": 2.5,
    "radar": 3.6,
    "light": 3.6,
}
LOW_STATUSES = frozenset({"low", "critical"})
STATUS_RANK = {"new": 1, "good": 2, "ok": 3, "low": 4, "critical": 5}
JUMP_V = 0.2


@dataclass(frozen=True)
class Reading:
    """One battery reading: when (UTC), status (or None) and volts (or None)."""

    read_at: datetime
    status: str | None
    voltage_v: float | None


@dataclass(frozen=True)
class BatteryState:
    """What the readings say of a sensor's battery now; `low_reason` names why it is low."""

    status: str | None
    voltage_v: float | None
    last_seen_at: datetime
    low: bool
    low_reason: str | None
    last_charged_at: datetime | None


def battery_state(kind: str, readings: Sequence[Reading]) -> BatteryState | None:
    """The battery state of one sensor of this kind from its readings (any order); None
    for no readings."""
    ordered = sorted(readings, key=lambda r: r.read_at)
    if not ordered:
        return None
    status = ordered[-1].status
    voltage = next((r.voltage_v for r in reversed(ordered) if r.voltage_v is not None), None)
    reason = _low_reason(kind, status, voltage)
    return BatteryState(
        status=status,
        voltage_v=voltage,
        last_seen_at=ordered[-1].read_at,
        low=reason is not None,
        low_reason=reason,
        last_charged_at=_last_charged(ordered),
    )


def _low_reason(kind: str, status: str | None, voltage: float | None) -> str | None:
    if status in LOW_STATUSES:
        return f"the sensor reports its battery {status}"
    threshold = LOW_VOLTAGE_V.get(kind)
    if threshold is not None and voltage is not None and voltage < threshold:
        return f"{voltage:.2f} V is under {threshold:.1f} V"
    return None


def _last_charged(ordered: Sequence[Reading]) -> datetime | None:
    """The first reading after the latest upward jump (voltage or a "new" status)."""
    last_voltage: float | None = None
    last_rank: int | None = None
    charged = None
    for reading in ordered:
        rank = STATUS_RANK.get(reading.status or "")
        jumped = (
            reading.voltage_v is not None
            and last_voltage is not None
            and reading.voltage_v - last_voltage >= JUMP_V
        )
        renewed = rank == 1 and last_rank is not None and last_rank > 1
        if jumped or renewed:
            charged = reading.read_at
        if reading.voltage_v is not None:
            last_voltage = reading.voltage_v
        if rank is not None:
            last_rank = rank
    return charged
