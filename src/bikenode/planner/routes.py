"""The planner REST API: routes, their collaborators, GPX export."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bikenode.planner import logic, maps, service
from bikenode.planner.access import OpenableRoute
from bikenode.planner.rooms import PlannerNode
from bikenode.planner.routing import courses
from bikenode.planner.schemas import (
    MAX_WAYPOINTS,
    CollaboratorAdd,
    CollaboratorPublic,
    RoomPublic,
    RoomTicketPublic,
    RouteCreate,
    RouteListItem,
    RoutePage,
    RoutePublic,
    WaypointPublic,
)
from bikenode.planner.ws import ROOMS_PATH
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["routes"], route_class=StrictJSONRoute)


def _node(request: Request) -> PlannerNode:
    return request.app.state.planner  # type: ignore[no-any-return]


def _list_item(access: service.RouteAccess) -> RouteListItem:
    route = access.route
    return RouteListItem(
        id=route.id,
        owner_id=route.owner_id,
        name=route.name,
        role=access.role,
        created_at=route.created_at,
        updated_at=route.updated_at,
    )


def _content(request: Request, session: Session, route_id: uuid.UUID) -> logic.RouteContent:
    """The route's current content: the open room's if it is open here, else the stored one."""
    document = _node(request).document(route_id)
    if document is None:
        document = service.stored_document(session, route_id=route_id)
    return logic.read_route(document, max_waypoints=MAX_WAYPOINTS)


def _route_public(request: Request, session: Session, access: service.RouteAccess) -> RoutePublic:
    route_id = access.route.id
    content = _content(request, session, route_id)
    return RoutePublic(
        **_list_item(access).model_dump(),
        notes=content.notes,
        waypoints=[
            WaypointPublic(id=p.id, lat_deg=p.lat_deg, lon_deg=p.lon_deg, name=p.name)
            for p in content.waypoints
        ],
        collaborators=service.collaborator_ids(session, route_id=route_id),
        room=RoomPublic(
            server_path=ROOMS_PATH,
            room=str(route_id),
            params=["token"],
            ticket_path=f"/api/v1/routes/{route_id}/room-tickets",
        ),
    )


@router.post("/routes", status_code=status.HTTP_201_CREATED, response_model=RoutePublic)
def create_route(
    request: Request, body: RouteCreate, user: CurrentUser, session: SessionDep
) -> RoutePublic:
    """Plan a new route (optionally with waypoints); edit it together in its room."""
    route = service.create_route(
        session,
        owner_id=user.id,
        name=body.name,
        notes=body.notes,
        waypoints=[
            logic.Waypoint(p.id or logic.new_waypoint_id(), p.lat_deg, p.lon_deg, p.name)
            for p in body.waypoints
        ],
    )
    return _route_public(request, session, service.RouteAccess(route, "owner"))


@router.get("/routes", response_model=RoutePage)
def list_routes(
    user: CurrentUser, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> RoutePage:
    """Routes you own or collaborate on, most recently changed first."""
    routes = service.list_routes(session, user_id=user.id, limit=limit)
    return RoutePage(items=[_list_item(access) for access in routes])


@router.get("/routes/{route_id}", response_model=RoutePublic)
def read_route(request: Request, access: OpenableRoute, session: SessionDep) -> RoutePublic:
    """A route with its waypoints, notes, collaborators and room."""
    return _route_public(request, session, access)


@router.delete("/routes/{route_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_route(request: Request, access: OpenableRoute, session: SessionDep) -> Response:
    """Delete a route you own; everyone in its room is disconnected."""
    # In the session that checked access: the check and the deletion are one transaction.
    await run_in_threadpool(service.delete_route, session, access=access)
    _node(request).kick(access.route.id)  # on the event loop: rooms are not thread-safe
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/routes/{route_id}/room-tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=RoomTicketPublic,
)
def issue_room_ticket(
    access: OpenableRoute, response: Response, user: CurrentUser, session: SessionDep
) -> RoomTicketPublic:
    """A single-use ticket into the route's room, valid for 30 seconds."""
    response.headers["Cache-Control"] = "no-store"
    issued = service.issue_room_ticket(session, access=access, user_id=user.id)
    return RoomTicketPublic(
        ticket=issued.ticket,
        expires_at=issued.expires_at,
        expires_in_s=service.ROOM_TICKET_TTL_S,
    )


@router.get(
    "/routes/{route_id}/export.gpx",
    response_class=Response,
    responses={200: {"content": {"application/gpx+xml": {}}}},
)
def export_route(
    request: Request,
    access: OpenableRoute,
    session: SessionDep,
    kind: Literal["route", "track"] = "route",
) -> Response:
    """The route as GPX: its waypoints (a rte), or the planned line along the roads (a trk)."""
    route_id = access.route.id
    content = _content(request, session, route_id)
    if kind == "route":
        body = logic.route_gpx(content)
    else:
        body = courses.gpx_track(content.name, maps.route_plan(request.app.state.routing, content))
    return _download(body, "application/gpx+xml", f"route-{route_id}.gpx")


@router.get(
    "/routes/{route_id}/export.tcx",
    response_class=Response,
    responses={200: {"content": {"application/vnd.garmin.tcx+xml": {}}}},
)
def export_tcx_course(request: Request, access: OpenableRoute, session: SessionDep) -> Response:
    """The planned line as a TCX course for a head unit."""
    content = _content(request, session, access.route.id)
    plan = maps.route_plan(request.app.state.routing, content)
    body = courses.tcx_course(content.name, plan, start_s=access.route.updated_at.timestamp())
    return _download(body, "application/vnd.garmin.tcx+xml", f"route-{access.route.id}.tcx")


@router.get(
    "/routes/{route_id}/export.fit",
    response_class=Response,
    responses={200: {"content": {"application/vnd.ant.fit": {}}}},
)
def export_fit_course(request: Request, access: OpenableRoute, session: SessionDep) -> Response:
    """The planned line as a FIT course file for a head unit."""
    content = _content(request, session, access.route.id)
    plan = maps.route_plan(request.app.state.routing, content)
    body = courses.fit_course(content.name, plan, start_s=access.route.updated_at.timestamp())
    return _download(body, "application/vnd.ant.fit", f"route-{access.route.id}.fit")


def _download(body: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.post(
    "/routes/{route_id}/collaborators",
    status_code=status.HTTP_201_CREATED,
    response_model=CollaboratorPublic,
)
def add_collaborator(
    access: OpenableRoute, body: CollaboratorAdd, session: SessionDep
) -> CollaboratorPublic:
    """Share a route you own with a user, by user id or e-mail address."""
    collaborator = service.add_collaborator(
        session, access=access, user_id=body.user_id, email=body.email
    )
    return CollaboratorPublic(
        route_id=access.route.id, user_id=collaborator.user_id, added_at=collaborator.added_at
    )


@router.delete("/routes/{route_id}/collaborators/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_collaborator(
    request: Request,
    access: OpenableRoute,
    user_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
) -> Response:
    """Stop sharing a route (the owner), or leave it (a collaborator, with their own id)."""
    # In the session that checked access: the check and the change are one transaction.
    await run_in_threadpool(
        service.remove_collaborator,
        session,
        access=access,
        user_id=user.id,
        collaborator_id=user_id,
    )
    _node(request).kick(access.route.id, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
