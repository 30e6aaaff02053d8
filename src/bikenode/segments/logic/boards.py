"""Leaderboards as pure functions: one best effort per rider, ranked deterministically."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

PERIODS = ("all", "year", "month")


@dataclass(frozen=True)
class BoardEffort:
    """What a board needs of an effort: whose, how long (seconds), when (UTC), which."""

    effort_id: uuid.UUID
    owner_id: uuid.UUID
    elapsed_s: float
    started_at: datetime


def rank_key(effort: BoardEffort) -> tuple[float, datetime, str]:
    """Faster first; a tie goes to the earlier effort, then to the smaller id (stable)."""
    return (effort.elapsed_s, effort.started_at, str(effort.effort_id))


def best_per_rider(efforts: Iterable[BoardEffort]) -> list[BoardEffort]:
    """Each rider's best effort, ranked by rank_key: the board."""
    best: dict[uuid.UUID, BoardEffort] = {}
    for effort in efforts:
        held = best.get(effort.owner_id)
        if held is None or rank_key(effort) < rank_key(held):
            best[effort.owner_id] = effort
    return sorted(best.values(), key=rank_key)


def period_start(period: str, now: datetime) -> datetime | None:
    """The first instant (UTC) a board of this period counts; None for all time.
    ValueError for a period not in PERIODS."""
    if period == "all":
        return None
    if period == "year":
        return now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"expected a period of {', '.join(PERIODS)}, got {period!r}")
