"""Idempotency keys on the database (rules in logic/idempotency.py).

`claim` writes the key as running in its own short transaction, so that of two concurrent
requests with one key exactly one goes on (the other meets the primary key and gets 409 or
the stored answer); `finish` stores the answer once the work has committed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.errors import Conflict, InvalidInput
from bikenode.market.logic import idempotency as rules
from bikenode.market.models import IdempotencyKey


@dataclass(frozen=True)
class Replay:
    """The first request's answer, to be sent again."""

    status_code: int
    answer: dict[str, Any]


def claim(
    session: Session, *, user_id: uuid.UUID, key: str | None, fingerprint: str
) -> Replay | None:
    """None when this request is the first with the key (go on), else the stored answer.

    Raises InvalidInput for a bad key or a key reused with another request, Conflict while
    the first request with the key is still running. Commits.
    """
    try:
        key = rules.check_key(key)
    except rules.BadIdempotencyKey as error:
        raise InvalidInput(str(error)) from error
    for _ in range(2):
        now = utcnow()
        session.add(
            IdempotencyKey(
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
                expires_at=now + rules.KEY_TTL,
            )
        )
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        row = session.get(IdempotencyKey, (user_id, key))
        if row is None:
            continue  # expired and deleted meanwhile: try once more
        stored = rules.Stored(
            row.fingerprint, row.status_code is not None, row.created_at, row.expires_at
        )
        decision = rules.decide(stored, fingerprint, now)
        if decision == "mismatch":
            raise InvalidInput(f"the Idempotency-Key {key!r} was used for another request")
        if decision == "running":
            raise Conflict(f"a request with the Idempotency-Key {key!r} is still running")
        if decision == "replay":
            return Replay(row.status_code or 200, row.answer or {})
        session.delete(row)  # expired: this request starts afresh
        session.commit()
    raise Conflict(f"the Idempotency-Key {key!r} is in use; try again")


def finish(
    session: Session, *, user_id: uuid.UUID, key: str, status_code: int, answer: dict[str, Any]
) -> None:
    """Store the answer sent for the key. Commits."""
    row = session.get(IdempotencyKey, (user_id, key))
    if row is not None:
        row.status_code, row.answer = status_code, answer
        session.commit()


def release(session: Session, *, user_id: uuid.UUID, key: str) -> None:
    """Forget a key whose request failed before any effect, so a retry may run. Commits."""
    session.rollback()
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.status_code.is_(None),
        )
    )
    session.commit()


def purge_expired(session: Session) -> int:
    """Delete keys past their 24 h; the number deleted. Commits."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow()))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
