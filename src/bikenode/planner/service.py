"""Planner use cases: create, list, open, delete routes; share them; persist their documents."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode import accounts
from bikenode.db.base import utcnow
from bikenode.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from bikenode.planner import logic, repo
from bikenode.planner.models import PlannedRoute, RoomTicket, RouteCollaborator, RouteUpdate

Role = Literal["owner", "collaborator"]
MAX_COLLABORATORS = 50
NO_SUCH_ROUTE = "no such route"  # also for routes the caller may not see: no existence oracle
ROOM_TICKET_TTL_S = 30
BAD_TICKET = "expected a fresh room ticket; this one is unknown, expired, spent or for another room"


@dataclass(frozen=True)
class RouteAccess:
    """A route and why the caller may open it."""

    route: PlannedRoute
    role: Role


def create_route(
    session: Session,
    *,
    owner_id: uuid.UUID,
    name: str,
    notes: str = "",
    waypoints: list[logic.Waypoint] | None = None,
) -> PlannedRoute:
    """A new route owned by the caller, its document holding this content."""
    name = name.strip()
    route = PlannedRoute(owner_id=owner_id, name=name)
    session.add(route)
    session.flush()
    update = logic.new_route_update(name, notes, waypoints or [])
    session.add(RouteUpdate(route_id=route.id, seq=1, kind="update", data=update))
    session.commit()
    return route


def route_access(session: Session, *, route_id: uuid.UUID, user_id: uuid.UUID) -> RouteAccess:
    """The route if the user owns it or collaborates on it; NotFound otherwise."""
    route = session.get(PlannedRoute, route_id)
    if route is None:
        raise NotFound(NO_SUCH_ROUTE)
    if route.owner_id == user_id:
        return RouteAccess(route, "owner")
    if repo.is_collaborator(session, route_id, user_id):
        return RouteAccess(route, "collaborator")
    raise NotFound(NO_SUCH_ROUTE)


@dataclass(frozen=True)
class IssuedTicket:
    """A room ticket as shown once to the user it was issued to."""

    ticket: str
    expires_at: datetime


def _ticket_sha256(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_room_ticket(session: Session, *, access: RouteAccess, user_id: uuid.UUID) -> IssuedTicket:
    """A single-use ticket into the room of a route the user may open (access, from
    route_access), valid ROOM_TICKET_TTL_S seconds. Only its SHA-256 is stored."""
    route_id = access.route.id
    now = utcnow()
    repo.delete_expired_tickets(session, user_id, now)
    ticket = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ROOM_TICKET_TTL_S)
    session.add(
        RoomTicket(
            ticket_sha256=_ticket_sha256(ticket),
            route_id=route_id,
            user_id=user_id,
            expires_at=expires_at,
        )
    )
    session.commit()
    return IssuedTicket(ticket, expires_at)


def redeem_room_ticket(session: Session, *, route_id: uuid.UUID, ticket: str) -> uuid.UUID:
    """The id of the user a ticket into this route's room was issued to, spending it;
    NotAuthenticated if it is unknown, expired, already spent or for another route."""
    user_id = repo.spend_ticket(session, _ticket_sha256(ticket), route_id, utcnow())
    session.commit()
    if user_id is None:
        raise NotAuthenticated(BAD_TICKET)
    return user_id


def list_routes(session: Session, *, user_id: uuid.UUID, limit: int) -> list[RouteAccess]:
    """The routes the user owns or collaborates on, most recently changed first."""
    return [
        RouteAccess(route, "owner" if route.owner_id == user_id else "collaborator")
        for route in repo.routes_of(session, user_id, limit=limit)
    ]


def stored_document(session: Session, *, route_id: uuid.UUID) -> bytes:
    """The route's stored document as one update (the merge of its log)."""
    return logic.merge([row.data for row in repo.updates(session, route_id)])


def delete_route(session: Session, *, access: RouteAccess) -> None:
    """Delete a route with its log; only its owner may (PermissionDenied for collaborators)."""
    if access.role != "owner":
        raise PermissionDenied("only the route's owner may delete it")
    session.delete(access.route)
    session.commit()


def add_collaborator(
    session: Session,
    *,
    access: RouteAccess,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
) -> RouteCollaborator:
    """Share the route with a user (by id or e-mail); only the owner may. Idempotent."""
    if access.role != "owner":
        raise PermissionDenied("only the route's owner may share it")
    route_id = access.route.id
    target = _find_user(session, user_id=user_id, email=email)
    if target == access.route.owner_id:
        raise Conflict("the owner is not added as a collaborator of their own route")
    existing = session.get(RouteCollaborator, (route_id, target))
    if existing is not None:
        return existing
    if repo.count_collaborators(session, route_id) >= MAX_COLLABORATORS:
        raise Conflict(f"a route has at most {MAX_COLLABORATORS} collaborators")
    collaborator = RouteCollaborator(route_id=route_id, user_id=target)
    session.add(collaborator)
    session.commit()
    return collaborator


def _find_user(session: Session, *, user_id: uuid.UUID | None, email: str | None) -> uuid.UUID:
    if (user_id is None) == (email is None):
        raise InvalidInput("expected exactly one of 'user_id' and 'email'")
    if email is not None:
        found = accounts.find_user_id_by_email(session, email)
        if found is None:
            raise NotFound("no user with that e-mail address")
        return found
    if user_id is None or accounts.get_rider_profile(session, user_id) is None:
        raise NotFound("no such user")
    return user_id


def remove_collaborator(
    session: Session, *, access: RouteAccess, user_id: uuid.UUID, collaborator_id: uuid.UUID
) -> None:
    """Stop sharing the route with a collaborator: the owner may, and so may they themselves
    (user_id is the caller, access their access to the route)."""
    if access.role != "owner" and collaborator_id != user_id:
        raise PermissionDenied("only the owner removes other collaborators")
    collaborator = session.get(RouteCollaborator, (access.route.id, collaborator_id))
    if collaborator is None:
        raise NotFound("no such collaborator")
    session.delete(collaborator)
    session.commit()


def collaborator_ids(session: Session, *, route_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of a route's collaborators, first added first."""
    return [row.user_id for row in repo.collaborators(session, route_id)]


def allowed_user_ids(session: Session, *, route_id: uuid.UUID) -> set[uuid.UUID] | None:
    """Who may open the route now (its owner and collaborators); None if it has gone."""
    route = session.get(PlannedRoute, route_id)
    allowed = None
    if route is not None:
        allowed = {route.owner_id, *(row.user_id for row in repo.collaborators(session, route_id))}
    session.commit()
    return allowed


def load_log(session: Session, *, route_id: uuid.UUID) -> list[bytes]:
    """A route's stored updates in order; NotFound if the route has gone."""
    return [data for _seq, data in log_rows(session, route_id=route_id)]


def log_rows(
    session: Session, *, route_id: uuid.UUID, after_seq: int = 0
) -> list[tuple[int, bytes]]:
    """A route's stored rows after a seq, in order, as (seq, update); NotFound if it has gone.

    After a compaction the first row may be a snapshot holding rows at or below after_seq
    too: merging an update twice changes nothing.
    """
    if session.get(PlannedRoute, route_id) is None:
        raise NotFound(NO_SUCH_ROUTE)
    rows = [(row.seq, row.data) for row in repo.updates(session, route_id, after_seq=after_seq)]
    session.commit()
    return rows


def last_seq(session: Session, *, route_id: uuid.UUID) -> int | None:
    """The highest seq of a route's log; None if the route has gone."""
    if session.get(PlannedRoute, route_id) is None:
        session.commit()
        return None
    seq, _rows = repo.log_extent(session, route_id)
    session.commit()
    return seq


@dataclass(frozen=True)
class SavedUpdates:
    """Where updates went in a route's log: rows first_seq..last_seq, in the order given."""

    first_seq: int
    last_seq: int


SAVE_TRIES = 5  # two nodes appending to one route at once: the loser takes the next seqs


def save_updates(
    session: Session,
    *,
    route_id: uuid.UUID,
    updates: list[bytes],
    name: str,
    compact_after_rows: int,
) -> SavedUpdates | None:
    """Append a room's new updates to the route's log; None if the route was deleted.

    Once the log is longer than ``compact_after_rows``, its rows are replaced by one
    snapshot row: the merge of the rows as stored (not of this node's room, which may lack
    rows another node wrote). Rooms of one route on several nodes append concurrently: a
    seq another node took first fails the unique constraint, and the append is retried.
    """
    for attempt in range(1, SAVE_TRIES + 1):
        try:
            return _save_updates(session, route_id, updates, name, compact_after_rows)
        except IntegrityError:
            session.rollback()
            if attempt == SAVE_TRIES:
                raise
    raise AssertionError("unreachable")


def _save_updates(
    session: Session,
    route_id: uuid.UUID,
    updates: list[bytes],
    name: str,
    compact_after_rows: int,
) -> SavedUpdates | None:
    route = session.get(PlannedRoute, route_id)
    if route is None:
        session.commit()
        return None
    last_seq, rows = repo.log_extent(session, route_id)
    for offset, update in enumerate(updates, start=1):
        session.add(
            RouteUpdate(route_id=route_id, seq=last_seq + offset, kind="update", data=update)
        )
    saved = SavedUpdates(last_seq + 1, last_seq + len(updates))
    session.flush()
    if rows + len(updates) > compact_after_rows:
        stored = repo.updates(session, route_id)
        snapshot = logic.merge([row.data for row in stored])
        repo.delete_updates_through(session, route_id, stored[-1].seq)
        session.add(
            RouteUpdate(route_id=route_id, seq=stored[-1].seq, kind="snapshot", data=snapshot)
        )
    if name.strip() and name.strip() != route.name:
        route.name = name.strip()[: logic.MAX_NAME_CHARS]
    route.updated_at = utcnow()
    session.commit()
    return saved
