"""How every domain writes its part of a user's data export: plain JSON, readable by people.

Ids and times become strings (UUIDs as text, times as ISO 8601), non-finite numbers are
refused rather than written as NaN (which is not JSON).
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any


def plain(value: Any) -> Any:
    """A column value as JSON can hold it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return value


def fields_of(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    """These attributes of a row, as plain values."""
    return {name: plain(getattr(row, name)) for name in names}


def json_bytes(value: Any) -> bytes:
    """The export's JSON encoding: UTF-8, indented, no NaN or Infinity."""
    return json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False).encode()
