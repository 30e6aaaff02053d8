"""The record types that sync carries: each domain registers its own, with a merge kind per field.

A domain hands sync a RecordType: its fields (merge kind and a validator for each) and four
functions over its own tables, so sync never reads another domain's tables:

- `load(session, owner_id, record_id)`: the record's current values, None if the owner has
  no such record (another user's record is None too: it does not exist for this caller);
- `apply(session, owner_id, record_id, values)`: write merged values; flush, never commit;
  raise InvalidInput for a value the domain refuses;
- `delete(session, owner_id, record_id)`: delete the record (None if devices may not);
- `list_ids(session, owner_id)`: every record of the owner, for a device's first pull;
- `create(session, owner_id, record_id, values)` (optional): make a record a device
  created offline under an id it drew (a UUID), from the pushed values of its fields;
  flush, never commit; NotFound if the id is taken (by another owner's record), InvalidInput
  for missing or refused values. Without it, a push for an unknown id is a 404;
- `load_many(session, owner_id, record_ids)` and `apply_many(session, owner_id, changes)`
  (optional, both or neither): the values of many records at once ({record id: values},
  the owner's only) and a write of many records' merged values ({record id: values}), so
  a push of 1,000 mutations costs a few statements, not 1,000 loads and object updates.

A domain reports its own changes (REST edits, imports) with `record_change`, in the same
transaction, so devices pull them.

A field registered `private` (an `lww` field only: a health value, sealed in its domain's
table) keeps its stamp in sync's tables but never its value: merging it needs only the
stamps, and a pull reads the value from the domain (`load_many`, or `load`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bikenode.sync.logic import MergeKind

Validator = Callable[[Any], Any]
MAX_TEXT_CHARS = 10_000
MAX_SET_ELEMENTS = 200
MAX_ELEMENT_CHARS = 100
MAX_COUNTER_STEP = 1e12


class BadValue(ValueError):
    """A value a field does not accept; the message says what was expected."""


@dataclass(frozen=True)
class FieldSpec:
    kind: MergeKind
    validate: Validator
    private: bool = False  # sync stores the stamp, not the value (module docstring)

    def __post_init__(self) -> None:
        if self.private and self.kind != "lww":
            raise ValueError(f"only an lww field can be private, not a {self.kind} field")


@dataclass(frozen=True)
class RecordType:
    name: str
    fields: Mapping[str, FieldSpec]
    load: Callable[[Session, uuid.UUID, str], dict[str, Any] | None]
    apply: Callable[[Session, uuid.UUID, str, dict[str, Any]], None]
    list_ids: Callable[[Session, uuid.UUID], list[str]]
    delete: Callable[[Session, uuid.UUID, str], None] | None = None
    load_many: Callable[[Session, uuid.UUID, list[str]], dict[str, dict[str, Any]]] | None = None
    apply_many: Callable[[Session, uuid.UUID, dict[str, dict[str, Any]]], None] | None = None
    create: Callable[[Session, uuid.UUID, str, dict[str, Any]], None] | None = None


_registry: dict[str, RecordType] = {}


def register_record_type(record_type: RecordType) -> RecordType:
    """Make a record type syncable (once per name); returns it for the domain to keep."""
    known = _registry.get(record_type.name)
    if known is not None and known is not record_type:
        raise ValueError(f"a sync record type named {record_type.name!r} is already registered")
    _registry[record_type.name] = record_type
    return record_type


def get_record_type(name: str) -> RecordType | None:
    """The registered record type of that name, if any."""
    return _registry.get(name)


def record_type_names() -> list[str]:
    """The names of every registered record type."""
    return sorted(_registry)


# Validators: each returns the clean value or raises BadValue.


def text(*, min_chars: int = 0, max_chars: int = MAX_TEXT_CHARS) -> Validator:
    """A string of min_chars to max_chars characters."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise BadValue(f"expected a string, got {type(value).__name__}")
        if not min_chars <= len(value) <= max_chars:
            raise BadValue(f"expected {min_chars} to {max_chars} characters, got {len(value)}")
        return value

    return check


def choice(*allowed: str) -> Validator:
    """One of the given strings."""

    def check(value: Any) -> str:
        if value not in allowed:
            raise BadValue(f"expected one of {', '.join(allowed)}, got {str(value)[:40]!r}")
        return str(value)

    return check


def integer(low: int, high: int, *, nullable: bool = False) -> Validator:
    """A whole number from low to high (or null, if nullable)."""

    def check(value: Any) -> int | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadValue(f"expected a whole number from {low} to {high}, got {value!r:.40}")
        return value

    return check


def amount(value: Any) -> float | int:
    """A counter step: a finite number of at most 1e12 either way."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or abs(value) > MAX_COUNTER_STEP:
        raise BadValue(f"expected a finite number within ±{MAX_COUNTER_STEP:g}, got {value!r}")
    return value


def element(value: Any) -> str:
    """A set element: a string of 1 to 100 characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ELEMENT_CHARS:
        raise BadValue(f"expected a string of 1 to {MAX_ELEMENT_CHARS} characters")
    return value
