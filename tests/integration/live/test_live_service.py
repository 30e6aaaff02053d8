"""Live tracking's use cases on the database under test, without sockets: batches stored
once, a session ended into a ride, who may watch, group rides."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.errors import NotAuthenticated, NotFound, PermissionDenied
from bikenode.events.models import OutboxEvent
from bikenode.live import group_rides, logic, service
from bikenode.live.models import LiveBatch
from bikenode.rides.models import Ride
from tests.live_tools import columns
from tests.service_factories import make_live_session, make_user


def test_a_batch_sent_twice_is_stored_once_and_none_after_the_end(session: Session) -> None:
    owner = make_user(session)
    live = make_live_session(session, owner, batches=2)
    again = service.batch_row(live.id, logic.Batch(2, columns(2)))
    assert service.store_batches(session, rows=[again]).ended == set()
    stored = session.scalars(select(LiveBatch.batch_no).where(LiveBatch.session_id == live.id))
    assert sorted(stored) == [1, 2]

    ended = service.end_session(session, session_id=live.id, owner_id=owner)
    late = service.batch_row(live.id, logic.Batch(3, columns(3)))
    assert service.store_batches(session, rows=[late]).ended == {live.id}
    stored = session.scalars(select(LiveBatch.batch_no).where(LiveBatch.session_id == live.id))
    assert sorted(stored) == [1, 2]
    assert ended.status == "ended"


def test_ending_a_session_makes_one_ride_of_its_track_and_announces_it(session: Session) -> None:
    owner = make_user(session)
    live = make_live_session(session, owner, batches=3, points=20, name="Morning spin")
    ended = service.end_session(session, session_id=live.id, owner_id=owner)
    assert ended.ride_id is not None
    ride = session.get(Ride, ended.ride_id)
    assert ride is not None and ride.owner_id == owner and ride.name == "Morning spin"
    assert ride.point_count == 60
    imported = session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "rides.ride_imported")
    ).all()
    assert [e.aggregate_id for e in imported] == [str(ride.id)]
    # Ending twice returns the same session and makes no second ride.
    twice = service.end_session(session, session_id=live.id, owner_id=owner)
    assert twice.ride_id == ended.ride_id
    rides = session.scalars(select(Ride.id).where(Ride.owner_id == owner)).all()
    assert rides == [ride.id]


def test_only_the_owner_ends_a_session(session: Session) -> None:
    owner, stranger = make_user(session), make_user(session)
    live = make_live_session(session, owner, batches=1)
    with pytest.raises(NotFound):
        service.end_session(session, session_id=live.id, owner_id=stranger)


def test_who_may_watch_a_private_session(session: Session) -> None:
    owner, stranger = make_user(session), make_user(session)
    live = make_live_session(session, owner)
    assert (
        service.authorize_viewer(
            session, session_id=live.id, viewer_id=owner, share_token=None
        ).reason
        == "owner"
    )
    with pytest.raises(NotFound):  # a signed-in stranger may not learn it exists
        service.authorize_viewer(session, session_id=live.id, viewer_id=stranger, share_token=None)
    with pytest.raises(NotAuthenticated):
        service.authorize_viewer(session, session_id=live.id, viewer_id=None, share_token=None)
    share, token = service.create_share(session, live=live)
    grant = service.authorize_viewer(session, session_id=live.id, viewer_id=None, share_token=token)
    assert (grant.reason, grant.share_id) == ("share", share.id)
    service.revoke_share(session, session_id=live.id, share_id=share.id, owner_id=owner)
    with pytest.raises(PermissionDenied):
        service.authorize_viewer(session, session_id=live.id, viewer_id=None, share_token=token)


def test_a_group_member_watches_a_members_session_and_others_do_not(session: Session) -> None:
    organiser, member, stranger = make_user(session), make_user(session), make_user(session)
    group = group_rides.create_group(session, owner_id=organiser, owner_name="Ada", name="Club run")
    group_rides.add_member(session, group=group, user_id=member, display_name="Sam")
    ride = make_live_session(session, member, group_id=group.id)
    grant = service.authorize_viewer(
        session, session_id=ride.id, viewer_id=organiser, share_token=None
    )
    assert grant.reason == "member"
    with pytest.raises(NotFound):
        service.authorize_viewer(session, session_id=ride.id, viewer_id=stranger, share_token=None)
    with pytest.raises(NotFound):  # only members ride in a group
        make_live_session(session, stranger, group_id=group.id)
