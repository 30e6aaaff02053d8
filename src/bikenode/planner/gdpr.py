"""A user's planned routes for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from bikenode.export_json import json_bytes
from bikenode.planner import logic, repo
from bikenode.planner.models import PlannedRoute, RoomTicket, RouteCollaborator, RouteUpdate

# Every waypoint the document holds: its size limit (8 MiB by default) bounds them.
ALL_WAYPOINTS = 1 << 31


def iter_user_export(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the routes the user owns or collaborates on, one route at a time.

    planner/routes/<id>.json holds the route as its document says (name, notes, waypoints),
    the user's role and its collaborators; planner/routes/<id>.gpx the same route as GPX.
    """
    shared = select(RouteCollaborator.route_id).where(RouteCollaborator.user_id == user_id)
    route_ids = session.scalars(
        select(PlannedRoute.id)
        .where(or_(PlannedRoute.owner_id == user_id, PlannedRoute.id.in_(shared)))
        .order_by(PlannedRoute.created_at, PlannedRoute.id)
    ).all()
    for route_id in route_ids:
        route = session.get(PlannedRoute, route_id)
        if route is not None:  # not deleted while the export ran
            content = logic.read_route(
                logic.merge([row.data for row in repo.updates(session, route_id)]),
                max_waypoints=ALL_WAYPOINTS,
            )
            record = _route_record(session, route, content, user_id)
            yield f"planner/routes/{route_id}.json", json_bytes(record)
            yield f"planner/routes/{route_id}.gpx", logic.route_gpx(content)
        session.rollback()  # one short read per route: writers are not held up (SQLite)


def _route_record(
    session: Session, route: PlannedRoute, content: logic.RouteContent, user_id: uuid.UUID
) -> dict[str, Any]:
    owned = route.owner_id == user_id
    collaborators = repo.collaborators(session, route.id)
    return {
        "id": str(route.id),
        "role": "owner" if owned else "collaborator",
        "name": content.name,
        "listed_name": route.name,
        "notes": content.notes,
        "waypoints": [
            {"id": p.id, "lat_deg": p.lat_deg, "lon_deg": p.lon_deg, "name": p.name}
            for p in content.waypoints
        ],
        # The owner sees whom they shared with; a collaborator sees only their own entry.
        "collaborators": [
            {"user_id": str(c.user_id), "added_at": c.added_at.isoformat()}
            for c in collaborators
            if owned or c.user_id == user_id
        ],
        "created_at": route.created_at.isoformat(),
        "updated_at": route.updated_at.isoformat(),
    }


def erase_user_data(session: Session, user_id: uuid.UUID) -> int:
    """Delete the routes the user owns (with their logs, collaborators and room tickets),
    their place as a collaborator on others' routes and their own room tickets; flushes
    only. Returns how many routes went."""
    owned = select(PlannedRoute.id).where(PlannedRoute.owner_id == user_id)
    count = int(
        session.scalar(
            select(func.count()).select_from(PlannedRoute).where(PlannedRoute.owner_id == user_id)
        )
        or 0
    )
    # Explicit deletes rather than trusting every database's cascade: nothing may stay.
    session.execute(delete(RouteUpdate).where(RouteUpdate.route_id.in_(owned)))
    session.execute(
        delete(RoomTicket).where(or_(RoomTicket.user_id == user_id, RoomTicket.route_id.in_(owned)))
    )
    session.execute(
        delete(RouteCollaborator).where(
            or_(RouteCollaborator.user_id == user_id, RouteCollaborator.route_id.in_(owned))
        )
    )
    session.execute(delete(PlannedRoute).where(PlannedRoute.owner_id == user_id))
    session.flush()
    return count
