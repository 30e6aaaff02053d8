"""Reading what an export says of a rider's bikes (Strava's bikes.csv and "Activity Gear")."""

from __future__ import annotations

# Sports a bike is ridden in; an export's gear on anything else (a run) names shoes.
BIKE_SPORTS = frozenset(
    {
        "cycling",
        "road_cycling",
        "gravel_cycling",
        "mountain_biking",
        "ebike",
        "virtual_cycling",
        "indoor_cycling",
        "cyclocross",
        "track_cycling",
    }
)

# Strava's sport types ("GravelRide", or "Gravel Ride" as activities.csv writes them),
# lower-cased with everything but letters squeezed out ("E-Bike Ride": "ebikeride").
_TYPE_BY_STRAVA_SPORT = {
    "virtualride": "trainer",
    "ebikeride": "ebike",
    "emountainbikeride": "ebike",
    "mountainbikeride": "mtb",
    "gravelride": "gravel",
    "ride": "road",
}
# When a bike claims several sports, the most telling one gives its type.
_TYPE_ORDER = ("trainer", "ebike", "mtb", "gravel", "road")


def same_name(a: str, b: str) -> bool:
    """Whether two bike names are the same, case and spacing aside ("Canyon  endurace")."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def bike_type_of(strava_sports: str) -> str:
    """Our bike type from bikes.csv's "Bike Default Sport Types" ("Ride, GravelRide");
    "road" when it names none we know (Strava's own default for a bike)."""
    named = {
        _TYPE_BY_STRAVA_SPORT.get("".join(c for c in part.lower() if c.isalpha()))
        for part in strava_sports.replace(";", ",").split(",")
    }
    return next((kind for kind in _TYPE_ORDER if kind in named), "road")


def rides_a_bike(sport: str) -> bool:
    """Whether a ride of this sport is ridden on a bike (its gear is a bike, not shoes)."""
    return sport in BIKE_SPORTS
