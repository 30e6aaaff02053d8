"""The social API: profiles, follows, blocks, kudos, comments and the feed."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from bikenode.social import actions, moderation, reactions, service
from bikenode.social import feed as social_feed
from bikenode.social.access import (
    KnownRider,
    ModeratedAction,
    ModeratedComment,
    ModeratedReport,
    Moderator,
    OwnAction,
    VisibleComment,
    VisibleRideOwner,
    VisibleRider,
)
from bikenode.social.schemas import (
    ActionCreate,
    ActionList,
    ActionPublic,
    AppealCreate,
    AppealDecision,
    ClubPostEntry,
    CommentCreate,
    CommentList,
    CommentPublic,
    FeedEntry,
    FeedPage,
    FollowAnswer,
    KudosList,
    ModerationQueue,
    ModerationReason,
    ProfilePublic,
    QueuedReportPublic,
    ReportCreate,
    ReportList,
    ReportPublic,
    RiderCardPublic,
    RiderList,
    SocialSettings,
)
from bikenode.web.dependencies import AppealingUserId, CurrentUser, OptionalUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["social"], route_class=StrictJSONRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _riders(cards: list[service.RiderCard]) -> RiderList:
    return RiderList(items=[RiderCardPublic.model_validate(c) for c in cards])


@router.get("/users/{user_id}", response_model=ProfilePublic)
def get_profile(user_id: VisibleRider, user: CurrentUser, session: SessionDep) -> ProfilePublic:
    """A rider's profile: name, follower counts, your follow."""
    profile = service.get_profile(session, user_id=user_id, viewer_id=user.id)
    return ProfilePublic.model_validate(profile)


@router.get("/users/{user_id}/followers", response_model=RiderList)
def list_followers(user_id: VisibleRider, user: CurrentUser, session: SessionDep) -> RiderList:
    """A rider's approved followers (hidden unless you may see them)."""
    return _riders(
        service.list_followers(session, user_id=user_id, viewer_id=user.id, following=False)
    )


@router.get("/users/{user_id}/following", response_model=RiderList)
def list_following(user_id: VisibleRider, user: CurrentUser, session: SessionDep) -> RiderList:
    """The riders a rider follows (hidden unless you may see them)."""
    return _riders(
        service.list_followers(session, user_id=user_id, viewer_id=user.id, following=True)
    )


@router.post("/users/{user_id}/follow", response_model=FollowAnswer)
def follow(user_id: VisibleRider, user: CurrentUser, session: SessionDep) -> FollowAnswer:
    """Follow a rider (a request if they approve followers)."""
    answer = service.follow(session, follower_id=user.id, followee_id=user_id)
    return FollowAnswer(status=answer)


@router.delete("/users/{user_id}/follow", status_code=NO_CONTENT)
def unfollow(user_id: VisibleRider, user: CurrentUser, session: SessionDep) -> Response:
    """Stop following a rider, or withdraw a request."""
    service.unfollow(session, follower_id=user.id, followee_id=user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/me/social", response_model=SocialSettings)
def get_settings(user: CurrentUser, session: SessionDep) -> SocialSettings:
    """Your follow setting."""
    profile = service.get_profile(session, user_id=user.id, viewer_id=user.id)
    return SocialSettings(approve_followers=profile.approve_followers)


@router.put("/me/social", response_model=SocialSettings)
def put_settings(body: SocialSettings, user: CurrentUser, session: SessionDep) -> SocialSettings:
    """Approve followers yourself (on) or let anyone follow at once (off)."""
    approve = service.set_approve_followers(
        session, user_id=user.id, approve=body.approve_followers
    )
    return SocialSettings(approve_followers=approve)


@router.get("/me/follow-requests", response_model=RiderList)
def follow_requests(user: CurrentUser, session: SessionDep) -> RiderList:
    """Riders waiting for your approval."""
    return _riders(service.follow_requests(session, user_id=user.id))


@router.post("/me/follow-requests/{user_id}", status_code=NO_CONTENT)
def approve_request(user_id: KnownRider, user: CurrentUser, session: SessionDep) -> Response:
    """Approve a follow request."""
    service.answer_request(session, user_id=user.id, follower_id=user_id, approve=True)
    return Response(status_code=NO_CONTENT)


@router.delete("/me/follow-requests/{user_id}", status_code=NO_CONTENT)
def decline_request(user_id: KnownRider, user: CurrentUser, session: SessionDep) -> Response:
    """Decline a follow request."""
    service.answer_request(session, user_id=user.id, follower_id=user_id, approve=False)
    return Response(status_code=NO_CONTENT)


@router.delete("/me/followers/{user_id}", status_code=NO_CONTENT)
def remove_follower(user_id: KnownRider, user: CurrentUser, session: SessionDep) -> Response:
    """Remove one of your followers."""
    service.remove_follower(session, user_id=user.id, follower_id=user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/me/blocks", response_model=RiderList)
def list_blocks(user: CurrentUser, session: SessionDep) -> RiderList:
    """The riders you block."""
    return _riders(service.list_blocks(session, user_id=user.id))


@router.put("/me/blocks/{user_id}", status_code=NO_CONTENT)
def block(user_id: KnownRider, user: CurrentUser, session: SessionDep) -> Response:
    """Block a rider: follows end both ways, neither sees the other."""
    service.block(session, user_id=user.id, blocked_id=user_id)
    return Response(status_code=NO_CONTENT)


@router.delete("/me/blocks/{user_id}", status_code=NO_CONTENT)
def unblock(user_id: KnownRider, user: CurrentUser, session: SessionDep) -> Response:
    """Lift a block."""
    service.unblock(session, user_id=user.id, blocked_id=user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/rides/{ride_id}/kudos", response_model=KudosList)
def list_kudos(
    ride_id: uuid.UUID, owner_id: VisibleRideOwner, viewer: OptionalUser, session: SessionDep
) -> KudosList:
    """Who gave kudos on a ride you may see."""
    viewer_id = viewer.id if viewer else None
    givers = reactions.list_kudos(session, ride_id=ride_id, viewer_id=viewer_id)
    items = [RiderCardPublic(id=i, display_name=n) for i, n in givers]
    return KudosList(count=len(items), given=any(i == viewer_id for i, _ in givers), items=items)


@router.post("/rides/{ride_id}/kudos", response_model=KudosList)
def give_kudos(
    ride_id: uuid.UUID, owner_id: VisibleRideOwner, user: CurrentUser, session: SessionDep
) -> KudosList:
    """Give kudos on a ride you may see (once)."""
    reactions.give_kudos(session, ride_id=ride_id, owner_id=owner_id, user_id=user.id)
    return list_kudos(ride_id, owner_id, user, session)


@router.delete("/rides/{ride_id}/kudos", status_code=NO_CONTENT)
def take_back_kudos(
    ride_id: uuid.UUID, owner_id: VisibleRideOwner, user: CurrentUser, session: SessionDep
) -> Response:
    """Withdraw your kudos."""
    reactions.take_back_kudos(session, ride_id=ride_id, user_id=user.id)
    return Response(status_code=NO_CONTENT)


@router.get("/rides/{ride_id}/comments", response_model=CommentList)
def list_comments(
    ride_id: uuid.UUID, owner_id: VisibleRideOwner, viewer: OptionalUser, session: SessionDep
) -> CommentList:
    """The comments on a ride you may see, oldest first."""
    viewer_id = viewer.id if viewer else None
    found = reactions.list_comments(
        session, ride_id=ride_id, owner_id=owner_id, viewer_id=viewer_id
    )
    return CommentList(items=[CommentPublic.model_validate(c) for c in found])


@router.post("/rides/{ride_id}/comments", response_model=CommentPublic, status_code=201)
def add_comment(
    ride_id: uuid.UUID,
    body: CommentCreate,
    owner_id: VisibleRideOwner,
    user: CurrentUser,
    session: SessionDep,
) -> CommentPublic:
    """Comment on a ride you may see; @name tells a rider who may see it."""
    comment = reactions.add_comment(
        session, ride_id=ride_id, owner_id=owner_id, user_id=user.id, body=body.body
    )
    return CommentPublic.model_validate(comment)


@router.delete("/comments/{comment_id}", status_code=NO_CONTENT)
def delete_comment(comment: VisibleComment, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a comment (its author or the ride's owner)."""
    reactions.delete_comment(session, comment=comment, viewer_id=user.id)
    return Response(status_code=NO_CONTENT)


@router.get("/feed", response_model=FeedPage)
def feed(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> FeedPage:
    """Rides of the riders you follow that you may see and your clubs' posts, newest first."""
    items, next_cursor = social_feed.feed(session, viewer_id=user.id, limit=limit, cursor=cursor)
    return _feed_page(items, next_cursor)


@router.get("/users/{user_id}/rides", response_model=FeedPage)
def rider_rides(
    user_id: VisibleRider,
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> FeedPage:
    """A rider's rides you may see, newest first (their profile)."""
    items, next_cursor = reactions.rider_rides(
        session, owner_id=user_id, viewer_id=user.id, limit=limit, cursor=cursor
    )
    return _feed_page(items, next_cursor)


def _feed_page(
    items: Sequence[reactions.FeedItem | social_feed.ClubPostItem], next_cursor: str | None
) -> FeedPage:
    return FeedPage(items=[_feed_entry(item) for item in items], next_cursor=next_cursor)


def _feed_entry(
    item: reactions.FeedItem | social_feed.ClubPostItem,
) -> FeedEntry | ClubPostEntry:
    if isinstance(item, social_feed.ClubPostItem):
        return ClubPostEntry(**dataclasses.asdict(item))
    ride = {k: v for k, v in dataclasses.asdict(item.ride).items() if k != "listed_at"}
    return FeedEntry(**ride, kudos=item.kudos, comments=item.comments, kudosed=item.kudosed)


@router.post("/reports", response_model=ReportPublic, status_code=201)
def file_report(body: ReportCreate, user: CurrentUser, session: SessionDep) -> ReportPublic:
    """Report a rider, a ride or a comment you can see to the moderators."""
    report = moderation.file_report(
        session, reporter_id=user.id, kind=body.kind, subject_id=body.id, reason=body.reason
    )
    return ReportPublic.model_validate(report)


@router.get("/moderation/reports", response_model=ReportList)
def open_reports(_: Moderator, session: SessionDep) -> ReportList:
    """The moderators' queue: open reports, oldest first."""
    found = moderation.open_reports(session)
    return ReportList(items=[ReportPublic.model_validate(r) for r in found])


@router.post("/moderation/reports/{report_id}/dismiss", status_code=NO_CONTENT)
def dismiss_report(
    body: ModerationReason, report: ModeratedReport, moderator: Moderator, session: SessionDep
) -> Response:
    """Dismiss a report, with a reason (audited)."""
    moderation.dismiss_report(session, moderator_id=moderator, report=report, reason=body.reason)
    return Response(status_code=NO_CONTENT)


@router.post("/moderation/comments/{comment_id}/hide", status_code=NO_CONTENT)
def hide_comment(
    body: ModerationReason, comment: ModeratedComment, moderator: Moderator, session: SessionDep
) -> Response:
    """Hide a comment, with a reason (audited); its author still sees it."""
    moderation.hide_comment(session, moderator_id=moderator, comment=comment, reason=body.reason)
    return Response(status_code=NO_CONTENT)


@router.post("/users/{user_id}/mute", status_code=NO_CONTENT)
def mute(user_id: VisibleRider, user: CurrentUser, session: SessionDep) -> Response:
    """Mute a rider: their rides leave your feed; they are not told."""
    service.mute(session, user_id=user.id, muted_id=user_id)
    return Response(status_code=NO_CONTENT)


@router.delete("/users/{user_id}/mute", status_code=NO_CONTENT)
def unmute(user_id: KnownRider, user: CurrentUser, session: SessionDep) -> Response:
    """Lift a mute."""
    service.unmute(session, user_id=user.id, muted_id=user_id)
    return Response(status_code=NO_CONTENT)


@router.get("/me/mutes", response_model=RiderList)
def list_mutes(user: CurrentUser, session: SessionDep) -> RiderList:
    """The riders you mute."""
    return _riders(service.list_mutes(session, user_id=user.id))


def _action(view: actions.ActionView) -> ActionPublic:
    return ActionPublic.model_validate(view)


@router.get("/moderation/queue", response_model=ModerationQueue)
def moderation_queue(_: Moderator, session: SessionDep) -> ModerationQueue:
    """Open reports with their object's summary, and pending appeals, oldest first."""
    reports = [QueuedReportPublic.model_validate(r) for r in actions.queued_reports(session)]
    appeals = [_action(a) for a in actions.pending_appeals(session)]
    return ModerationQueue(reports=reports, appeals=appeals)


@router.post("/moderation/actions", response_model=ActionPublic, status_code=201)
def take_action(
    body: ActionCreate, request: Request, moderator: Moderator, session: SessionDep
) -> ActionPublic:
    """Dismiss a report, hide a ride or comment, warn or suspend a rider (audited)."""
    view = actions.take_action(session, moderator_id=moderator, **body.model_dump())
    if view.kind == "suspend" and view.user_id is not None:
        request.app.state.sockets.close_user(view.user_id)  # live sockets end with sessions
    return _action(view)


@router.post("/moderation/actions/{action_id}/lift", response_model=ActionPublic)
def lift_action(
    body: ModerationReason, action: ModeratedAction, moderator: Moderator, session: SessionDep
) -> ActionPublic:
    """Lift a hide, warning or suspension, with a reason (audited)."""
    return _action(
        actions.lift_action(session, moderator_id=moderator, action=action, reason=body.reason)
    )


@router.post("/moderation/actions/{action_id}/appeal", response_model=ActionPublic)
def decide_appeal(
    body: AppealDecision, action: ModeratedAction, moderator: Moderator, session: SessionDep
) -> ActionPublic:
    """Uphold or overturn an appeal (overturning lifts the action; audited)."""
    view = actions.decide_appeal(
        session,
        moderator_id=moderator,
        action=action,
        overturn=body.decision == "overturn",
        reason=body.reason,
    )
    return _action(view)


# The appeal routes: a suspended rider reaches these (and no others) with the appeal token
# their refused sign-in answered; everyone else with their access token as usual.
@router.get("/me/moderation-actions", response_model=ActionList)
def my_actions(user_id: AppealingUserId, session: SessionDep) -> ActionList:
    """Moderators' actions against you, newest first, with your appeals and their decisions."""
    return ActionList(items=[_action(a) for a in actions.my_actions(session, user_id=user_id)])


@router.get("/me/moderation-actions/{action_id}", response_model=ActionPublic)
def my_action(action: OwnAction) -> ActionPublic:
    """One action against you, with your appeal and its decision."""
    return _action(actions.action_view(action))


@router.post("/me/moderation-actions/{action_id}/appeal", response_model=ActionPublic)
def appeal(
    body: AppealCreate, action: OwnAction, user_id: AppealingUserId, session: SessionDep
) -> ActionPublic:
    """Appeal an action against you, once."""
    return _action(actions.appeal(session, user_id=user_id, action=action, text=body.text))
