"""A range's power curve from month curves equals combining every ride's stored curve (the
way it was read before), ties and partial months included, and stays so as rides are added,
edited, moved to another month and deleted."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from bikenode.events import Envelope
from bikenode.fitness import curve_months, figures, repo, reports
from bikenode.fitness.logic.power_curve import DURATION_GRID_S, combine_watts
from bikenode.fitness.models import FitnessCurveMonth
from bikenode.fitness.rules import pack_curve, stored_watts
from bikenode.fitness.subscribers import follow_ride
from bikenode.rides import RideDeleted
from bikenode.rides.models import Ride
from tests.migration_tools import migrate
from tests.service_factories import make_user

FIRST = date(2025, 1, 1)


def _curve(rng: np.random.Generator, *, tie: bytes | None = None) -> bytes:
    if tie is not None:
        return tie
    size = int(rng.integers(150, DURATION_GRID_S.size + 1))
    # Rounded watts so that different rides often tie at a duration.
    return pack_curve(np.sort(rng.integers(150, 400, size))[::-1].astype(float))


def _store(session: Session, owner_id: uuid.UUID, day: date, curve: bytes | None) -> uuid.UUID:
    ride = Ride(
        owner_id=owner_id,
        name="ride",
        source_format="gpx",
        source_sha256=uuid.uuid4().hex,
        started_at=datetime.combine(day, time(7), UTC),
    )
    session.add(ride)
    session.flush()
    _put(session, owner_id, ride.id, day, curve)
    return ride.id


def _put(
    session: Session, owner_id: uuid.UUID, ride_id: uuid.UUID, day: date, curve: bytes | None
) -> None:
    computed = figures.ComputedFigures(
        ride_id=ride_id,
        owner_id=owner_id,
        day=day,
        sport="cycling",
        duration_s=3600.0,
        stress=None,
        stress_source="none",
        stress_reason="no thresholds",
        power_curve=curve,
    )
    figures.store(session, computed)


def _every_ride(
    session: Session, owner_id: uuid.UUID, start: date, end: date
) -> tuple[list[int], list[float], list[uuid.UUID], int]:
    """The range curve as it was computed before month curves: every ride's curve read."""
    stored = repo.power_curves(session, owner_id, start, end)
    combined = combine_watts([stored_watts(curve) for _, curve in stored], dtype=np.float32)
    finite = np.isfinite(combined.watts)
    return (
        [int(d) for d in combined.durations_s[finite]],
        [round(float(w), 1) for w in combined.watts[finite]],
        [stored[int(i)][0] for i in combined.source[finite]],
        len(stored),
    )


def _assert_same(session: Session, owner_id: uuid.UUID, ranges: list[tuple[date, date]]) -> None:
    for start, end in ranges:
        got = reports.power_curve(session, owner_id=owner_id, start=start, end=end)
        expected = _every_ride(session, owner_id, start, end)
        assert (got.durations_s, got.watts, got.ride_ids, got.rides_with_power) == expected, (
            start,
            end,
        )


def _ranges(rng: np.random.Generator, count: int) -> list[tuple[date, date]]:
    spans = [(FIRST, date(2026, 6, 30)), (date(2025, 2, 1), date(2025, 4, 30))]
    for _ in range(count):
        a, b = sorted(int(x) for x in rng.integers(-20, 560, 2))
        spans.append((FIRST + timedelta(days=a), FIRST + timedelta(days=b)))
    return spans


def _seed(session: Session, owner_id: uuid.UUID, rng: np.random.Generator) -> list[uuid.UUID]:
    ride_ids: list[uuid.UUID] = []
    previous: bytes | None = None
    for n in range(160):
        day = FIRST + timedelta(days=int(rng.integers(0, 540)))
        tie = previous if n % 7 == 0 else None  # the same curve on another day: a tie
        curve = None if n % 11 == 0 else _curve(rng, tie=tie)
        ride_ids.append(_store(session, owner_id, day, curve))
        previous = curve or previous
    session.commit()
    return ride_ids


def test_range_curves_from_month_curves_equal_every_ride_combined(session: Session) -> None:
    rng = np.random.default_rng(16)
    owner_id = make_user(session)
    other = make_user(session)
    _seed(session, owner_id, rng)
    _store(session, other, date(2025, 3, 3), pack_curve(np.full(400, 2000.0)))
    session.commit()

    months = repo.fresh_curve_months(session, owner_id, FIRST, date(2026, 12, 31))
    assert len(months) >= 15  # whole months come from their month curve
    _assert_same(session, owner_id, _ranges(rng, 40))


def test_month_curves_follow_added_edited_moved_and_deleted_rides(session: Session) -> None:
    rng = np.random.default_rng(7)
    owner_id = make_user(session)
    ride_ids = _seed(session, owner_id, rng)
    ranges = _ranges(rng, 15)

    best = pack_curve(np.full(600, 1500.0))
    _store(session, owner_id, date(2025, 5, 20), best)  # added: holds every best of May
    edited, moved = ride_ids[3], ride_ids[4]
    _put(session, owner_id, edited, date(2025, 2, 10), _curve(rng))
    _put(session, owner_id, moved, date(2025, 9, 1), _curve(rng))
    _put(session, owner_id, ride_ids[5], date(2025, 9, 2), None)  # lost its power
    session.commit()
    _assert_same(session, owner_id, ranges)

    # A deleted ride takes its figures with it before fitness hears of it: the month is
    # stale, read from its rides until the event rebuilds it.
    gone = ride_ids[8]
    gone_month = curve_months.month_of(session.get_one(Ride, gone).started_at.date())  # type: ignore[union-attr]
    session.execute(delete(Ride).where(Ride.id == gone))
    session.commit()
    assert gone_month in repo.stale_curve_months(session, owner_id)
    _assert_same(session, owner_id, ranges)

    event = RideDeleted(ride_id=gone, owner_id=owner_id)
    follow_ride(session, Envelope(id=1, occurred_at=datetime.now(UTC), event=event))
    session.commit()
    assert repo.stale_curve_months(session, owner_id) == []
    _assert_same(session, owner_id, ranges)

    # The last ride of a month gone: the month curve goes too.
    for ride_id in ride_ids:
        figures.drop(session, [ride_id])
    session.commit()
    assert session.scalars(select(FitnessCurveMonth.month)).all() == [date(2025, 5, 1)]
    _assert_same(session, owner_id, ranges)


def _months(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.execute(
            select(
                FitnessCurveMonth.owner_id,
                FitnessCurveMonth.month,
                FitnessCurveMonth.last_day,
                FitnessCurveMonth.rides,
                FitnessCurveMonth.watts,
                FitnessCurveMonth.ride_ids,
                FitnessCurveMonth.sources,
            ).order_by(FitnessCurveMonth.owner_id, FitnessCurveMonth.month)
        )
        return [tuple(row) for row in rows]


def test_the_migration_fills_month_curves_as_fitness_keeps_them(empty_database: Engine) -> None:
    migrate(empty_database, "heads")
    with Session(empty_database) as session:
        owner_id = make_user(session)
        _seed(session, owner_id, np.random.default_rng(3))
    kept = _months(empty_database)
    assert len(kept) >= 15
    # Back to before month curves (the table goes), then up again: the migration fills it.
    migrate(empty_database, "0015_fitness_coach_grants", down=True)
    migrate(empty_database, "heads")
    assert _months(empty_database) == kept
