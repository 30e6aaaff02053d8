"""The live sessions and group rides a request may act on: one dependency per kind and access.

A handler declares what it needs (`live: WatchableSession`, `group: OwnedGroup`) instead of
calling a check by hand. The rules live in the service; these only read the id from the path
and the caller. Someone else's private session or group answers the same 404 as a missing
one (401 to an anonymous caller, who may sign in), never 403.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.live import crash_alerts, devices, group_rides, service
from bikenode.live.models import (
    LiveCrashAlert,
    LiveCrashContact,
    LiveDevice,
    LiveGroup,
    LiveSession,
)
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep


def watchable_session(
    session_id: uuid.UUID, session: SessionDep, viewer: OptionalUser
) -> LiveSession:
    """The live session in the path if the caller may watch it (share links go by socket)."""
    viewer_id = viewer.id if viewer is not None else None
    service.authorize_viewer(session, session_id=session_id, viewer_id=viewer_id, share_token=None)
    return service.get_session(session, session_id=session_id)


def owned_live_session(
    session_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> LiveSession:
    """The live session in the path if the caller rides it; 404 otherwise."""
    return service.get_own_session(session, session_id=session_id, owner_id=user.id)


def visible_group(group_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> LiveGroup:
    """The group ride in the path if it is public or the caller rides in it."""
    viewer_id = viewer.id if viewer is not None else None
    return group_rides.get_group(session, group_id=group_id, viewer_id=viewer_id)


def owned_group(group_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> LiveGroup:
    """The group ride in the path if the caller organises it; 404 otherwise."""
    return group_rides.get_own_group(session, group_id=group_id, owner_id=user.id)


def owned_device(device_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> LiveDevice:
    """The device in the path if it is the caller's and not revoked; 404 otherwise."""
    return devices.get_own_device(session, device_id=device_id, owner_id=user.id)


def owned_crash_alert(
    crash_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> LiveCrashAlert:
    """The suspected crash in the path if it is the caller's; 404 otherwise."""
    return crash_alerts.own_alert(session, alert_id=crash_id, owner_id=user.id)


def owned_crash_contact(
    contact_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> LiveCrashContact:
    """The emergency contact in the path if it is the caller's; 404 otherwise."""
    return crash_alerts.own_contact(session, contact_id=contact_id, owner_id=user.id)


WatchableSession = Annotated[LiveSession, Depends(watchable_session)]
OwnedLiveSession = Annotated[LiveSession, Depends(owned_live_session)]
VisibleGroup = Annotated[LiveGroup, Depends(visible_group)]
OwnedGroup = Annotated[LiveGroup, Depends(owned_group)]
OwnedDevice = Annotated[LiveDevice, Depends(owned_device)]
OwnedCrashAlert = Annotated[LiveCrashAlert, Depends(owned_crash_alert)]
OwnedCrashContact = Annotated[LiveCrashContact, Depends(owned_crash_contact)]
