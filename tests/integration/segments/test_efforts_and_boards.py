"""Efforts kept by the event stream and the boards built from them, on the database under
test: new, changed (visibility) and deleted rides, privacy zones, laps, and a randomised
sequence whose incrementally kept board equals a rebuild from scratch."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import Engine, Select, delete, select
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.db.engine import make_session_factory
from bikenode.db.queue import Job
from bikenode.events import deliver_round, ensure_subscribers
from bikenode.rides import service as rides_service
from bikenode.rides.imports import RiderContext, import_activity
from bikenode.rides.models import Ride
from bikenode.rides.privacy import create_zone
from bikenode.segments import service
from bikenode.segments.backfill import BACKFILL_JOB, backfill_segment
from bikenode.segments.bests import rebuild_bests
from bikenode.segments.efforts import match_ride_on, refresh_ride_efforts
from bikenode.segments.logic.boards import BoardEffort, best_per_rider
from bikenode.segments.models import Best, Effort, Segment
from bikenode.segments.subscribers import RIDE_EFFORTS
from tests.segment_tools import gpx_of, loop, ride, segment_of, to_degrees, winding_road
from tests.service_factories import make_user

T0 = 1_780_000_000.0  # 2026-05-28


def _import(
    session: Session,
    owner: uuid.UUID,
    *,
    speed: float,
    visibility: str = "public",
    path: np.ndarray | None = None,
    t0: float = T0,
) -> uuid.UUID:
    track = ride(winding_road() if path is None else path, speed_mps=speed, t0=t0)
    result = import_activity(
        session,
        rider=RiderContext(owner_id=owner, visibility=visibility),
        filename=f"ride-{uuid.uuid4().hex[:6]}.gpx",
        data=gpx_of(track),
    )
    assert result.ride_id is not None, result
    session.commit()
    return result.ride_id


def _deliver(session: Session) -> None:
    ensure_subscribers(session, [RIDE_EFFORTS])
    while deliver_round(session, RIDE_EFFORTS).delivered:
        pass


def _line_segment(
    session: Session,
    owner: uuid.UUID,
    start_m: float = 1_000.0,
    end_m: float = 3_000.0,
    visibility: str = "public",
) -> Segment:
    lat, lon = to_degrees(segment_of(winding_road(), start_m, end_m))
    points = [[float(a), float(b)] for a, b in zip(lat, lon, strict=True)]
    return service.create_segment_from_points(
        session,
        owner_id=owner,
        points=points,
        name="Bends",
        sport="cycling",
        visibility=visibility,
    )


def _board(
    session: Session, segment: Segment, viewer: uuid.UUID | None
) -> list[tuple[uuid.UUID, float]]:
    rows = service.leaderboard(
        session,
        segment=segment,
        viewer_id=viewer,
        period="all",
        now=datetime(2026, 12, 7, tzinfo=UTC),
    )
    return [(r.effort.owner_id, r.effort.elapsed_s) for r in rows]


def test_a_new_ride_gets_its_effort_and_a_deleted_one_loses_it(session: Session) -> None:
    owner, rider = make_user(session), make_user(session)
    segment = _line_segment(session, owner)
    ride_id = _import(session, rider, speed=8.0)
    _deliver(session)
    [effort] = session.scalars(select(Effort)).all()
    assert effort.ride_id == ride_id and effort.elapsed_s == pytest.approx(250.0, abs=1.0)
    assert _board(session, segment, None) == [(rider, effort.elapsed_s)]
    rides_service.delete_ride(session, ride=session.get(Ride, ride_id))  # type: ignore[arg-type]
    _deliver(session)
    assert session.scalars(select(Effort)).all() == []
    _deliver(session)  # a second delivery round changes nothing


def test_a_redelivered_event_stores_no_second_effort(session: Session) -> None:
    owner = make_user(session)
    _line_segment(session, owner)
    ride_id = _import(session, owner, speed=8.0)
    _deliver(session)
    refresh_ride_efforts(session, ride_id=ride_id)  # what a re-delivery does
    session.commit()
    assert len(session.scalars(select(Effort)).all()) == 1


def test_private_rides_rank_only_for_their_owner(session: Session) -> None:
    owner, fast, slow = make_user(session), make_user(session), make_user(session)
    segment = _line_segment(session, owner)
    fast_ride = _import(session, fast, speed=10.0, visibility="private")
    _import(session, slow, speed=6.0)
    _deliver(session)
    assert [o for o, _ in _board(session, segment, None)] == [slow]
    assert [o for o, _ in _board(session, segment, slow)] == [slow]
    assert [o for o, _ in _board(session, segment, fast)] == [fast, slow]
    ride_row = session.get(Ride, fast_ride)
    rides_service.update_ride(session, ride=ride_row, changes={"visibility": "public"})  # type: ignore[arg-type]
    _deliver(session)
    assert [o for o, _ in _board(session, segment, None)] == [fast, slow]


def test_a_rider_whose_zone_touches_the_segment_is_hidden_from_others(session: Session) -> None:
    owner, homebody, other = make_user(session), make_user(session), make_user(session)
    segment = _line_segment(session, owner)
    ride_id = _import(session, homebody, speed=10.0)
    _import(session, other, speed=6.0)
    _deliver(session)
    assert [o for o, _ in _board(session, segment, other)] == [homebody, other]
    home_lat, home_lon = segment.start_lat, segment.start_lon
    create_zone(
        session,
        owner_id=homebody,
        name="home",
        lat_deg=home_lat,
        lon_deg=home_lon,
        radius_m=200.0,
        rng=random.Random(1),
    )
    assert [o for o, _ in _board(session, segment, other)] == [other]
    assert [o for o, _ in _board(session, segment, None)] == [other]
    assert [o for o, _ in _board(session, segment, homebody)] == [homebody, other]
    assert (
        service.ride_efforts(
            session,
            access=service.get_visible_ride(session, ride_id=ride_id, viewer_id=other),
            viewer_id=other,
        )
        == []
    )


def test_private_segments_time_only_their_owner(session: Session) -> None:
    owner, other = make_user(session), make_user(session)
    _line_segment(session, owner, visibility="private")
    _import(session, owner, speed=8.0)
    _import(session, other, speed=8.0, t0=T0 + 86_400)
    _deliver(session)
    assert {e.owner_id for e in session.scalars(select(Effort))} == {owner}


def test_laps_give_one_effort_each_and_one_board_line(session: Session) -> None:
    rider = make_user(session)
    circuit = loop(laps=3.2)
    lat, lon = to_degrees(segment_of(circuit, 300.0, 1_100.0))
    segment = service.create_segment_from_points(
        session,
        owner_id=rider,
        points=[[float(a), float(b)] for a, b in zip(lat, lon, strict=True)],
        name="Lap straight",
        sport="cycling",
        visibility="public",
    )
    _import(session, rider, speed=10.0, path=circuit)
    _deliver(session)
    assert len(session.scalars(select(Effort).where(Effort.segment_id == segment.id)).all()) == 3
    assert len(_board(session, segment, None)) == 1


def test_a_segment_cut_from_a_ride_times_that_ride(session: Session) -> None:
    rider = make_user(session)
    ride_id = _import(session, rider, speed=8.0)
    segment = service.create_segment_from_ride(
        session,
        owner_id=rider,
        ride_id=ride_id,
        stretch=service.RideStretch(start_m=1_000.0, end_m=3_000.0),
        name="Cut",
        visibility="public",
    )
    [(effort, _)] = service.ride_efforts(
        session,
        access=service.get_visible_ride(session, ride_id=ride_id, viewer_id=rider),
        viewer_id=rider,
    )
    assert effort.segment_id == segment.id
    assert effort.elapsed_s == pytest.approx(2_000.0 / 8.0, abs=1.5)


def test_the_board_kept_by_events_equals_a_rebuild_over_random_histories(session: Session) -> None:
    rng = random.Random(20261207)
    riders = [make_user(session) for _ in range(4)]
    segment = _line_segment(session, riders[0])
    ride_ids: list[uuid.UUID] = []
    hidden: set[uuid.UUID] = set()  # rides a moderator hid
    with _moderator_hides(hidden):
        for step in range(30):
            _random_step(session, rng, riders, ride_ids, hidden, step)
            if rng.random() < 0.5:
                _deliver(session)  # sometimes several changes wait for one delivery
        _deliver(session)
        viewers = [None, *riders]
        kept = {v: _board(session, segment, v) for v in viewers}
        # Each viewer sees each rider's best among the efforts they may see.
        assert kept == {v: _visible_board(session, v, hidden) for v in viewers}
        kept_bests = _bests(session)
        # Rebuilt from the efforts alone: the same table.
        rebuild_bests(session)
        session.commit()
        assert _bests(session) == kept_bests
        # Rebuilt from scratch, every ride matched once more: the same boards.
        session.execute(delete(Effort))
        session.execute(delete(Best))
        for ride_id in ride_ids:
            refresh_ride_efforts(session, ride_id=ride_id)
        session.commit()
        assert {v: _board(session, segment, v) for v in viewers} == kept
    assert any(kept.values())
    assert hidden and any(v is not None and len(kept[v]) > len(kept[None]) for v in viewers)


def _random_step(
    session: Session,
    rng: random.Random,
    riders: list[uuid.UUID],
    ride_ids: list[uuid.UUID],
    hidden: set[uuid.UUID],
    step: int,
) -> None:
    """One upload, visibility change, moderator hide or lift, or deletion."""
    action = rng.random()
    if action < 0.45 or not ride_ids:
        owner = rng.choice(riders)
        visibility = rng.choice(["public", "public", "private"])
        speed = rng.uniform(5.0, 12.0)
        ride_ids.append(
            _import(session, owner, speed=speed, visibility=visibility, t0=T0 + step * 86_400)
        )
    elif action < 0.65:
        row = session.get(Ride, rng.choice(ride_ids))
        new = rng.choice(["public", "private", "followers"])
        rides_service.update_ride(session, ride=row, changes={"visibility": new})  # type: ignore[arg-type]
    elif action < 0.85:
        hidden.symmetric_difference_update({rng.choice(ride_ids)})  # no event: read at once
    else:
        gone = ride_ids.pop(rng.randrange(len(ride_ids)))
        hidden.discard(gone)
        rides_service.delete_ride(session, ride=session.get(Ride, gone))  # type: ignore[arg-type]


def _visible_board(
    session: Session, viewer: uuid.UUID | None, hidden: set[uuid.UUID]
) -> list[tuple[uuid.UUID, float]]:
    """The board by brute force: each rider's fastest effort the viewer may see."""
    efforts = session.scalars(select(Effort)).all()
    seen = [
        BoardEffort(e.id, e.owner_id, e.elapsed_s, e.started_at)
        for e in efforts
        if e.owner_id == viewer or (e.ride_visibility == "public" and e.ride_id not in hidden)
    ]
    return [(b.owner_id, b.elapsed_s) for b in best_per_rider(seen)]


@contextlib.contextmanager
def _moderator_hides(hidden: set[uuid.UUID]) -> Iterator[None]:
    """Rides' moderation hook answering that a moderator hid the rides in `hidden` now."""
    before = rides.current_audience()

    class Hiding:
        def __getattr__(self, name: str) -> object:
            return getattr(before, name)

        def withheld_rides(self) -> Select[uuid.UUID]:
            return select(Ride.id).where(Ride.id.in_(sorted(hidden, key=str)))

    rides.register_audience(Hiding())  # type: ignore[arg-type]
    try:
        yield
    finally:
        rides.register_audience(before)


def _bests(session: Session) -> set[tuple[object, ...]]:
    rows = session.scalars(select(Best))
    return {(b.segment_id, b.owner_id, b.scope, b.period, b.effort_id, b.elapsed_s) for b in rows}


def test_a_new_segment_is_timed_on_the_rides_already_stored(
    session: Session, engine: Engine
) -> None:
    owner, early, elsewhere = make_user(session), make_user(session), make_user(session)
    before = _import(session, early, speed=9.0)
    _import(session, elsewhere, speed=9.0, path=winding_road() + np.array([0.0, 5_000.0]))
    _deliver(session)
    segment = _line_segment(session, owner)
    [job] = session.scalars(select(Job).where(Job.kind == BACKFILL_JOB)).all()
    segment_id = segment.id
    assert job.payload == {"segment_id": str(segment_id)}
    session.commit()  # the job runs in sessions of its own: hold no lock meanwhile
    sessions = make_session_factory(engine)
    assert backfill_segment(sessions, segment_id=segment_id) == 1
    assert backfill_segment(sessions, segment_id=segment_id) == 0  # a retried job adds nothing
    session.expire_all()
    [effort] = session.scalars(select(Effort)).all()
    assert effort.ride_id == before
    assert [o for o, _ in _board(session, segment, None)] == [early]


@pytest.mark.parametrize(("t0", "stored"), [(4.1e9, 1), (3e11, 0), (-1e12, 0)])
def test_far_future_and_ancient_clocks_never_break_matching(
    session: Session, t0: float, stored: int
) -> None:
    """A device clock in 2099 still gives an effort; one past year 9999 gives none."""
    owner = make_user(session)
    segment = _line_segment(session, owner)
    track = ride(winding_road(), speed_mps=8.0, t0=t0)
    ride_track = rides.RideTrack(
        uuid.uuid4(),
        owner,
        "public",
        "cycling",
        None,
        track.time_s,
        track.lat_deg,
        track.lon_deg,
        None,
        None,
        None,
    )
    assert match_ride_on(session, track=ride_track, segments=[segment]) == stored
    session.commit()
    assert len(_board(session, segment, None)) == stored
