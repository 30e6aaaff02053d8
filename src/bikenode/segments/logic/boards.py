"""Leaderboards as pure functions: one best effort per rider, ranked deterministically."""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable, Iterable
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


def period_bounds(key: str) -> tuple[datetime, datetime] | None:
    """The UTC start (included) and end (excluded) of a stored period key; None for "all"."""
    if key == "all":
        return None
    if key.startswith("y"):
        year = int(key[1:])
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    year, month = (int(part) for part in key[1:].split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def merge_next_bests(
    page: Iterable[tuple[BoardEffort, bool]],
    next_best: Callable[[BoardEffort], BoardEffort | None],
    limit: int,
) -> list[BoardEffort]:
    """The first `limit` lines of a board read from `page`, bests in rank order each with
    whether the viewer may see it: a best they may not see gives way to that rider's
    next_best (their best they may see, never faster, so it ranks further down; None drops
    the rider). Only the page's bests up to the limit-th line are asked about."""
    shown: list[BoardEffort] = []
    waiting: list[tuple[tuple[float, datetime, str], BoardEffort]] = []
    for best, visible in page:
        while waiting and waiting[0][0] < rank_key(best):
            shown.append(heapq.heappop(waiting)[1])
        if len(shown) >= limit:
            return shown[:limit]
        if visible:
            shown.append(best)
        elif (other := next_best(best)) is not None:
            heapq.heappush(waiting, (rank_key(other), other))
    while waiting and len(shown) < limit:
        shown.append(heapq.heappop(waiting)[1])
    return shown[:limit]


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


# Age (years) and weight (kg) classes: the usual bands, named as the API takes them.
AGE_BANDS = ("<25", "25-34", "35-44", "45-54", "55-64", "65+")
_AGE_EDGES = (25, 35, 45, 55, 65)
WEIGHT_BANDS = ("<55", "55-64", "65-74", "75-84", "85-94", "95+")
_WEIGHT_EDGES = (55.0, 65.0, 75.0, 85.0, 95.0)


def _band(value: float, edges: tuple[float, ...], names: tuple[str, ...]) -> str:
    return names[sum(value >= edge for edge in edges)]


def age_band(birth_year: int | None, year: int) -> str | None:
    """The age class in `year` of a rider born in birth_year (age reached that year), or None
    without a birth year."""
    return None if birth_year is None else _band(year - birth_year, _AGE_EDGES, AGE_BANDS)


def weight_band(weight_kg: float | None) -> str | None:
    """The weight class of a rider of weight_kg, or None without a weight."""
    return None if weight_kg is None else _band(weight_kg, _WEIGHT_EDGES, WEIGHT_BANDS)


def parse_band(text: str, names: tuple[str, ...], what: str) -> str:
    """A band name as the API takes it ("65+" arrives as "65 " when a client leaves the plus
    unescaped in a query); ValueError for anything else."""
    band = text[:-1] + "+" if text.endswith(" ") else text
    if band not in names:
        raise ValueError(f"expected {what} as one of {', '.join(names)}, got {text!r}")
    return band
