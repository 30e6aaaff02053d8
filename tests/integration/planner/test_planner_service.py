"""The route planner's use cases on the database under test, without sockets: who may open
a route, sharing, the update log and its compaction, deletion."""

from __future__ import annotations

import uuid

import pytest
from pycrdt import Map
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.accounts.models import User
from bikenode.errors import Conflict, NotFound, PermissionDenied
from bikenode.planner import logic, repo, service
from bikenode.planner.models import RouteCollaborator, RouteUpdate
from tests.service_factories import make_user

SUMMIT = logic.Waypoint(id="w1", lat_deg=45.0639, lon_deg=6.4078, name="Galibier")
VALLEY = logic.Waypoint(id="w2", lat_deg=45.1047, lon_deg=6.4924, name="Valloire")


def _renamed(document: bytes, name: str) -> bytes:
    """The Yjs update a client sends when it renames the route in this document."""
    doc = logic.load_doc(document)
    before = doc.get_state()
    meta = doc.get(logic.META, type=Map)
    meta["name"] = name
    return doc.get_update(before)


def _email(session: Session, user_id: uuid.UUID) -> str:
    user = session.get(User, user_id)
    assert user is not None
    return user.email


def test_only_the_owner_and_collaborators_open_a_route(session: Session) -> None:
    owner, friend, stranger = make_user(session), make_user(session), make_user(session)
    route = service.create_route(session, owner_id=owner, name="Galibier", waypoints=[VALLEY])
    access = service.route_access(session, route_id=route.id, user_id=owner)
    assert access.role == "owner"
    service.add_collaborator(session, access=access, email=_email(session, friend))
    service.add_collaborator(session, access=access, user_id=friend)  # again: no change
    assert service.collaborator_ids(session, route_id=route.id) == [friend]
    assert service.route_access(session, route_id=route.id, user_id=friend).role == "collaborator"
    with pytest.raises(NotFound):  # not 403: a stranger may not learn the route exists
        service.route_access(session, route_id=route.id, user_id=stranger)
    with pytest.raises(Conflict):
        service.add_collaborator(session, access=access, user_id=owner)
    assert service.allowed_user_ids(session, route_id=route.id) == {owner, friend}


def test_a_collaborator_may_leave_but_not_share_or_delete(session: Session) -> None:
    owner, friend, other = make_user(session), make_user(session), make_user(session)
    route = service.create_route(session, owner_id=owner, name="Loop")
    owners = service.route_access(session, route_id=route.id, user_id=owner)
    service.add_collaborator(session, access=owners, user_id=friend)
    friends = service.route_access(session, route_id=route.id, user_id=friend)
    with pytest.raises(PermissionDenied, match="may share"):
        service.add_collaborator(session, access=friends, user_id=other)
    with pytest.raises(PermissionDenied, match="may delete"):
        service.delete_route(session, access=friends)
    session.rollback()
    service.remove_collaborator(session, access=friends, user_id=friend, collaborator_id=friend)
    with pytest.raises(NotFound):
        service.route_access(session, route_id=route.id, user_id=friend)


def test_updates_are_logged_in_order_compacted_and_read_back(session: Session) -> None:
    owner = make_user(session)
    route = service.create_route(
        session, owner_id=owner, name="Galibier", notes="jacket", waypoints=[VALLEY, SUMMIT]
    )
    document = service.stored_document(session, route_id=route.id)
    for step in range(1, 6):
        update = _renamed(document, f"Galibier take {step}")
        assert service.save_updates(
            session,
            route_id=route.id,
            updates=[update],
            name=f"Galibier take {step}",
            compact_after_rows=4,
        )
        document = service.stored_document(session, route_id=route.id)
    content = logic.read_route(document, max_waypoints=100)
    assert (content.name, content.notes) == ("Galibier take 5", "jacket")
    assert [w.name for w in content.waypoints] == ["Valloire", "Galibier"]
    rows = session.scalars(
        select(RouteUpdate).where(RouteUpdate.route_id == route.id).order_by(RouteUpdate.seq)
    ).all()
    assert len(rows) < 6 and rows[0].kind == "snapshot"  # the log was compacted
    assert [r.seq for r in rows] == sorted({r.seq for r in rows})
    session.refresh(route)
    assert route.name == "Galibier take 5"


def test_deleting_a_route_takes_its_log_and_sharing_and_stops_saves(session: Session) -> None:
    owner, friend = make_user(session), make_user(session)
    route = service.create_route(session, owner_id=owner, name="Gone")
    access = service.route_access(session, route_id=route.id, user_id=owner)
    service.add_collaborator(session, access=access, user_id=friend)
    document = service.stored_document(session, route_id=route.id)
    service.delete_route(session, access=access)
    for table in (RouteUpdate, RouteCollaborator):
        assert session.scalar(select(func.count()).select_from(table)) == 0
    saved = service.save_updates(
        session,
        route_id=route.id,
        updates=[_renamed(document, "x")],
        name="x",
        compact_after_rows=9,
    )
    assert saved is None
    with pytest.raises(NotFound):
        service.load_log(session, route_id=route.id)


def test_an_append_that_loses_the_race_for_a_seq_takes_the_next_ones(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two nodes appending to one route at once: the loser's insert hits the unique seq and
    is retried, so both appends are kept, each under its own seqs."""
    owner = make_user(session)
    route = service.create_route(session, owner_id=owner, name="Race")
    document = service.stored_document(session, route_id=route.id)
    real_extent = repo.log_extent
    stale = iter([True])

    def extent_read_before_the_other_commit(db: Session, route_id: uuid.UUID) -> tuple[int, int]:
        last, rows = real_extent(db, route_id)
        return (last - 1, rows - 1) if next(stale, False) else (last, rows)

    monkeypatch.setattr(repo, "log_extent", extent_read_before_the_other_commit)
    saved = service.save_updates(
        session,
        route_id=route.id,
        updates=[_renamed(document, "Race won")],
        name="",
        compact_after_rows=100,
    )
    assert saved == service.SavedUpdates(2, 2)
    rows = service.log_rows(session, route_id=route.id)
    assert [seq for seq, _ in rows] == [1, 2]
    assert service.log_rows(session, route_id=route.id, after_seq=1) == rows[1:]
    assert service.last_seq(session, route_id=route.id) == 2
