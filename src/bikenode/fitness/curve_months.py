"""Month curves: the best of a rider's ride power curves per calendar month, kept in step with
the ride figures, so a range's power curve reads about one row a month, not every ride's curve.

A range is its whole months' curves plus the rides of the days around them (and of any month
whose curve is missing or stale), combined in day order so that, as when every ride is read,
the earliest ride wins a tie: the answer is the same, only cheaper.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from bikenode.fitness import repo
from bikenode.fitness.logic.arrays import FloatArray, IntArray
from bikenode.fitness.logic.power_curve import combine_watts
from bikenode.fitness.models import FitnessCurveMonth
from bikenode.fitness.rules import pack_curve, stored_watts

_ID_BYTES = 16


@dataclass(frozen=True)
class RangeCurve:
    """The best power of a range at each grid duration (NaN where no ride lasts that long),
    the ride that holds each best (None there), and how many ride curves it combines."""

    durations_s: IntArray
    watts: FloatArray
    ride_ids: list[uuid.UUID | None]
    rides: int


def month_of(day: date) -> date:
    return day.replace(day=1)


def last_day_of(month: date) -> date:
    return month_of(month + timedelta(days=31)) - timedelta(days=1)


def rebuild(session: Session, days: Iterable[tuple[uuid.UUID, date]]) -> None:
    """Recompute the month curves of the months of these (rider, day) pairs from their rides'
    stored curves (a month left without one loses its row). Flushes pending figures first."""
    session.flush()
    for owner_id, month in sorted({(owner_id, month_of(day)) for owner_id, day in days}):
        last = last_day_of(month)
        stored = repo.power_curves(session, owner_id, month, last)
        if not stored:
            repo.delete_curve_month(session, owner_id, month)
            continue
        combined = combine_watts([stored_watts(curve) for _, curve in stored], dtype=np.float32)
        winners, index = np.unique(combined.source, return_inverse=True)
        row = FitnessCurveMonth(
            owner_id=owner_id,
            month=month,
            last_day=last,
            rides=len(stored),
            watts=pack_curve(combined.watts),
            ride_ids=b"".join(stored[int(i)][0].bytes for i in winners),
            sources=index.astype("<u2").tobytes(),
        )
        repo.put_curve_month(session, row)


def reconcile(session: Session, *, owner_id: uuid.UUID) -> None:
    """Rebuild the rider's month curves that lost rides without fitness writing (a deleted
    ride takes its figures with it)."""
    rebuild(session, [(owner_id, month) for month in repo.stale_curve_months(session, owner_id)])


def range_curve(session: Session, owner_id: uuid.UUID, start: date, end: date) -> RangeCurve:
    """The rider's combined power curve over the rides of start to end (their days)."""
    months = repo.fresh_curve_months(session, owner_id, start, end)
    covered = [(month.month, month.last_day) for month in months]
    rides = repo.power_curves_in(session, owner_id, _gaps(start, end, covered))
    # Day order across months and rides (they never share a day): the first piece wins a tie.
    pieces = sorted(
        [(day, n) for n, (_, day, _) in enumerate(rides)]
        + [(month.month, len(rides) + n) for n, month in enumerate(months)]
    )
    curves = [
        stored_watts(rides[n][2] if n < len(rides) else months[n - len(rides)].watts)
        for _, n in pieces
    ]
    combined = combine_watts(curves, dtype=np.float32)
    holders: dict[tuple[int, int], uuid.UUID] = {}
    sources: dict[int, list[int]] = {}
    ride_ids: list[uuid.UUID | None] = []
    for position, source in enumerate(combined.source.tolist()):
        n = pieces[source][1] if source >= 0 else -1
        if n < len(rides):
            ride_ids.append(rides[n][0] if n >= 0 else None)
            continue
        month = months[n - len(rides)]
        if n not in sources:
            sources[n] = np.frombuffer(month.sources, dtype="<u2").tolist()
        local = sources[n][position]
        if (n, local) not in holders:
            held = month.ride_ids[local * _ID_BYTES : (local + 1) * _ID_BYTES]
            holders[(n, local)] = uuid.UUID(bytes=held)
        ride_ids.append(holders[(n, local)])
    count = len(rides) + sum(month.rides for month in months)
    return RangeCurve(combined.durations_s, combined.watts, ride_ids, count)


def _gaps(start: date, end: date, covered: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The spans of start..end outside the (first, last) spans covered, oldest first."""
    spans, cursor = [], start
    for first, last in covered:
        if first > cursor:
            spans.append((cursor, first - timedelta(days=1)))
        cursor = last + timedelta(days=1)
    if cursor <= end:
        spans.append((cursor, end))
    return spans
