"""What rides announces to other domains (through the outbox, see bikenode.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from bikenode.events import Event


@dataclass(frozen=True)
class RideImported(Event):
    """A new ride was stored (from a file, an archive or a live session)."""

    type = "rides.ride_imported"
    aggregate = "ride_id"
    user = "owner_id"

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    # The bike the file's source recorded it with, by name (Strava's "Activity Gear").
    gear: str | None = None
    # The ride's summary fields when it was stored (rides/event_values.py); None in events
    # stored before they carried it.
    summary: dict[str, Any] | None = None


@dataclass(frozen=True)
class RideChanged(Event):
    """A ride's details or streams changed; `changed` names the fields, `values` holds the
    new values of those a webhook may carry (rides/event_values.py: never streams)."""

    type = "rides.ride_changed"
    aggregate = "ride_id"
    user = "owner_id"

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    changed: tuple[str, ...]
    values: dict[str, Any] | None = None
    visibility: str | None = None  # after the change; None: not known (treated as private)


@dataclass(frozen=True)
class RideDeleted(Event):
    """The owner deleted a ride."""

    type = "rides.ride_deleted"
    aggregate = "ride_id"
    user = "owner_id"

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    visibility: str | None = None  # before the deletion; None: not known (treated as private)


@dataclass(frozen=True)
class GearListed(Event):
    """An export archive listed the rider's bikes (Strava's bikes.csv): parallel tuples, one
    entry per bike ("" where the export left a field empty)."""

    type = "rides.gear_listed"
    aggregate = "owner_id"
    user = "owner_id"

    owner_id: uuid.UUID
    upload_id: uuid.UUID
    names: tuple[str, ...]
    brands: tuple[str, ...]
    models: tuple[str, ...]
    sports: tuple[str, ...]
