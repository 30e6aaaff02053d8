"""The apps, grants and personal tokens a request may act on: the caller's own only.

Someone else's answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.apps import service
from bikenode.apps.models import App, AppGrant, PersonalToken
from bikenode.web.dependencies import CurrentUser, SessionDep


def own_app(app_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> App:
    return service.get_app(session, owner_id=user.id, app_id=app_id)


def own_grant(grant_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> AppGrant:
    return service.get_grant(session, user_id=user.id, grant_id=grant_id)


def own_personal_token(
    token_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> PersonalToken:
    return service.get_personal_token(session, user_id=user.id, token_id=token_id)


OwnApp = Annotated[App, Depends(own_app)]
OwnGrant = Annotated[AppGrant, Depends(own_grant)]
OwnPersonalToken = Annotated[PersonalToken, Depends(own_personal_token)]
