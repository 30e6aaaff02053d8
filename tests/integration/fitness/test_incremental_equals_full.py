"""Property: whatever a rider does — rides added, edited, deleted, thresholds added, changed or
removed, their own stress figure set or cleared — the figures the events and jobs keep up to
date one change at a time equal a recomputation of every ride from its streams, from scratch.
Once with the worker and the events run to idle after each change, once with the events
delivered only at the end (jobs ran, their events waited), as a busy server may do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.config import Settings
from bikenode.db.engine import make_session_factory
from bikenode.fitness import repo, reports, service, tasks
from bikenode.fitness.models import FitnessRideFigures
from tests.api.fitness.conftest import FIRST_RIDE_AT, drain, steady
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

DAYS = 12  # rides and thresholds fall in these days, so changes overlap often
FIRST_DAY = FIRST_RIDE_AT.date()
LAST_DAY = FIRST_DAY + timedelta(days=DAYS + 7)
THRESHOLD_VALUES = {
    "ftp_w": (180.0, 320.0),
    "max_hr_bpm": (170.0, 200.0),
    "resting_hr_bpm": (40.0, 60.0),
    "threshold_hr_bpm": (150.0, 175.0),
}
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

add_ride = st.tuples(
    st.just("add"),
    st.integers(0, DAYS - 1),
    st.one_of(st.none(), st.integers(120, 320)),  # watts, or heart rate only
)
edit_ride = st.tuples(
    st.just("edit"), st.integers(0, 9), st.sampled_from(["cycling", "running", "virtual_cycling"])
)
delete_ride = st.tuples(st.just("delete"), st.integers(0, 9))
set_threshold = st.tuples(
    st.just("threshold"),
    st.sampled_from(sorted(THRESHOLD_VALUES)),
    st.integers(-1, DAYS),
    st.one_of(st.none(), st.floats(0, 1)),  # None: remove the value of that day
)
override = st.tuples(
    st.just("override"), st.integers(0, 9), st.one_of(st.none(), st.integers(0, 400))
)
changes = st.lists(
    st.one_of(add_ride, add_ride, edit_ride, delete_ride, set_threshold, set_threshold, override),
    min_size=3,
    max_size=9,
)


@dataclass
class Rider:
    """What the test did, so it knows the expected stress overrides on its own."""

    headers: dict[str, str]
    rides: list[str] = field(default_factory=list)
    thresholds: dict[tuple[str, date], float] = field(default_factory=dict)
    overrides: dict[str, float] = field(default_factory=dict)
    uploads: int = 0


def _apply(client: TestClient, rider: Rider, change: tuple[Any, ...], *, settle: bool) -> None:
    kind = change[0]
    if kind == "add":
        _add(client, rider, change[1], change[2])
    elif kind == "threshold":
        _threshold(client, rider, change[1], change[2], change[3])
    elif rider.rides:
        ride_id = rider.rides[change[1] % len(rider.rides)]
        _change_ride(client, rider, ride_id, change)
    if settle:
        drain(client)


def _add(client: TestClient, rider: Rider, day: int, watts: int | None) -> None:
    rider.uploads += 1
    start = FIRST_RIDE_AT + timedelta(days=day, minutes=rider.uploads)
    power = steady(watts) if watts is not None else None
    gpx = synthetic_gpx(start, points=600, seed=rider.uploads, power_w=power)
    [upload] = upload_files(client, rider.headers, [(f"{rider.uploads}.gpx", gpx)])
    assert upload["items"][0]["status"] == "imported", upload
    rider.rides.append(str(upload["items"][0]["ride_id"]))


def _threshold(client: TestClient, rider: Rider, kind: str, day: int, share: float | None) -> None:
    key = (kind, FIRST_DAY + timedelta(days=day))
    if share is None:
        rider.thresholds.pop(key, None)
    else:
        low, high = THRESHOLD_VALUES[kind]
        rider.thresholds[key] = round(low + share * (high - low), 1)
    values = [
        {"kind": k, "valid_from": d.isoformat(), "value": v}
        for (k, d), v in rider.thresholds.items()
    ]
    answer = client.put(
        "/api/v1/fitness/thresholds", json={"values": values}, headers=rider.headers
    )
    assert answer.status_code == 200, answer.text


def _change_ride(client: TestClient, rider: Rider, ride_id: str, change: tuple[Any, ...]) -> None:
    kind, path, stress_path = (
        change[0],
        f"/api/v1/rides/{ride_id}",
        f"/api/v1/fitness/rides/{ride_id}/stress",
    )
    if kind == "edit":
        answer = client.patch(path, json={"sport": change[2]}, headers=rider.headers)
        assert answer.status_code == 200, answer.text
    elif kind == "delete":
        assert client.delete(path, headers=rider.headers).status_code == 204
        rider.rides.remove(ride_id)
        rider.overrides.pop(ride_id, None)
    elif change[2] is None:
        answer = client.delete(stress_path, headers=rider.headers)
        assert answer.status_code == 204, answer.text
        rider.overrides.pop(ride_id, None)
    else:
        stress = {"stress": change[2]}
        answer = client.put(stress_path, json=stress, headers=rider.headers)
        assert answer.status_code == 200, answer.text
        rider.overrides[ride_id] = float(change[2])


def _figures(session: Session, owner_id: uuid.UUID) -> dict[str, tuple[Any, ...]]:
    session.expire_all()
    rows = session.scalars(
        select(FitnessRideFigures).where(FitnessRideFigures.owner_id == owner_id)
    )
    return {str(row.ride_id): tuple(getattr(row, name) for name in COLUMNS) for row in rows}


def _overrides(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    rows = session.scalars(
        select(FitnessRideFigures).where(FitnessRideFigures.owner_id == owner_id)
    )
    return {str(r.ride_id): r.stress_override for r in rows if r.stress_override is not None}


def _load(session: Session, owner_id: uuid.UUID) -> list[reports.LoadDay]:
    session.expire_all()
    return reports.load_days(session, owner_id=owner_id, start=FIRST_DAY, end=LAST_DAY)


def _recompute_from_scratch(client: TestClient, owner_id: uuid.UUID, rider: Rider) -> None:
    """Forget every figure of the rider, recompute all rides from their streams (the job's
    from-streams path), then put back the overrides the rider set (as the test saw them)."""
    sessions = make_session_factory(client.app.state.engine)  # type: ignore[attr-defined]
    with sessions() as session:
        session.execute(delete(FitnessRideFigures).where(FitnessRideFigures.owner_id == owner_id))
        service.schedule_recompute(session, owner_id=owner_id, from_day=date(2000, 1, 1))
        session.commit()
        row = repo.recompute(session, owner_id)
        assert row is not None
        request_id = row.request_id
    tasks.recompute_rides(sessions, request_id=request_id, from_streams=True)
    with sessions() as session:
        for ride_id, stress in rider.overrides.items():
            figures = session.get(FitnessRideFigures, uuid.UUID(ride_id))
            assert figures is not None
            figures.stress_override = stress
        session.commit()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app without rate limits: an example makes a few dozen requests in a second."""
    return settings.model_copy(update={"rate_limit_enabled": False})


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # shrinking a failure costs minutes; note() shows it
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=changes)
@pytest.mark.parametrize(
    "settle",
    [True, False],
    ids=["worker-idle-after-each-change", "events-delivered-only-at-the-end"],
)
def test_incremental_figures_and_load_equal_a_full_recomputation(
    client: TestClient, settle: bool, steps: list[tuple[Any, ...]]
) -> None:
    _, headers = signed_in(client)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    owner_id, rider = uuid.UUID(me.json()["id"]), Rider(headers)
    note(f"steps: {steps}")
    for step in steps:
        _apply(client, rider, step, settle=settle)
    drain(client)  # late events: imports ran as jobs, their events wait until now

    sessions = make_session_factory(client.app.state.engine)  # type: ignore[attr-defined]
    with sessions() as session:
        incremental = _figures(session, owner_id)
        assert _overrides(session, owner_id) == rider.overrides
        load_before = _load(session, owner_id)
    _recompute_from_scratch(client, owner_id, rider)
    with sessions() as session:
        assert _figures(session, owner_id) == incremental
        assert set(incremental) == set(rider.rides)
        assert _load(session, owner_id) == load_before
