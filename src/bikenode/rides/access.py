"""The rides and uploads a request may act on: one dependency per kind of object and access.

A handler declares what it needs (`ride: VisibleRide`, `ride: OwnedRide`) instead of calling a
check by hand. The rules live in the service (get_visible_ride, get_own_ride, get_own_upload);
these only read the id from the path and the caller. Someone else's object answers the same
404 as a missing one, never 403, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.errors import NotFound
from bikenode.rides import service, uploads
from bikenode.rides.models import Ride, Upload
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep


def visible_ride(ride_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> Ride:
    """The ride in the path if the caller may see it (theirs, or public); 404 otherwise."""
    viewer_id = viewer.id if viewer is not None else None
    ride = service.get_visible_ride(session, ride_id=ride_id, viewer_id=viewer_id)
    if viewer is not None and not viewer.private_rides and ride.visibility == "private":
        raise NotFound("no such ride")  # an app without rides:read_all: as for a stranger
    return ride


def owned_ride(ride_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Ride:
    """The ride in the path if the caller owns it (to change it); 404 otherwise."""
    return service.get_own_ride(session, ride_id=ride_id, owner_id=user.id)


def owned_upload(upload_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Upload:
    """The upload in the path if the caller made it; 404 otherwise.

    Ends its read at once: a tus PATCH then streams its body for as long as the client
    sends, storing each chunk in a transaction of its own.
    """
    upload = uploads.get_own_upload(session, owner_id=user.id, upload_id=upload_id)
    session.commit()
    return upload


VisibleRide = Annotated[Ride, Depends(visible_ride)]
OwnedRide = Annotated[Ride, Depends(owned_ride)]
OwnedUpload = Annotated[Upload, Depends(owned_upload)]
