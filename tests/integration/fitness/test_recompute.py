"""A threshold change recomputes ride figures from the stored ones (no stream read), and that
equals recomputing every ride from its streams."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.accounts.models import User
from bikenode.db.engine import make_session_factory
from bikenode.fitness import figures, repo, service, tasks
from bikenode.fitness.models import FitnessCurveMonth, FitnessRideFigures
from bikenode.fitness.rules import DatedValue
from bikenode.rides.imports import RiderContext, import_activity
from bikenode.rides.models import Ride, RideStreams
from tests.synthetic import synthetic_gpx

# Corpus rides with power and heart rate, from three makers of devices.
CORPUS_RIDES = (
    "fit/fitparse__Edge810-Vector-2013-08-16-15-35-10.fit",
    "fit/fitparse__garmin-edge-820-bike.fit",
    "fit/fitparse__sample-activity-indoor-trainer.fit",
    "fit/fitparse__garmin-fenix-5-bike.fit",
)
COLUMNS = (
    "day",
    "sport",
    "duration_s",
    "stress",
    "stress_source",
    "stress_reason",
    "power_curve",
    "power_recorded_s",
    "weighted_power_w",
    "avg_hr_bpm",
)


def _rider(session: Session) -> uuid.UUID:
    user = User(
        email=f"{uuid.uuid4().hex[:8]}@example.org",
        password_hash="x",
        display_name="Recompute",
        timezone="Europe/Paris",
    )
    session.add(user)
    session.commit()
    return user.id


def _import(session: Session, owner_id: uuid.UUID, corpus: Path | None) -> list[uuid.UUID]:
    """Corpus rides (if given) and synthetic ones with power, heart rate, or neither."""
    rider = RiderContext(owner_id=owner_id, ftp_w=None, max_hr_bpm=None)
    files = [(name, (corpus / name).read_bytes()) for name in CORPUS_RIDES] if corpus else []
    start = datetime(2025, 3, 1, 7, tzinfo=UTC)
    for n in range(4):
        power = (lambda i, n=n: 150 + 40 * n + (i % 90)) if n % 2 == 0 else None
        files.append(
            (f"{n}.gpx", synthetic_gpx(start + timedelta(days=9 * n), seed=n, power_w=power))
        )
    ride_ids = []
    for name, data in files:
        result = import_activity(session, rider=rider, filename=name, data=data)
        session.commit()
        if result.ride_id is not None:
            ride_ids.append(result.ride_id)
            figures.refresh(session, ride_id=result.ride_id)
            session.commit()
    return ride_ids


def _snapshot(session: Session) -> dict[uuid.UUID, tuple[object, ...]]:
    session.expire_all()
    rows = session.scalars(select(FitnessRideFigures))
    return {row.ride_id: tuple(getattr(row, name) for name in COLUMNS) for row in rows}


def _recompute(engine: Engine, owner_id: uuid.UUID, *, from_streams: bool) -> None:
    sessions = make_session_factory(engine)
    with sessions() as session:
        service.schedule_recompute(session, owner_id=owner_id, from_day=date(2000, 1, 1))
        session.commit()
        row = repo.recompute(session, owner_id)
        assert row is not None
        request_id = row.request_id
    tasks.recompute_rides(sessions, request_id=request_id, from_streams=from_streams)


def test_stored_stream_figures_are_rides_own(session: Session, corpus: Path) -> None:
    owner_id = _rider(session)
    ride_ids = _import(session, owner_id, corpus)
    with_power = 0
    for ride_id in ride_ids:
        signals = rides.ride_signals(session, ride_id)
        row = repo.ride_figures(session, ride_id)
        ride = session.get(Ride, ride_id)
        assert signals is not None and row is not None and ride is not None
        assert row.power_recorded_s == signals.power_recorded_s
        assert row.weighted_power_w == signals.weighted_power_w
        assert row.avg_hr_bpm == signals.avg_hr_bpm
        # rides' summary holds the same weighted power and average heart rate
        assert row.weighted_power_w == pytest.approx(ride.summary.get("weighted_power_w"))
        assert row.avg_hr_bpm == pytest.approx(ride.summary.get("avg_hr_bpm"))
        with_power += row.weighted_power_w is not None
    assert with_power >= 3


@pytest.mark.parametrize(
    "history",
    [
        [DatedValue("ftp_w", date(2000, 1, 1), 250.0)],
        [
            DatedValue("ftp_w", date(2000, 1, 1), 210.0),
            DatedValue("ftp_w", date(2025, 3, 10), 280.0),
            DatedValue("max_hr_bpm", date(2000, 1, 1), 188.0),
            DatedValue("resting_hr_bpm", date(2025, 3, 15), 48.0),
        ],
        [
            DatedValue("max_hr_bpm", date(2000, 1, 1), 195.0),
            DatedValue("resting_hr_bpm", date(2000, 1, 1), 52.0),
            DatedValue("threshold_hr_bpm", date(2025, 3, 5), 170.0),
        ],
        [],
    ],
)
def test_recompute_from_stored_figures_equals_one_from_streams(
    engine: Engine, session: Session, history: list[DatedValue]
) -> None:
    owner_id = _rider(session)
    ride_ids = _import(session, owner_id, None)
    service.replace_thresholds(
        session, owner_id=owner_id, values=[DatedValue("ftp_w", date(2000, 1, 1), 330.0)]
    )
    session.commit()
    _recompute(engine, owner_id, from_streams=True)
    repo.replace_thresholds(session, owner_id, history)
    session.commit()

    _recompute(engine, owner_id, from_streams=True)
    from_streams = _snapshot(session)
    # Without streams the stored figures must still be enough.
    session.execute(delete(RideStreams).where(RideStreams.ride_id.in_(ride_ids)))
    session.commit()
    _recompute(engine, owner_id, from_streams=False)
    from_figures = _snapshot(session)

    assert set(from_figures) == set(ride_ids)
    assert from_figures == from_streams
    assert {row[4] for row in from_figures.values()} >= ({"none"} if not history else set())


def test_rows_from_before_the_stored_stream_figures_are_read_from_streams(
    engine: Engine, session: Session
) -> None:
    owner_id = _rider(session)
    _import(session, owner_id, None)
    expected = _snapshot(session)
    for row in session.scalars(select(FitnessRideFigures)):
        row.power_recorded_s, row.weighted_power_w, row.avg_hr_bpm = None, None, None
    session.commit()
    _recompute(engine, owner_id, from_streams=False)
    assert _snapshot(session) == expected


def _month_curves(session: Session, owner_id: uuid.UUID) -> set[tuple[object, ...]]:
    session.expire_all()
    rows = session.scalars(select(FitnessCurveMonth).where(FitnessCurveMonth.owner_id == owner_id))
    return {(r.month, r.last_day, r.rides, r.watts, r.ride_ids, r.sources) for r in rows}


def test_a_new_time_zone_moves_days_and_month_curves_as_streams_would(
    engine: Engine, session: Session
) -> None:
    owner_id = _rider(session)
    _import(session, owner_id, None)
    before = _snapshot(session)
    # Rides start at 07:00 UTC; in Honolulu (UTC-10) on the day before, the first one in
    # February: its day and its month curve must move with no stream read.
    user = session.get_one(User, owner_id)
    user.timezone = "Pacific/Honolulu"
    session.commit()

    _recompute(engine, owner_id, from_streams=False)
    from_figures, months_from_figures = _snapshot(session), _month_curves(session, owner_id)
    session.rollback()  # end the read, so the job may write
    _recompute(engine, owner_id, from_streams=True)

    assert from_figures == _snapshot(session)
    assert months_from_figures == _month_curves(session, owner_id)
    days_before = {cast(date, row[0]) for row in before.values()}
    assert {row[0] for row in from_figures.values()} == {
        day - timedelta(days=1) for day in days_before
    }
    assert date(2025, 2, 1) in {row[0] for row in months_from_figures}
