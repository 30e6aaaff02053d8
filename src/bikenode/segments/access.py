"""The segments a request may act on: any public one, or the caller's own private ones.

Someone else's private segment answers the same 404 as a missing one, so an id reveals
nothing; changes (delete) need the caller's own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode import rides
from bikenode.segments import service
from bikenode.segments.models import Segment
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep


def visible_segment(segment_id: uuid.UUID, user: OptionalUser, session: SessionDep) -> Segment:
    viewer = user.id if user is not None else None
    return service.get_visible_segment(session, segment_id=segment_id, viewer_id=viewer)


def own_segment(segment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Segment:
    return service.get_own_segment(session, segment_id=segment_id, owner_id=user.id)


VisibleSegment = Annotated[Segment, Depends(visible_segment)]
OwnSegment = Annotated[Segment, Depends(own_segment)]


def visible_ride(ride_id: uuid.UUID, user: OptionalUser, session: SessionDep) -> rides.RideAccess:
    """A ride the caller may see (their own or a public one), through rides' interface."""
    viewer = user.id if user is not None else None
    return service.get_visible_ride(session, ride_id=ride_id, viewer_id=viewer)


VisibleRide = Annotated[rides.RideAccess, Depends(visible_ride)]
