"""Rides' records for offline sync: a ride's editable fields and how each one merges."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.errors import InvalidInput
from bikenode.rides.models import Ride
from bikenode.sync import FieldSpec, RecordType, choice, record_change, register_record_type, text

SPORT_CHARS = 40


def _ride(session: Session, owner_id: uuid.UUID, record_id: str) -> Ride | None:
    try:
        ride_id = uuid.UUID(record_id)
    except ValueError:
        return None
    ride = session.get(Ride, ride_id)
    return ride if ride is not None and ride.owner_id == owner_id else None


def _values(ride: Ride) -> dict[str, Any]:
    return {field: getattr(ride, field) for field in RIDE_RECORD.fields}


def _load(session: Session, owner_id: uuid.UUID, record_id: str) -> dict[str, Any] | None:
    ride = _ride(session, owner_id, record_id)
    return None if ride is None else _values(ride)


def _apply(session: Session, owner_id: uuid.UUID, record_id: str, values: dict[str, Any]) -> None:
    ride = _ride(session, owner_id, record_id)
    if ride is None:
        raise InvalidInput(f"no such ride: {record_id}")
    for field, value in values.items():
        setattr(ride, field, value)


def _delete(session: Session, owner_id: uuid.UUID, record_id: str) -> None:
    ride = _ride(session, owner_id, record_id)
    if ride is not None:
        session.delete(ride)


def _prefetch(session: Session, owner_id: uuid.UUID, record_ids: list[str]) -> list[Any]:
    ids = []
    for record_id in record_ids:
        try:
            ids.append(uuid.UUID(record_id))
        except ValueError:
            continue
    rides: list[Any] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rides.extend(
            session.scalars(select(Ride).where(Ride.owner_id == owner_id, Ride.id.in_(chunk)))
        )
    return rides


def _list_ids(session: Session, owner_id: uuid.UUID) -> list[str]:
    return [str(i) for i in session.scalars(select(Ride.id).where(Ride.owner_id == owner_id))]


RIDE_RECORD = register_record_type(
    RecordType(
        name="ride",
        fields={
            "name": FieldSpec("text", text(min_chars=1, max_chars=200)),
            "description": FieldSpec("text", text(max_chars=10_000)),
            "sport": FieldSpec("lww", text(min_chars=1, max_chars=SPORT_CHARS)),
            "visibility": FieldSpec("lww", choice("private", "followers", "public")),
        },
        load=_load,
        apply=_apply,
        list_ids=_list_ids,
        delete=_delete,
        prefetch=_prefetch,
    )
)


def record_ride_saved(session: Session, ride: Ride) -> None:
    """Tell sync a ride was created or edited outside it (in the caller's transaction)."""
    record_change(
        session,
        record_type=RIDE_RECORD,
        owner_id=ride.owner_id,
        record_id=str(ride.id),
        values=_values(ride),
    )


def record_ride_deleted(session: Session, ride: Ride) -> None:
    """Tell sync a ride was deleted outside it, so devices drop it (a tombstone)."""
    record_change(
        session,
        record_type=RIDE_RECORD,
        owner_id=ride.owner_id,
        record_id=str(ride.id),
        values=None,
    )
