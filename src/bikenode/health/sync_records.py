"""Health's records for offline sync: one daily value (`health_metric`) per record.

A phone logs a value offline under an id (a UUID) it draws and pushes its day, metric,
value and source; sync calls `create` for an id it has never seen. Every write goes through
health's service, so alerts follow. The value is a private field: sync keeps its stamp,
never the value itself, which stays sealed in health_metrics (sync/registry.py).
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.errors import InvalidInput, NotFound
from bikenode.health import sealing, service
from bikenode.health.logic.metrics import (
    EARLIEST_DAY,
    METRICS,
    MetricRuleError,
    check_source,
)
from bikenode.health.models import HealthMetric
from bikenode.sync import (
    BadValue,
    FieldSpec,
    RecordType,
    choice,
    record_change,
    register_record_type,
)

RECORD_NAME = "health_metric"


def _day(value: Any) -> str:
    """A day as YYYY-MM-DD from 1900 on (the service checks it is not after tomorrow)."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or day < EARLIEST_DAY:
        raise BadValue(f"expected a day as YYYY-MM-DD from {EARLIEST_DAY}, got {value!r:.40}")
    return day.isoformat()


def _value(value: Any) -> float:
    """A finite number (its range depends on the metric: the service checks it)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadValue(f"expected a finite number, got {value!r:.40}")
    return float(value)


def _source(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(f"expected a device or app name, got {type(value).__name__}")
    try:
        return check_source(value)
    except MetricRuleError as error:
        raise BadValue(str(error)) from None


def _id(record_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(record_id)
    except ValueError:
        return None


def _own(session: Session, owner_id: uuid.UUID, record_id: str) -> HealthMetric | None:
    row = None if (key := _id(record_id)) is None else session.get(HealthMetric, key)
    return row if row is not None and row.owner_id == owner_id else None


def _values(row: HealthMetric, value: float | None) -> dict[str, Any]:
    return {"day": row.day.isoformat(), "metric": row.metric, "value": value, "source": row.source}


def _load(session: Session, owner_id: uuid.UUID, record_id: str) -> dict[str, Any] | None:
    row = _own(session, owner_id, record_id)
    return None if row is None else _values(row, sealing.open_value(row.id, row.value_sealed))


def _rows(session: Session, owner_id: uuid.UUID, record_ids: list[str]) -> list[HealthMetric]:
    keys = [key for record_id in record_ids if (key := _id(record_id)) is not None]
    rows: list[HealthMetric] = []
    for start in range(0, len(keys), 500):  # under every bound-parameter limit
        rows += session.scalars(
            select(HealthMetric).where(
                HealthMetric.owner_id == owner_id, HealthMetric.id.in_(keys[start : start + 500])
            )
        )
    return rows


def _load_many(
    session: Session, owner_id: uuid.UUID, record_ids: list[str]
) -> dict[str, dict[str, Any]]:
    return {
        str(row.id): _values(row, sealing.open_value(row.id, row.value_sealed))
        for row in _rows(session, owner_id, record_ids)
    }


def _changes(values: dict[str, Any]) -> dict[str, Any]:
    changes = dict(values)
    if "day" in changes:
        changes["day"] = date.fromisoformat(changes["day"])
    return changes


def _apply(session: Session, owner_id: uuid.UUID, record_id: str, values: dict[str, Any]) -> None:
    _apply_many(session, owner_id, {record_id: values})


def _apply_many(session: Session, owner_id: uuid.UUID, changes: dict[str, dict[str, Any]]) -> None:
    rows = {str(row.id): row for row in _rows(session, owner_id, list(changes))}
    missing = sorted(set(changes) - set(rows))
    if missing:
        raise InvalidInput(f"no such {RECORD_NAME}: {missing[0][:64]}")
    edits = [(rows[record_id], _changes(values)) for record_id, values in changes.items()]
    service.change_synced_metrics(session, owner_id=owner_id, edits=edits)


def _create(session: Session, owner_id: uuid.UUID, record_id: str, values: dict[str, Any]) -> None:
    key = _id(record_id)
    if key is None:
        raise InvalidInput(
            f"expected a new {RECORD_NAME}'s id to be a UUID, got {record_id[:64]!r}"
        )
    if session.get(HealthMetric, key) is not None:  # another rider's: as if it did not exist
        raise NotFound(f"no such {RECORD_NAME}: {record_id[:64]}")
    missing = [name for name in ("day", "metric", "value") if values.get(name) is None]
    if missing:
        raise InvalidInput(f"a new {RECORD_NAME} needs {', '.join(missing)}; got none")
    fields = _changes(values)
    entry = service.MetricEntry(
        fields["day"], fields["metric"], fields["value"], fields.get("source") or "manual"
    )
    service.create_synced_metric(session, owner_id=owner_id, metric_id=key, entry=entry)


def _delete(session: Session, owner_id: uuid.UUID, record_id: str) -> None:
    row = _own(session, owner_id, record_id)
    if row is not None:
        service.delete_synced_metric(session, row=row)


def _list_ids(session: Session, owner_id: uuid.UUID) -> list[str]:
    ids = session.scalars(select(HealthMetric.id).where(HealthMetric.owner_id == owner_id))
    return [str(i) for i in ids]


HEALTH_METRIC_RECORD = register_record_type(
    RecordType(
        name=RECORD_NAME,
        fields={
            "day": FieldSpec("lww", _day),
            "metric": FieldSpec("lww", choice(*METRICS)),
            "value": FieldSpec("lww", _value, private=True),
            "source": FieldSpec("lww", _source),
        },
        load=_load,
        apply=_apply,
        list_ids=_list_ids,
        delete=_delete,
        load_many=_load_many,
        apply_many=_apply_many,
        create=_create,
    )
)


def record_metric_saved(session: Session, row: HealthMetric, value: float) -> None:
    """Tell sync a value was entered or imported outside it (in the caller's transaction)."""
    record_change(
        session,
        record_type=HEALTH_METRIC_RECORD,
        owner_id=row.owner_id,
        record_id=str(row.id),
        values=_values(row, value),
    )


def record_metric_deleted(session: Session, row: HealthMetric) -> None:
    """Tell sync a value was deleted (or replaced under another id), so devices drop it."""
    record_change(
        session,
        record_type=HEALTH_METRIC_RECORD,
        owner_id=row.owner_id,
        record_id=str(row.id),
        values=None,
    )
