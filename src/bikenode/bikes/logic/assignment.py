"""Which bike a new ride goes on: the rider's default bike for its sport, indoor rides on
the trainer.

A ride is indoor when its sport is a virtual one (virtual_cycling) or its sub-sport says
so (indoor_cycling, virtual_activity, spin, trainer). An indoor ride goes on the rider's
trainer bike (type "trainer") if there is one; otherwise, like any ride, on the bike that
names its sport among its defaults. No match: no bike (the rider can choose one).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

INDOOR_SPORTS = frozenset({"virtual_cycling", "indoor_cycling"})
INDOOR_SUB_SPORTS = frozenset({"indoor_cycling", "virtual_activity", "spin", "trainer"})


@dataclass(frozen=True)
class BikeChoice:
    """A bike in service: its id, its type and the sports it is the default for."""

    bike_id: uuid.UUID
    type: str
    default_for_sports: Sequence[str]


@dataclass(frozen=True)
class Assignment:
    bike_id: uuid.UUID
    reason: str


def is_indoor(sport: str, sub_sport: str | None) -> bool:
    """Whether a ride was ridden indoors (on a trainer or in a virtual world)."""
    return sport in INDOOR_SPORTS or (sub_sport or "") in INDOOR_SUB_SPORTS


def choose_bike(
    sport: str, sub_sport: str | None, bikes: Sequence[BikeChoice]
) -> Assignment | None:
    """The bike a ride goes on and why, or None when no bike fits; `bikes` oldest first."""
    if is_indoor(sport, sub_sport):
        for bike in bikes:
            if bike.type == "trainer":
                return Assignment(bike.bike_id, f"indoor {sport}: the trainer bike")
    for bike in bikes:
        if sport in bike.default_for_sports:
            return Assignment(bike.bike_id, f"default bike for {sport}")
    return None
