"""Sport types as the peers name them, from a file's sport and sub-sport.

A FIT file says `cycling` with a sub-sport of `gravel_cycling`, `mountain`, `virtual_activity`
and so on; Strava and Garmin exports already name the type (see formats/archives.py). Both
end up as the same lower-case names: `cycling`, `virtual_cycling`, `ebike`, `gravel_cycling`,
`mountain_biking`. A commute is a flag beside the sport, not a sport.
"""

from __future__ import annotations

_CYCLING_SUB_SPORTS = {
    "virtual_activity": "virtual_cycling",
    "indoor_cycling": "virtual_cycling",  # a trainer ride has no real track either
    "gravel_cycling": "gravel_cycling",
    "mountain": "mountain_biking",
    "downhill": "mountain_biking",
    "e_bike_mountain": "ebike",
    "e_bike_fitness": "ebike",
}
COMMUTE_SUB_SPORT = "commuting"


def ride_sport(sport: str | None, sub_sport: str | None) -> str:
    """The sport type of a ride from a file's sport and sub-sport (cycling when unknown)."""
    if sport == "e_biking":
        return "ebike"
    if sport in (None, "cycling"):
        return _CYCLING_SUB_SPORTS.get(sub_sport or "", "cycling")
    return sport


def is_commute(sub_sport: str | None) -> bool:
    """Whether a file's sub-sport marks the ride as a commute."""
    return sub_sport == COMMUTE_SUB_SPORT
