"""Rides' records for offline sync: a ride's editable fields and how each one merges."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bikenode.errors import InvalidInput
from bikenode.events import publish
from bikenode.rides.event_values import changed_values
from bikenode.rides.events import RideChanged, RideDeleted
from bikenode.rides.models import Ride
from bikenode.sync import (
    BadValue,
    FieldSpec,
    RecordType,
    choice,
    record_change,
    register_record_type,
    text,
)

SPORT_CHARS = 40


def _share_health(value: Any) -> bool | None:
    """true, false, or null (follow the rider's default)."""
    if value is not None and not isinstance(value, bool):
        raise BadValue(f"expected true, false or null, got {value!r:.40}")
    return value


def _flag(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise BadValue(f"expected true or false, got {value!r:.40}")
    return value


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
    changed = RideChanged(
        ride_id=ride.id,
        owner_id=owner_id,
        changed=tuple(values),
        values=changed_values(values),
        visibility=ride.visibility,
    )
    publish(session, changed)


def _delete(session: Session, owner_id: uuid.UUID, record_id: str) -> None:
    ride = _ride(session, owner_id, record_id)
    if ride is not None:
        publish(
            session, RideDeleted(ride_id=ride.id, owner_id=owner_id, visibility=ride.visibility)
        )
        session.delete(ride)


def _ride_ids(record_ids: list[str]) -> list[uuid.UUID]:
    ids = []
    for record_id in record_ids:
        try:
            ids.append(uuid.UUID(record_id))
        except ValueError:
            continue
    return ids


def _load_many(
    session: Session, owner_id: uuid.UUID, record_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The editable fields of the owner's rides among these ids: columns, not objects."""
    columns = [Ride.id, *(getattr(Ride, field) for field in RIDE_RECORD.fields)]
    ids = _ride_ids(record_ids)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):  # under every database's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(*columns).where(Ride.owner_id == owner_id, Ride.id.in_(chunk))
        )
        for ride_id, *values in rows:
            found[str(ride_id)] = dict(zip(RIDE_RECORD.fields, values, strict=True))
    return found


def _apply_many(session: Session, owner_id: uuid.UUID, changes: dict[str, dict[str, Any]]) -> None:
    """One UPDATE per set of changed fields, run for all rides that changed those fields."""
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    owned = _owned(session, owner_id, list(changes))
    for record_id, values in changes.items():
        row = {f"new_{field}": value for field, value in values.items()}
        by_fields.setdefault(tuple(sorted(values)), []).append(
            {**row, "ride_id": uuid.UUID(record_id)}
        )
        # Only the owner's rides: the UPDATE below changes no other rider's.
        if uuid.UUID(record_id) in owned:
            changed = RideChanged(
                ride_id=uuid.UUID(record_id),
                owner_id=owner_id,
                changed=tuple(values),
                values=changed_values(values),
                visibility=values.get("visibility"),  # unchanged: not loaded, so not known
            )
            publish(session, changed)
    table = cast(Table, Ride.__table__)
    for fields, rows in by_fields.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("ride_id"), table.c.owner_id == owner_id)
            .values({field: bindparam(f"new_{field}") for field in fields})
        )
        session.execute(statement, rows)


def _owned(session: Session, owner_id: uuid.UUID, record_ids: list[str]) -> set[uuid.UUID]:
    ids = _ride_ids(record_ids)
    owned: set[uuid.UUID] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        owned.update(
            session.scalars(select(Ride.id).where(Ride.owner_id == owner_id, Ride.id.in_(chunk)))
        )
    return owned


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
            "share_health": FieldSpec("lww", _share_health),
            "commute": FieldSpec("lww", _flag),
        },
        load=_load,
        apply=_apply,
        list_ids=_list_ids,
        delete=_delete,
        load_many=_load_many,
        apply_many=_apply_many,
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
