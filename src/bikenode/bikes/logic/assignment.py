"""Which bike a new ride goes on: indoor rides on the trainer, then the bike its devices
say, then the rider's default bike for its sport.

A ride is indoor when its sport is a virtual one (virtual_cycling) or its sub-sport says
so (indoor_cycling, virtual_activity, spin, trainer). An indoor ride goes on the rider's
trainer bike (type "trainer") if there is one.

Devices: the FIT file names the head unit and the sensors by serial number. Bikes learns
where each serial belongs from the rides the rider put on a bike themselves: a serial seen
on rides the rider put on bike B points at B, in proportion to how often. Each device of
the new ride votes for the bikes its serial points at, weighted by how much it says about
the bike: a power meter (4) is bolted to one bike, a speed or cadence sensor (2) usually
too, a head unit or another sensor (1) moves between bikes, a heart-rate strap (0.25) goes
with the rider. The bike with the most votes wins, and the reason names the device that
gave it the most ("power meter 12345 is on Tarmac"). No vote: the default bike for the
ride's sport; no match: no bike (the rider can choose one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

INDOOR_SPORTS = frozenset({"virtual_cycling", "indoor_cycling"})
INDOOR_SUB_SPORTS = frozenset({"indoor_cycling", "virtual_activity", "spin", "trainer"})
DEVICE_WEIGHTS = {
    "power_meter": 4.0,
    "speed_cadence": 2.0,
    "shifting": 2.0,  # electronic groupsets stay on their bike
    "head_unit": 1.0,
    "radar": 1.0,  # a radar or a light clips from bike to bike
    "light": 1.0,
    "sensor": 1.0,
    "heart_rate": 0.25,
}
DEVICE_NAMES = {
    "power_meter": "power meter",
    "speed_cadence": "speed/cadence sensor",
    "shifting": "shifting",
    "radar": "radar",
    "light": "light",
    "head_unit": "head unit",
    "sensor": "sensor",
    "heart_rate": "heart-rate strap",
}

Device = tuple[str, str]  # (serial, kind)
Learned = dict[str, dict[uuid.UUID, int]]  # serial -> bike -> rides the rider put there


@dataclass(frozen=True)
class BikeChoice:
    """A bike in service: its id, its type, the sports it is the default for, its name."""

    bike_id: uuid.UUID
    type: str
    default_for_sports: Sequence[str]
    name: str = ""


@dataclass(frozen=True)
class Assignment:
    bike_id: uuid.UUID
    reason: str


def is_indoor(sport: str, sub_sport: str | None) -> bool:
    """Whether a ride was ridden indoors (on a trainer or in a virtual world)."""
    return sport in INDOOR_SPORTS or (sub_sport or "") in INDOOR_SUB_SPORTS


def learn(chosen: Iterable[tuple[uuid.UUID, Sequence[Device]]]) -> Learned:
    """Where each serial was seen: from (bike, devices) of the rides the rider assigned."""
    learned: Learned = {}
    for bike_id, devices in chosen:
        for serial, _kind in devices:
            seen = learned.setdefault(serial, {})
            seen[bike_id] = seen.get(bike_id, 0) + 1
    return learned


def by_devices(
    devices: Sequence[Device], learned: Learned, bikes: Sequence[BikeChoice]
) -> Assignment | None:
    """The bike the ride's devices point at, and the device that says so most; None when
    no device of the ride was seen on a bike in service."""
    in_service = {bike.bike_id: bike for bike in bikes}
    votes: dict[uuid.UUID, float] = {}
    best: dict[uuid.UUID, tuple[float, Device]] = {}
    for serial, kind in devices:
        seen = {b: n for b, n in learned.get(serial, {}).items() if b in in_service}
        total = sum(seen.values())
        for bike_id, count in seen.items():
            vote = DEVICE_WEIGHTS.get(kind, 1.0) * count / total
            votes[bike_id] = votes.get(bike_id, 0.0) + vote
            if vote > best.get(bike_id, (0.0, ("", "")))[0]:
                best[bike_id] = (vote, (serial, kind))
    if not votes:
        return None
    winner = max(votes, key=lambda b: (votes[b], str(b)))
    serial, kind = best[winner][1]
    name = in_service[winner].name or "that bike"
    return Assignment(winner, f"{DEVICE_NAMES.get(kind, kind)} {serial} is on {name}")


def choose_bike(
    sport: str,
    sub_sport: str | None,
    bikes: Sequence[BikeChoice],
    devices: Sequence[Device] = (),
    learned: Learned | None = None,
) -> Assignment | None:
    """The bike a ride goes on and why, or None when no bike fits; `bikes` oldest first."""
    if is_indoor(sport, sub_sport):
        for bike in bikes:
            if bike.type == "trainer":
                return Assignment(bike.bike_id, f"indoor {sport}: the trainer bike")
    if devices and learned:
        found = by_devices(devices, learned, bikes)
        if found is not None:
            return found
    for bike in bikes:
        if sport in bike.default_for_sports:
            return Assignment(bike.bike_id, f"default bike for {sport}")
    return None
