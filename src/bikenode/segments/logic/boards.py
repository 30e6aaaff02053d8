"""Leaderboards as pure functions: one best effort per rider, ranked deterministically."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

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


@dataclass(frozen=True)
class Best:
    """A rider's best effort for one board: scope "public" (what others may rank) or "all"
    (what the rider sees of themselves), period "all", "y2026" or "m2026-12" (UTC)."""

    scope: str
    period: str
    effort: BoardEffort


def period_keys(started_at: datetime) -> tuple[str, str, str]:
    """The boards an effort counts on by its start (UTC): all time, its year, its month."""
    when = started_at.astimezone(UTC)
    return "all", f"y{when.year}", f"m{when.year}-{when.month:02d}"


def period_key(period: str, now: datetime) -> str:
    """The stored key of the board of this period as of now; ValueError for another period."""
    keys = dict(zip(PERIODS, period_keys(now), strict=True))
    if period not in keys:
        raise ValueError(f"expected a period of {', '.join(PERIODS)}, got {period!r}")
    return keys[period]


def bests_of(efforts: Iterable[tuple[BoardEffort, bool]]) -> list[Best]:
    """One rider's bests on one segment from all their (effort, is_public) pairs: per scope
    and period the effort that ranks first by rank_key."""
    best: dict[tuple[str, str], BoardEffort] = {}
    for effort, public in efforts:
        scopes = ("all", "public") if public else ("all",)
        for scope in scopes:
            for key in period_keys(effort.started_at):
                held = best.get((scope, key))
                if held is None or rank_key(effort) < rank_key(held):
                    best[scope, key] = effort
    return [Best(scope, key, effort) for (scope, key), effort in sorted(best.items())]


def personal_bests(efforts: Iterable[BoardEffort]) -> list[bool]:
    """For a rider's efforts in the order ridden: True where the effort beat every earlier
    one (their personal-best history; the first effort is one)."""
    flags, best = [], None
    for effort in efforts:
        record = best is None or effort.elapsed_s < best
        flags.append(record)
        best = effort.elapsed_s if record else best
    return flags
