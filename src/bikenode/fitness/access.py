"""The rides a fitness request may act on, through rides' own rules (its public interface).

Someone else's ride answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode import rides
from bikenode.errors import NotFound
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep


def own_ride_signals(
    ride_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> rides.RideSignals:
    """The caller's own ride in the path (to set its stress); 404 otherwise."""
    signals = rides.ride_signals(session, ride_id)
    if signals is None or signals.owner_id != user.id:
        raise NotFound("no such ride")
    return signals


def ride_power_seen(
    ride_id: uuid.UUID, session: SessionDep, viewer: OptionalUser
) -> rides.RidePower:
    """The ride's power as the caller may see it (rides' visibility and health sharing)."""
    viewer_id = viewer.id if viewer is not None else None
    return rides.ride_power_seen_by(session, ride_id=ride_id, viewer_id=viewer_id)


OwnRideSignals = Annotated[rides.RideSignals, Depends(own_ride_signals)]
RidePowerSeen = Annotated[rides.RidePower, Depends(ride_power_seen)]
