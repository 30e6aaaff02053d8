"""A fitness subscriber started from the beginning computes the figures of rides imported
before it existed, from the event log alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.accounts.models import User
from bikenode.db.engine import make_session_factory
from bikenode.events import Dispatcher, replay
from bikenode.fitness.models import FitnessRideFigures
from bikenode.fitness.subscribers import RIDE_FIGURES
from bikenode.rides.imports import RiderContext, import_activity
from tests.synthetic import synthetic_gpx

BY_RIDE = select(FitnessRideFigures).order_by(FitnessRideFigures.ride_id)


def _rider(session: Session) -> uuid.UUID:
    user = User(
        email=f"{uuid.uuid4().hex[:8]}@example.org",
        password_hash="x",
        display_name="Back-fill",
        timezone="Europe/Paris",
    )
    session.add(user)
    session.commit()
    return user.id


def test_a_new_subscriber_back_fills_rides_imported_before_it(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    start = datetime(2025, 3, 3, 23, 30, tzinfo=UTC)  # already the 4th in Paris
    with sessions() as session:
        owner_id = _rider(session)
        rider = RiderContext(owner_id=owner_id, ftp_w=None, max_hr_bpm=None)
        ride_ids = []
        for n in range(3):
            gpx = synthetic_gpx(
                start + timedelta(days=n), points=300, seed=n, power_w=lambda i: 200
            )
            result = import_activity(session, rider=rider, filename=f"{n}.gpx", data=gpx)
            session.commit()
            ride_ids.append(result.ride_id)

    # The subscriber is new: it starts at the first event, as on the day fitness is deployed.
    assert Dispatcher(sessions, [RIDE_FIGURES]).run_until_idle() >= 1

    with sessions() as session:
        rows = session.scalars(select(FitnessRideFigures).order_by(FitnessRideFigures.day)).all()
        assert [row.ride_id for row in rows] == ride_ids
        assert [row.day.isoformat() for row in rows] == ["2025-03-04", "2025-03-05", "2025-03-06"]
        assert all(row.power_curve is not None and row.stress is None for row in rows)
        assert {row.stress_reason or "" for row in rows} != {""}  # no FTP yet: it says why
    # A replay from the beginning (a re-delivery) changes nothing.
    with sessions() as session:
        before = [(r.ride_id, r.day, r.power_curve) for r in session.scalars(BY_RIDE)]
        replay(session, subscriber=RIDE_FIGURES.name)
    Dispatcher(sessions, [RIDE_FIGURES]).run_until_idle()
    with sessions() as session:
        after = [(r.ride_id, r.day, r.power_curve) for r in session.scalars(BY_RIDE)]
        assert after == before
