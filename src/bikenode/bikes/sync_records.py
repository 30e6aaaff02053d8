"""Bikes' records for offline sync: bikes, components and service log entries.

A phone may edit these offline, and create a bike or log a service offline too: it draws
the record's id (a UUID) and pushes the fields; sync calls `create` for an id it has never
seen. Times travel as ISO 8601 strings in UTC.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.bikes.logic.catalogue import CATALOGUE
from bikenode.bikes.models import Bike, Component, ServiceEntry
from bikenode.errors import InvalidInput, NotFound
from bikenode.sync import (
    BadValue,
    FieldSpec,
    RecordType,
    choice,
    record_change,
    register_record_type,
    text,
)

BIKE_TYPES = ("road", "gravel", "mtb", "ebike", "trainer", "other")
SERVICE_KINDS = ("service", "replace")


def _optional_text(max_chars: int) -> Callable[[Any], str | None]:
    check = text(max_chars=max_chars)

    def validate(value: Any) -> str | None:
        return None if value is None else check(value)

    return validate


def _moment(value: Any) -> str | None:
    """null, or an ISO 8601 time with a zone, returned in UTC."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise BadValue(f"expected an ISO 8601 time or null, got {value!r:.40}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(f"expected an ISO 8601 time, got {value!r:.40}") from None
    if parsed.tzinfo is None:
        raise BadValue(f"expected a time with a zone (e.g. ...Z), got {value!r:.40}")
    return parsed.astimezone(UTC).isoformat()


def _required_moment(value: Any) -> str:
    moment = _moment(value)
    if moment is None:
        raise BadValue("expected an ISO 8601 time, got null")
    return moment


def _cost(value: Any) -> float | None:
    """null, or a finite amount from 0 to 1e9."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"expected a number or null, got {type(value).__name__}")
    if not math.isfinite(value) or not 0 <= value <= 1e9:
        raise BadValue(f"expected an amount from 0 to 1e9, got {value!r}")
    return float(value)


def _uuid_text(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise BadValue(f"expected a component id (a UUID), got {value!r:.40}") from None


def _to_json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    return value.isoformat() if isinstance(value, datetime) else value


def _from_json(name: str, value: Any) -> Any:
    if name.endswith("_at") and isinstance(value, str):
        return datetime.fromisoformat(value)
    return uuid.UUID(value) if name == "component_id" else value


def _id(record_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(record_id)
    except ValueError:
        return None


def _owned(session: Session, model: Any, owner_id: uuid.UUID, record_id: str) -> Any:
    found = None if (key := _id(record_id)) is None else session.get(model, key)
    return found if found is not None and found.owner_id == owner_id else None


def _values(row: Any, record_type: RecordType) -> dict[str, Any]:
    return {name: _to_json(getattr(row, name)) for name in record_type.fields}


def _loader(model: Any, name: str) -> Any:
    def load(session: Session, owner_id: uuid.UUID, record_id: str) -> dict[str, Any] | None:
        row = _owned(session, model, owner_id, record_id)
        return None if row is None else _values(row, RECORD_TYPES[name])

    return load


def _applier(model: Any, name: str) -> Any:
    def apply(
        session: Session, owner_id: uuid.UUID, record_id: str, values: dict[str, Any]
    ) -> None:
        row = _owned(session, model, owner_id, record_id)
        if row is None:
            raise InvalidInput(f"no such {name}: {record_id}")
        if "component_id" in values:
            _check_component(session, owner_id, values["component_id"])
        for field, value in values.items():
            setattr(row, field, _from_json(field, value))
        session.flush()

    return apply


def _creator(model: Any, name: str, required: tuple[str, ...]) -> Any:
    def create(
        session: Session, owner_id: uuid.UUID, record_id: str, values: dict[str, Any]
    ) -> None:
        key = _id(record_id)
        if key is None:
            raise InvalidInput(f"expected a new {name}'s id to be a UUID, got {record_id[:64]!r}")
        if session.get(model, key) is not None:  # another rider's: as if it did not exist
            raise NotFound(f"no such {name}: {record_id[:64]}")
        missing = [field for field in required if values.get(field) is None]
        if missing:
            raise InvalidInput(f"a new {name} needs {', '.join(missing)}; got none")
        if "component_id" in values:
            _check_component(session, owner_id, values["component_id"])
        fields = {field: _from_json(field, value) for field, value in values.items()}
        session.add(model(id=key, owner_id=owner_id, **fields))
        session.flush()

    return create


def _check_component(session: Session, owner_id: uuid.UUID, component_id: str) -> None:
    if _owned(session, Component, owner_id, component_id) is None:
        raise InvalidInput(f"no such component: {component_id}")


def _lister(model: Any) -> Any:
    def list_ids(session: Session, owner_id: uuid.UUID) -> list[str]:
        return [str(i) for i in session.scalars(select(model.id).where(model.owner_id == owner_id))]

    return list_ids


def _delete_service(session: Session, owner_id: uuid.UUID, record_id: str) -> None:
    row = _owned(session, ServiceEntry, owner_id, record_id)
    if row is not None:
        session.delete(row)


BIKE_RECORD = RecordType(
    name="bike",
    fields={
        "name": FieldSpec("text", text(min_chars=1, max_chars=200)),
        "type": FieldSpec("lww", choice(*BIKE_TYPES)),
        "brand": FieldSpec("lww", _optional_text(100)),
        "model": FieldSpec("lww", _optional_text(100)),
        "frame_size": FieldSpec("lww", _optional_text(20)),
        "retired_at": FieldSpec("lww", _moment),
    },
    load=_loader(Bike, "bike"),
    apply=_applier(Bike, "bike"),
    list_ids=_lister(Bike),
    create=_creator(Bike, "bike", ("name", "type")),
)
COMPONENT_RECORD = RecordType(
    name="component",
    fields={
        "type": FieldSpec("lww", choice(*CATALOGUE)),
        "brand": FieldSpec("lww", _optional_text(100)),
        "model": FieldSpec("lww", _optional_text(100)),
        "notes": FieldSpec("text", text(max_chars=10_000)),
        "cost": FieldSpec("lww", _cost),
        "retired_at": FieldSpec("lww", _moment),
    },
    load=_loader(Component, "component"),
    apply=_applier(Component, "component"),
    list_ids=_lister(Component),
    create=_creator(Component, "component", ("type",)),
)
SERVICE_RECORD = RecordType(
    name="service_log",
    fields={
        "component_id": FieldSpec("lww", _uuid_text),
        "kind": FieldSpec("lww", choice(*SERVICE_KINDS)),
        "done_at": FieldSpec("lww", _required_moment),
        "cost": FieldSpec("lww", _cost),
        "notes": FieldSpec("text", text(max_chars=10_000)),
    },
    load=_loader(ServiceEntry, "service_log"),
    apply=_applier(ServiceEntry, "service_log"),
    list_ids=_lister(ServiceEntry),
    delete=_delete_service,
    create=_creator(ServiceEntry, "service_log", ("component_id", "kind", "done_at")),
)
RECORD_TYPES = {
    record.name: register_record_type(record)
    for record in (BIKE_RECORD, COMPONENT_RECORD, SERVICE_RECORD)
}


def _saved(session: Session, record_type: RecordType, row: Any) -> None:
    record_change(
        session,
        record_type=record_type,
        owner_id=row.owner_id,
        record_id=str(row.id),
        values=_values(row, record_type),
    )


def record_bike_saved(session: Session, bike: Bike) -> None:
    """Tell sync a bike was created or edited outside it (in the caller's transaction)."""
    _saved(session, BIKE_RECORD, bike)


def record_bike_deleted(session: Session, bike: Bike) -> None:
    """Tell sync a bike was deleted, so devices drop it."""
    record_change(
        session,
        record_type=BIKE_RECORD,
        owner_id=bike.owner_id,
        record_id=str(bike.id),
        values=None,
    )


def record_component_saved(session: Session, component: Component) -> None:
    """Tell sync a component was created or edited outside it."""
    _saved(session, COMPONENT_RECORD, component)


def record_service_saved(session: Session, entry: ServiceEntry) -> None:
    """Tell sync a service log entry was written outside it."""
    _saved(session, SERVICE_RECORD, entry)
