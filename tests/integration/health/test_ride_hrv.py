"""A day's HRV from rides: the ride with the most clean beats gives it, a deleted ride hands
the day to the next one or clears it, and re-running either step changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.health import service
from bikenode.health.models import HealthMetric, HealthRideHrv
from tests.service_factories import make_user

DAY = date(2025, 3, 1)


def _beats(step_ms: float, count: int) -> np.ndarray:
    """Alternating intervals: rMSSD is exactly `step_ms`."""
    return np.where(np.arange(count) % 2 == 0, 800.0, 800.0 + step_ms)


@pytest.fixture
def beats_by_ride(monkeypatch: pytest.MonkeyPatch) -> dict[uuid.UUID, rides.RideHeartbeats]:
    """Rides' beats as rides.ride_heartbeats would give them (none: the file is gone)."""
    found: dict[uuid.UUID, rides.RideHeartbeats] = {}
    monkeypatch.setattr(rides, "ride_heartbeats", lambda _session, ride_id: found.get(ride_id))
    return found


def _value(session: Session, owner: uuid.UUID) -> float | None:
    views = service.list_metrics(session, owner_id=owner, start=DAY, end=DAY, metric="hrv_rmssd_ms")
    assert len(views) <= 1
    return views[0].value if views else None


def test_the_ride_with_most_beats_gives_the_day_and_deletion_hands_it_on(
    engine: Engine, beats_by_ride: dict[uuid.UUID, rides.RideHeartbeats]
) -> None:
    with Session(engine) as session:
        owner = make_user(session)
        session.commit()
        start = datetime(2025, 3, 1, 8, tzinfo=UTC)
        long_ride, short_ride = uuid.uuid4(), uuid.uuid4()
        beats_by_ride[long_ride] = rides.RideHeartbeats(
            long_ride, owner, start, "Garmin Edge 530", _beats(40.0, 500)
        )
        beats_by_ride[short_ride] = rides.RideHeartbeats(
            short_ride, owner, start, "Garmin Edge 530", _beats(20.0, 100)
        )
        assert service.record_ride_hrv(session, ride_id=short_ride) is not None
        assert _value(session, owner) == 20.0
        view = service.record_ride_hrv(session, ride_id=long_ride)
        assert view is not None and view.source == "Garmin Edge 530 ride"
        assert _value(session, owner) == 40.0
        # The shorter ride again (a re-delivery) leaves the longer one's value.
        service.record_ride_hrv(session, ride_id=short_ride)
        assert _value(session, owner) == 40.0
        session.commit()

        service.forget_ride_hrv(session, ride_id=long_ride)
        assert _value(session, owner) == 20.0
        service.forget_ride_hrv(session, ride_id=long_ride)  # a re-delivery: nothing
        assert _value(session, owner) == 20.0
        service.forget_ride_hrv(session, ride_id=short_ride)
        assert _value(session, owner) is None
        assert session.query(HealthRideHrv).filter_by(owner_id=owner).count() == 0
        assert session.query(HealthMetric).filter_by(owner_id=owner).count() == 0
        session.commit()


def test_rides_without_usable_beats_write_nothing(
    engine: Engine, beats_by_ride: dict[uuid.UUID, rides.RideHeartbeats]
) -> None:
    with Session(engine) as session:
        owner = make_user(session)
        start = datetime(2025, 3, 1, 8, tzinfo=UTC)
        noisy, untimed, future = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        beats_by_ride[noisy] = rides.RideHeartbeats(
            noisy, owner, start, None, np.tile([800.0, 1200.0], 50)
        )
        beats_by_ride[untimed] = rides.RideHeartbeats(untimed, owner, None, None, _beats(30, 99))
        far = datetime(2090, 1, 1, tzinfo=UTC)
        beats_by_ride[future] = rides.RideHeartbeats(future, owner, far, None, _beats(30, 99))
        for ride_id in (noisy, untimed, future, uuid.uuid4()):
            assert service.record_ride_hrv(session, ride_id=ride_id) is None
        assert session.query(HealthRideHrv).filter_by(owner_id=owner).count() == 0
        assert session.query(HealthMetric).filter_by(owner_id=owner).count() == 0
        session.rollback()
