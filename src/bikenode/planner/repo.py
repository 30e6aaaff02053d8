"""Queries on the planner tables; never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bikenode.planner.models import PlannedRoute, RoomTicket, RouteCollaborator, RouteUpdate


def routes_of(session: Session, user_id: uuid.UUID, *, limit: int) -> list[PlannedRoute]:
    """Routes the user owns or collaborates on, most recently changed first."""
    shared = select(RouteCollaborator.route_id).where(RouteCollaborator.user_id == user_id)
    return list(
        session.scalars(
            select(PlannedRoute)
            .where(or_(PlannedRoute.owner_id == user_id, PlannedRoute.id.in_(shared)))
            .order_by(PlannedRoute.updated_at.desc(), PlannedRoute.id)
            .limit(limit)
        )
    )


def is_collaborator(session: Session, route_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the user is a collaborator of the route."""
    return session.get(RouteCollaborator, (route_id, user_id)) is not None


def collaborators(session: Session, route_id: uuid.UUID) -> list[RouteCollaborator]:
    """A route's collaborators, first added first."""
    return list(
        session.scalars(
            select(RouteCollaborator)
            .where(RouteCollaborator.route_id == route_id)
            .order_by(RouteCollaborator.added_at, RouteCollaborator.user_id)
        )
    )


def count_collaborators(session: Session, route_id: uuid.UUID) -> int:
    """How many collaborators a route has."""
    return int(
        session.scalar(select(func.count()).where(RouteCollaborator.route_id == route_id)) or 0
    )


def updates(session: Session, route_id: uuid.UUID, *, after_seq: int = 0) -> list[RouteUpdate]:
    """A route's stored updates after a seq, in order (a snapshot first, if compacted)."""
    return list(
        session.scalars(
            select(RouteUpdate)
            .where(RouteUpdate.route_id == route_id, RouteUpdate.seq > after_seq)
            .order_by(RouteUpdate.seq)
        )
    )


def log_extent(session: Session, route_id: uuid.UUID) -> tuple[int, int]:
    """The highest seq of a route's log (0 if empty) and how many rows it has."""
    row = session.execute(
        select(func.max(RouteUpdate.seq), func.count()).where(RouteUpdate.route_id == route_id)
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def delete_updates_through(session: Session, route_id: uuid.UUID, seq: int) -> None:
    """Delete a route's log rows up to and including seq."""
    session.execute(
        delete(RouteUpdate).where(RouteUpdate.route_id == route_id, RouteUpdate.seq <= seq)
    )


def delete_expired_tickets(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Delete the user's room tickets that expired (used or not)."""
    session.execute(
        delete(RoomTicket).where(RoomTicket.user_id == user_id, RoomTicket.expires_at <= now)
    )


def spend_ticket(
    session: Session, ticket_sha256: str, route_id: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    """Mark an unused, unexpired ticket into this route's room used; its user's id, or None.

    One atomic UPDATE: of two connections racing with one ticket, exactly one gets the user.
    """
    user_id = session.scalar(
        select(RoomTicket.user_id).where(
            RoomTicket.ticket_sha256 == ticket_sha256, RoomTicket.route_id == route_id
        )
    )
    if user_id is None:
        return None
    spent = session.execute(
        update(RoomTicket)
        .where(
            RoomTicket.ticket_sha256 == ticket_sha256,
            RoomTicket.used_at.is_(None),
            RoomTicket.expires_at > now,
        )
        .values(used_at=now)
    )
    return user_id if spent.rowcount == 1 else None  # type: ignore[attr-defined]
