"""Delivery rules without I/O: backoff, when a failure becomes a dead letter, per-aggregate order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_MAX_ATTEMPTS = 8
MAX_BACKOFF_S = 300.0


def backoff_s(attempts: int) -> float:
    """Seconds to wait after the given number of failed attempts: 1, 2, 4 ... capped at 300."""
    return min(MAX_BACKOFF_S, 2.0 ** max(0, attempts - 1))


@dataclass(frozen=True)
class AfterFailure:
    """What becomes of an event whose handler failed: tried again later, or a dead letter."""

    dead: bool
    attempts: int
    next_attempt_at: datetime


def after_failure(attempts_before: int, *, max_attempts: int, now: datetime) -> AfterFailure:
    """The event's state after one more failed attempt; dead once max_attempts have failed."""
    attempts = attempts_before + 1
    return AfterFailure(
        dead=attempts >= max_attempts,
        attempts=attempts,
        next_attempt_at=now + timedelta(seconds=backoff_s(attempts)),
    )


class OrderGate:
    """Which events a subscriber may handle now: none of an aggregate that has one held back.

    An aggregate is held while an earlier event of it waits (failed, blocked or dead), so a
    subscriber never sees event N+1 of a ride before event N succeeded for it.
    """

    def __init__(self, held_aggregates: Iterable[str] = ()) -> None:
        self._held = set(held_aggregates)

    def may_deliver(self, aggregate_id: str) -> bool:
        """True if no earlier event of this aggregate is held back."""
        return aggregate_id not in self._held

    def hold(self, aggregate_id: str) -> None:
        """Hold every later event of this aggregate (its current one failed)."""
        self._held.add(aggregate_id)
