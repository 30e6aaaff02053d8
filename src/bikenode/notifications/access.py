"""The notifications a request may act on: the caller's own only (404 for any other)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.notifications import service
from bikenode.notifications.models import Notification
from bikenode.web.dependencies import CurrentUser, SessionDep


def own_notification(
    notification_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Notification:
    return service.get_notification(session, user_id=user.id, notification_id=notification_id)


OwnNotification = Annotated[Notification, Depends(own_notification)]
