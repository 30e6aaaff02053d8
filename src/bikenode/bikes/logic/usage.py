"""What a component has done: the rides on its bike while it was fitted, summed.

A component is installed on a bike or inside a parent component (a tyre in a wheelset, a
chain in a drivetrain) for a window [installed_at, removed_at): the start is inside, the
end is not, and an open window (removed_at None) lasts until now. A component's placements
are the (bike, window) pairs it rode on: its own windows on a bike, and its windows in a
parent clipped to each of the parent's placements, up the tree. A ride counts for the
component when it ran on a placement's bike and its start lies inside that placement's
window; an untimed ride (no start) counts for no component. Figures: metres, seconds of
moving time, metres of climbing and a ride count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

# A component tree deeper than this is a cycle in the data, not a bike.
MAX_TREE_DEPTH = 16


@dataclass(frozen=True)
class Usage:
    """Distance (m), moving time (s), elevation gain (m) and how many rides."""

    distance_m: float = 0.0
    moving_s: float = 0.0
    elevation_gain_m: float = 0.0
    rides: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.distance_m + other.distance_m,
            self.moving_s + other.moving_s,
            self.elevation_gain_m + other.elevation_gain_m,
            self.rides + other.rides,
        )

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.distance_m - other.distance_m,
            self.moving_s - other.moving_s,
            self.elevation_gain_m - other.elevation_gain_m,
            self.rides - other.rides,
        )


@dataclass(frozen=True)
class RideOnBike:
    """One ride as bikes keeps it: its bike, its start (UTC, None if untimed), its figures."""

    ride_id: uuid.UUID
    bike_id: uuid.UUID
    started_at: datetime | None
    distance_m: float = 0.0
    moving_s: float = 0.0
    elevation_gain_m: float = 0.0

    @property
    def usage(self) -> Usage:
        return Usage(self.distance_m, self.moving_s, self.elevation_gain_m, 1)


@dataclass(frozen=True)
class Installation:
    """A window in which a component sat on a bike (bike_id) or in a parent (parent_id)."""

    component_id: uuid.UUID
    installed_at: datetime
    removed_at: datetime | None = None
    bike_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Placement:
    """A component rode on `bike_id` for the window [start, end) (end None: still there)."""

    bike_id: uuid.UUID
    start: datetime
    end: datetime | None

    def holds(self, ride: RideOnBike) -> bool:
        """Whether the ride ran on this bike and started inside the window."""
        if ride.bike_id != self.bike_id or ride.started_at is None:
            return False
        return self.start <= ride.started_at and (self.end is None or ride.started_at < self.end)


def windows_overlap(
    a_start: datetime, a_end: datetime | None, b_start: datetime, b_end: datetime | None
) -> bool:
    """Whether two windows [start, end) share an instant (an end None is open)."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def _clip(
    start: datetime, end: datetime | None, outer: Placement
) -> tuple[datetime, datetime | None] | None:
    """The part of [start, end) inside the outer placement's window, if any."""
    low = max(start, outer.start)
    ends = [e for e in (end, outer.end) if e is not None]
    high = min(ends) if ends else None
    return (low, high) if high is None or low < high else None


def placements(
    component_id: uuid.UUID,
    windows: Mapping[uuid.UUID, Sequence[Installation]],
    *,
    depth: int = 0,
) -> list[Placement]:
    """Every (bike, window) the component rode on, through its parents' windows.

    `windows` maps each component id to its installations. Raises ValueError for a tree
    deeper than MAX_TREE_DEPTH (a component inside itself).
    """
    if depth > MAX_TREE_DEPTH:
        raise ValueError(f"expected a component tree at most {MAX_TREE_DEPTH} deep, got deeper")
    found: list[Placement] = []
    for window in windows.get(component_id, ()):
        if window.bike_id is not None:
            found.append(Placement(window.bike_id, window.installed_at, window.removed_at))
        elif window.parent_id is not None:
            for outer in placements(window.parent_id, windows, depth=depth + 1):
                clipped = _clip(window.installed_at, window.removed_at, outer)
                if clipped is not None:
                    found.append(Placement(outer.bike_id, *clipped))
    return found


def counts(where: Sequence[Placement], ride: RideOnBike) -> bool:
    """Whether the ride counts for a component with these placements."""
    return any(placement.holds(ride) for placement in where)


def usage_of(where: Sequence[Placement], rides: Iterable[RideOnBike]) -> Usage:
    """A component's usage from rides alone: the sum over rides inside its placements.

    A ride counts once even if two placements hold it (they never should: a component's
    own windows may not overlap).
    """
    total = Usage()
    for ride in rides:
        if counts(where, ride):
            total = total + ride.usage
    return total


def with_ride(usage: Usage, where: Sequence[Placement], ride: RideOnBike) -> Usage:
    """The usage after a ride was added (unchanged if it does not count here)."""
    return usage + ride.usage if counts(where, ride) else usage


def without_ride(usage: Usage, where: Sequence[Placement], ride: RideOnBike) -> Usage:
    """The usage after a ride that was counted (if it counts here) was removed."""
    return usage - ride.usage if counts(where, ride) else usage


def since(where: Sequence[Placement], moment: datetime) -> list[Placement]:
    """The placements cut to what lies from `moment` on (for usage since a service)."""
    cut = []
    for placement in where:
        if placement.end is None or placement.end > moment:
            cut.append(Placement(placement.bike_id, max(placement.start, moment), placement.end))
    return cut
