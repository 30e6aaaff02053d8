"""The planned routes a request may act on: one dependency, the route in the path.

A handler declares `access: OpenableRoute` instead of calling route_access by hand. The rule
lives in the service; this only reads the id from the path and the caller. A route the caller
neither owns nor collaborates on answers the same 404 as a missing one, never 403. What only
the owner may do (delete, share) the service refuses to a collaborator with 403: they already
know the route exists.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.planner import service
from bikenode.web.dependencies import CurrentUser, SessionDep


def openable_route(
    route_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> service.RouteAccess:
    """The route in the path and the caller's role on it (owner or collaborator); 404 otherwise."""
    return service.route_access(session, route_id=route_id, user_id=user.id)


OpenableRoute = Annotated[service.RouteAccess, Depends(openable_route)]
