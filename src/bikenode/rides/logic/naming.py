"""Default ride names, as a rider would write them ("Morning ride")."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

SPORT_NOUNS = {
    "cycling": "ride",
    "virtual_cycling": "virtual ride",
    "ebike": "e-bike ride",
    "gravel_cycling": "gravel ride",
    "mountain_biking": "mountain bike ride",
    "running": "run",
    "walking": "walk",
    "hiking": "hike",
}


def part_of_day(hour: int) -> str:
    """Night, Morning, Lunch, Afternoon or Evening for an hour of the local day."""
    if hour < 5:
        return "Night"
    if hour < 11:
        return "Morning"
    if hour < 14:
        return "Lunch"
    if hour < 18:
        return "Afternoon"
    if hour < 22:
        return "Evening"
    return "Night"


def default_ride_name(started_at: datetime | None, sport: str | None, timezone: str) -> str:
    """A name like "Evening ride" in the rider's timezone, or "Ride" with no start time."""
    noun = SPORT_NOUNS.get(sport or "cycling", (sport or "ride").replace("_", " "))
    if started_at is None:
        return noun.capitalize()
    try:
        local = started_at.astimezone(zoneinfo.ZoneInfo(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = started_at
    return f"{part_of_day(local.hour)} {noun}"
