"""The bikes, components, reminders and rides a bikes request may act on: the caller's own only.

Someone else's object answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode import rides
from bikenode.bikes import assignments, reminders, service
from bikenode.bikes.models import Bike, Component, Reminder
from bikenode.web.dependencies import CurrentUser, SessionDep


def own_bike(bike_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Bike:
    return service.get_bike(session, owner_id=user.id, bike_id=bike_id)


def own_component(component_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Component:
    return service.get_component(session, owner_id=user.id, component_id=component_id)


def own_ride(ride_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> rides.RideTotals:
    """One of the caller's rides (through rides' public interface)."""
    return assignments.owned_ride(session, owner_id=user.id, ride_id=ride_id)


OwnBike = Annotated[Bike, Depends(own_bike)]
OwnComponent = Annotated[Component, Depends(own_component)]
OwnRide = Annotated[rides.RideTotals, Depends(own_ride)]


def own_reminder(reminder_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Reminder:
    return reminders.get_reminder(session, owner_id=user.id, reminder_id=reminder_id)


OwnReminder = Annotated[Reminder, Depends(own_reminder)]
