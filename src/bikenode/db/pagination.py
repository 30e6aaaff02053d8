"""Keyset pagination, newest first by a timestamp then an id: one cursor for every list."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from bikenode.errors import InvalidInput

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])
BAD_CURSOR = "expected a cursor from a previous page, got something else"


def newest_first(
    statement: S,
    *,
    at: InstrumentedAttribute[datetime],
    key: InstrumentedAttribute[uuid.UUID],
    limit: int,
    cursor: str | None,
) -> S:
    """The statement ordered newest first, after the cursor's row, one row beyond the page
    (so `page` can tell whether another page follows). InvalidInput for a foreign cursor."""
    if cursor:
        last_at, last_key = _decode(cursor)
        statement = statement.where(or_(at < last_at, and_(at == last_at, key < last_key)))
    return statement.order_by(at.desc(), key.desc()).limit(limit + 1)


def page(
    rows: Sequence[T], *, limit: int, at: Callable[[T], datetime], key: Callable[[T], uuid.UUID]
) -> tuple[list[T], str | None]:
    """The rows of one page and the cursor of the next (None on the last page)."""
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    raw = json.dumps([at(last).isoformat(), str(key(last))], separators=(",", ":")).encode()
    return list(rows[:limit]), base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw_at, raw_key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        last_at, last_key = datetime.fromisoformat(raw_at), uuid.UUID(raw_key)
    except (ValueError, binascii.Error, TypeError, AttributeError):
        raise InvalidInput(BAD_CURSOR) from None
    if last_at.tzinfo is None:
        raise InvalidInput(BAD_CURSOR)
    return last_at, last_key
