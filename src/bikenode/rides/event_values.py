"""The ride's fields its events carry, as JSON values: what a webhook may pass on.

Only the fields of the API's ride summary (RideListItem) and the editable details: never a
coordinate, a stream or the analytics summary (heart rate, power), whatever changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bikenode.rides.models import Ride

SUMMARY_FIELDS = (
    "name",
    "sport",
    "commute",
    "visibility",
    "started_at",
    "distance_m",
    "moving_time_s",
    "elapsed_time_s",
    "elevation_gain_m",
)
# Editable details an update carries besides the summary's (the API shows them to the owner).
DETAIL_FIELDS = ("description", "share_health")
CARRIED_FIELDS = frozenset(SUMMARY_FIELDS + DETAIL_FIELDS)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def ride_summary(ride: Ride) -> dict[str, Any]:
    """The ride's summary fields as JSON values (datetimes as ISO 8601 strings)."""
    return {name: _json(getattr(ride, name)) for name in SUMMARY_FIELDS}


def changed_values(values: dict[str, Any]) -> dict[str, Any]:
    """The new values of the changed fields an event may carry; others keep only their name."""
    return {name: _json(value) for name, value in values.items() if name in CARRIED_FIELDS}


def values_of(ride: Ride, names: Iterable[str]) -> dict[str, Any]:
    """The ride's current values of these changed fields (those an event may carry)."""
    return changed_values({name: getattr(ride, name) for name in names if name in CARRIED_FIELDS})
