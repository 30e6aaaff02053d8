"""The rides a fitness request may act on, through rides' own rules (its public interface).

Someone else's ride answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from bikenode import rides
from bikenode.errors import NotFound
from bikenode.fitness.coaching import has_coach, may_read_rider
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


RiderQuery = Annotated[
    uuid.UUID | None,
    Query(description="whose data to read: yours (left out) or an athlete's who made you coach"),
]


def readable_rider(session: SessionDep, user: CurrentUser, rider: RiderQuery = None) -> uuid.UUID:
    """The rider whose fitness data a GET reads: the caller, or an athlete who granted them
    coach access; anyone else answers 404 as a missing rider would."""
    if rider is None or may_read_rider(session, viewer_id=user.id, rider_id=rider):
        return rider or user.id
    raise NotFound("no such rider")


def own_coach(user_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> uuid.UUID:
    """A coach the caller granted access (blocked or not: revoking is always theirs); 404
    otherwise, as for a missing user."""
    if not has_coach(session, athlete_id=user.id, coach_id=user_id):
        raise NotFound("no such coach")
    return user_id


OwnRideSignals = Annotated[rides.RideSignals, Depends(own_ride_signals)]
RidePowerSeen = Annotated[rides.RidePower, Depends(ride_power_seen)]
ReadableRider = Annotated[uuid.UUID, Depends(readable_rider)]
OwnCoach = Annotated[uuid.UUID, Depends(own_coach)]
