"""The bike profile: which OpenStreetMap ways a bike may use, in which direction, at what cost.

A way's cost is its length times a factor: 1.0 for a quiet street, less for a cycleway,
more for busy roads and for paths where a rider pushes. Motorways, steps, ways under
construction and ways closed to bikes are not used at all. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Cost factor per highway type; a type not listed is not used by bikes.
HIGHWAY_FACTORS: Final[dict[str, float]] = {
    "cycleway": 0.8,
    "living_street": 1.0,
    "residential": 1.0,
    "service": 1.1,
    "unclassified": 1.0,
    "road": 1.2,
    "track": 1.2,
    "path": 1.2,
    "bridleway": 1.6,
    "tertiary": 1.15,
    "tertiary_link": 1.15,
    "secondary": 1.4,
    "secondary_link": 1.4,
    "primary": 1.8,
    "primary_link": 1.8,
    "trunk": 3.0,
    "trunk_link": 3.0,
    "pedestrian": 1.8,  # shared with walkers: slow
    "footway": 2.0,  # pushing, unless signed for bikes
    "trail": 2.0,
    "crossing": 1.5,
}
BIKE_SIGNED: Final = frozenset({"yes", "designated", "permissive"})
CLOSED: Final = frozenset({"no", "private", "dismount_no", "use_sidepath"})
UNPAVED_FACTOR: Final = 1.15  # a road bike is slower on gravel, cobbles and dirt
UNPAVED: Final = frozenset(
    {"unpaved", "gravel", "fine_gravel", "compacted", "dirt", "earth", "ground", "grass", "sand",
     "mud", "cobblestone", "sett", "unhewn_cobblestone", "pebblestone", "wood"}
)  # fmt: skip
PAVED_BY_DEFAULT: Final = frozenset(
    {"living_street", "residential", "unclassified", "tertiary", "tertiary_link", "secondary",
     "secondary_link", "primary", "primary_link", "trunk", "trunk_link", "service", "road"}
)  # fmt: skip


@dataclass(frozen=True)
class WayCost:
    """How a bike uses a way: cost factors per direction (None: not that way), its kinds."""

    forward: float | None
    backward: float | None
    highway: str
    surface: str


def bike_way_cost(tags: dict[str, str]) -> WayCost | None:
    """The bike's use of a way with these tags, or None when a bike may not use it at all."""
    highway = tags.get("highway", "")
    factor = HIGHWAY_FACTORS.get(highway)
    if factor is None or tags.get("area") == "yes":
        return None
    bicycle = tags.get("bicycle", "")
    if bicycle in CLOSED or (tags.get("access") in CLOSED and bicycle not in BIKE_SIGNED):
        return None
    if bicycle in BIKE_SIGNED and highway in ("footway", "pedestrian", "path", "trail"):
        factor = 0.9
    surface = tags.get("surface") or ("paved" if highway in PAVED_BY_DEFAULT else "unknown")
    if surface in UNPAVED:
        factor *= UNPAVED_FACTOR
    forward, backward = _directions(tags, highway)
    return WayCost(factor if forward else None, factor if backward else None, highway, surface)


def _directions(tags: dict[str, str], highway: str) -> tuple[bool, bool]:
    """Whether a bike may ride along the way's node order, and against it."""
    if tags.get("oneway:bicycle") == "no" or tags.get("cycleway") in ("opposite", "opposite_lane"):
        return True, True
    oneway = tags.get("oneway:bicycle") or tags.get("oneway", "")
    if tags.get("junction") in ("roundabout", "circular") and oneway != "no":
        oneway = "yes"
    if oneway in ("yes", "true", "1"):
        return True, False
    if oneway == "-1":
        return False, True
    return True, True
