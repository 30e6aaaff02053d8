"""Riders' bests per segment, kept in step with their efforts: whenever a (segment, rider)
pair's efforts change, that pair's bests are recomputed from all its efforts, so the kept
table always equals a rebuild (tests/integration/segments checks it over random histories)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from bikenode.segments.logic.boards import BoardEffort, bests_of
from bikenode.segments.models import Best, Effort

Pair = tuple[uuid.UUID, uuid.UUID]  # (segment_id, owner_id)
_IN_BATCH = 400  # pairs per IN (...): two parameters each


def refresh_bests(session: Session, pairs: Iterable[Pair]) -> None:
    """Recompute the bests of these (segment, rider) pairs from their efforts; flushes."""
    wanted = sorted(set(pairs), key=str)
    for first in range(0, len(wanted), _IN_BATCH):
        _refresh_batch(session, wanted[first : first + _IN_BATCH])
    session.flush()


def rebuild_bests(session: Session) -> None:
    """Every best recomputed from the efforts table alone (repair, and tests); flushes."""
    session.execute(delete(Best))
    pairs = session.execute(select(Effort.segment_id, Effort.owner_id).distinct())
    refresh_bests(session, [(segment_id, owner_id) for segment_id, owner_id in pairs])


def _refresh_batch(session: Session, pairs: list[Pair]) -> None:
    key = tuple_(Effort.segment_id, Effort.owner_id)
    session.execute(delete(Best).where(tuple_(Best.segment_id, Best.owner_id).in_(pairs)))
    grouped: dict[Pair, list[tuple[BoardEffort, bool]]] = defaultdict(list)
    for effort in session.scalars(select(Effort).where(key.in_(pairs))):
        board = BoardEffort(effort.id, effort.owner_id, effort.elapsed_s, effort.started_at)
        grouped[effort.segment_id, effort.owner_id].append(
            (board, effort.ride_visibility == "public")
        )
    for (segment_id, owner_id), efforts in grouped.items():
        for best in bests_of(efforts):
            session.add(
                Best(
                    segment_id=segment_id,
                    owner_id=owner_id,
                    scope=best.scope,
                    period=best.period,
                    effort_id=best.effort.effort_id,
                    elapsed_s=best.effort.elapsed_s,
                    started_at=best.effort.started_at,
                )
            )
