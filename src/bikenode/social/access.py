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
from bikenode.social.clubs import activity
from bikenode.social.clubs import service as clubs
from bikenode.social.clubs.models import ClubEvent, ClubMember
from bikenode.social.clubs.service import ClubAccess
from bikenode.social.models import Comment, ModerationAction, Report
from bikenode.web.dependencies import AppealingUserId, CurrentUser, OptionalUser, SessionDep


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


def own_action(
    action_id: uuid.UUID, session: SessionDep, user_id: AppealingUserId
) -> ModerationAction:
    """A moderation action against the caller (a suspended one too, with their appeal token);
    404 for anyone else's, as for a missing one."""
    return actions.own_action(session, action_id=action_id, user_id=user_id)


OwnAction = Annotated[ModerationAction, Depends(own_action)]
ModeratedAction = Annotated[ModerationAction, Depends(moderated_action)]
ModeratedComment = Annotated[Comment, Depends(moderated_comment)]
ModeratedReport = Annotated[Report, Depends(moderated_report)]
VisibleRider = Annotated[uuid.UUID, Depends(visible_rider)]
KnownRider = Annotated[uuid.UUID, Depends(known_rider)]
VisibleRideOwner = Annotated[uuid.UUID, Depends(visible_ride_owner)]
VisibleComment = Annotated[Comment, Depends(visible_comment)]


# Clubs: a club the caller may not know of answers 404; one they know but may not act on, 403.


def seen_club(club_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> ClubAccess:
    """The club's about: any club for a signed-in rider not blocked by its owner, public
    ones for anonymous callers."""
    viewer_id = viewer.id if viewer is not None else None
    return clubs.club_access(session, club_id=club_id, viewer_id=viewer_id, need="see")


def read_club(club_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> ClubAccess:
    """The club's members, posts and events: a public club's for anyone who sees it, a
    private club's for its active members."""
    viewer_id = viewer.id if viewer is not None else None
    return clubs.club_access(session, club_id=club_id, viewer_id=viewer_id, need="read")


def joinable_club(club_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> ClubAccess:
    """A club a signed-in rider sees, to join, ask to join or leave."""
    return clubs.club_access(session, club_id=club_id, viewer_id=viewer.id, need="see")


def member_club(club_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> ClubAccess:
    """A club the caller is an active member of (to post, plan rides, answer them)."""
    return clubs.club_access(session, club_id=club_id, viewer_id=viewer.id, need="member")


def managed_club(club_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> ClubAccess:
    """A club the caller owns or administers."""
    return clubs.club_access(session, club_id=club_id, viewer_id=viewer.id, need="manage")


def owned_club(club_id: uuid.UUID, session: SessionDep, viewer: CurrentUser) -> ClubAccess:
    """A club the caller owns."""
    return clubs.club_access(session, club_id=club_id, viewer_id=viewer.id, need="own")


SeenClub = Annotated[ClubAccess, Depends(seen_club)]
ReadClub = Annotated[ClubAccess, Depends(read_club)]
JoinableClub = Annotated[ClubAccess, Depends(joinable_club)]
MemberClub = Annotated[ClubAccess, Depends(member_club)]
ManagedClub = Annotated[ClubAccess, Depends(managed_club)]
OwnedClub = Annotated[ClubAccess, Depends(owned_club)]


def club_event(event_id: uuid.UUID, access: MemberClub, session: SessionDep) -> ClubEvent:
    """A ride of the club in the path, for its members."""
    return activity.club_event(session, access=access, event_id=event_id)


def managed_member(user_id: uuid.UUID, access: ManagedClub, session: SessionDep) -> ClubMember:
    """A member (or requester) of the club in the path, for its owner and admins."""
    return clubs.target(session, club_id=access.club.id, user_id=user_id)


def owned_member(user_id: uuid.UUID, access: OwnedClub, session: SessionDep) -> ClubMember:
    """A member of the club in the path, for its owner."""
    return clubs.target(session, club_id=access.club.id, user_id=user_id)


def managed_invite(invite_id: uuid.UUID, access: ManagedClub) -> uuid.UUID:
    """An invite id under a club the caller manages (the service checks it is that club's)."""
    return invite_id


def member_post(post_id: uuid.UUID, access: MemberClub) -> uuid.UUID:
    """A post id under a club the caller is in (the service checks the post is that club's
    and the caller its author or a manager)."""
    return post_id


ClubEventDep = Annotated[ClubEvent, Depends(club_event)]
ManagedMember = Annotated[ClubMember, Depends(managed_member)]
OwnedMember = Annotated[ClubMember, Depends(owned_member)]
ManagedInvite = Annotated[uuid.UUID, Depends(managed_invite)]
MemberPost = Annotated[uuid.UUID, Depends(member_post)]
