"""The riders, rides and comments a social request may act on.

A rider blocked either way, a ride the caller may not see and a comment on such a ride all
answer the same 404 as a missing one.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode import rides
from bikenode.accounts import require_moderator
from bikenode.social import actions, moderation, reactions, service
from bikenode.social.models import Comment, ModerationAction, Report
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep


def visible_rider(user_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> uuid.UUID:
    """The rider in the path, unless either blocks the other; 404 otherwise."""
    service.visible_rider(session, user_id=user_id, viewer_id=viewer.id)
    return user_id


def known_rider(user_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> uuid.UUID:
    """Any rider in the path, to act on the caller's own relation to them (block, remove)."""
    service.known_rider(session, user_id=user_id)
    return user_id


def visible_ride_owner(ride_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> uuid.UUID:
    """The owner of the ride in the path if the caller may see the ride; 404 otherwise."""
    viewer_id = viewer.id if viewer is not None else None
    return rides.visible_ride_owner(session, ride_id=ride_id, viewer_id=viewer_id)


def visible_comment(comment_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> Comment:
    """The comment in the path if the caller may see its ride and its author; 404 otherwise."""
    return reactions.visible_comment(session, comment_id=comment_id, viewer_id=viewer.id)


def moderator(user: CurrentUser, session: SessionDep) -> uuid.UUID:
    """The caller's id if they moderate (an admin or a moderator, with MFA on); 403 otherwise."""
    require_moderator(session, user=user)
    return user.id


Moderator = Annotated[uuid.UUID, Depends(moderator)]


def moderated_comment(comment_id: uuid.UUID, session: SessionDep, _: Moderator) -> Comment:
    """Any comment, for a moderator; 404 if there is none."""
    return moderation.get_comment(session, comment_id=comment_id)


def moderated_report(report_id: uuid.UUID, session: SessionDep, _: Moderator) -> Report:
    """Any report, for a moderator; 404 if there is none."""
    return moderation.get_report(session, report_id=report_id)


def moderated_action(action_id: uuid.UUID, session: SessionDep, _: Moderator) -> ModerationAction:
    """Any moderation action, for a moderator; 404 if there is none."""
    return actions.get_action(session, action_id=action_id)


def own_action(action_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> ModerationAction:
    """A moderation action against the caller; 404 for anyone else's, as for a missing one."""
    return actions.own_action(session, action_id=action_id, user_id=user.id)


OwnAction = Annotated[ModerationAction, Depends(own_action)]
ModeratedAction = Annotated[ModerationAction, Depends(moderated_action)]
ModeratedComment = Annotated[Comment, Depends(moderated_comment)]
ModeratedReport = Annotated[Report, Depends(moderated_report)]
VisibleRider = Annotated[uuid.UUID, Depends(visible_rider)]
KnownRider = Annotated[uuid.UUID, Depends(known_rider)]
VisibleRideOwner = Annotated[uuid.UUID, Depends(visible_ride_owner)]
VisibleComment = Annotated[Comment, Depends(visible_comment)]
