"""The clubs API: clubs, memberships and invites, club rides and RSVPs, posts, leaderboard."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status

from bikenode.social.access import (
    ClubEventDep,
    JoinableClub,
    ManagedClub,
    ManagedInvite,
    ManagedMember,
    MemberClub,
    MemberPost,
    OwnedClub,
    OwnedMember,
    ReadClub,
    SeenClub,
)
from bikenode.social.clubs import activity, avatars, service
from bikenode.social.clubs.schemas import (
    ClubCreate,
    ClubList,
    ClubPublic,
    ClubUpdate,
    EventCreate,
    EventList,
    EventPublic,
    InviteCreate,
    InviteIssued,
    InviteList,
    InvitePublic,
    InviteUse,
    LeaderboardPublic,
    MemberList,
    MemberPublic,
    MembershipAnswer,
    PostCreate,
    PostPage,
    PostPublic,
    RsvpBody,
)
from bikenode.social.logic.avatar import MAX_AVATAR_BYTES
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["clubs"], route_class=StrictJSONRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT
PLACE = ("place_name", "lat_deg", "lon_deg")


def _secret(request: Request) -> str:
    return str(request.app.state.settings.effective_secret_key)


def _club(view: service.ClubView) -> ClubPublic:
    club = ClubPublic.model_validate(view)
    if view.avatar_at is not None:  # the version in the URL: a new avatar is a new URL
        club.avatar_url = f"/api/v1/clubs/{view.id}/avatar?v={int(view.avatar_at.timestamp())}"
    return club


@router.get("/clubs", response_model=ClubList)
def list_clubs(
    viewer: OptionalUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=80, description="part of the name")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 50,
) -> ClubList:
    """Public clubs and yours, by name."""
    viewer_id = viewer.id if viewer else None
    found = service.list_clubs(session, viewer_id=viewer_id, query=q, limit=limit)
    return ClubList(items=[_club(c) for c in found])


@router.post("/clubs", response_model=ClubPublic, status_code=201)
def create_club(body: ClubCreate, user: CurrentUser, session: SessionDep) -> ClubPublic:
    """Start a club; you are its owner."""
    fields = service.ClubFields(**body.model_dump())
    return _club(service.create_club(session, user_id=user.id, fields=fields))


@router.post("/clubs/join", response_model=ClubPublic)
def join_by_invite(
    body: InviteUse, request: Request, user: CurrentUser, session: SessionDep
) -> ClubPublic:
    """Join the club an invite link names."""
    view = service.join_by_invite(
        session, user_id=user.id, secret=_secret(request), token=body.token
    )
    return _club(view)


@router.get("/clubs/{club_id}", response_model=ClubPublic)
def get_club(access: SeenClub, session: SessionDep) -> ClubPublic:
    """A club's about and your standing in it."""
    return _club(service.view_club(session, access=access))


@router.patch("/clubs/{club_id}", response_model=ClubPublic)
def update_club(body: ClubUpdate, access: ManagedClub, session: SessionDep) -> ClubPublic:
    """Edit a club (its owner or an admin)."""
    given = body.model_fields_set
    fields = service.ClubFields(**body.model_dump())
    place_given = any(name in given for name in PLACE)
    if place_given:  # the place is replaced whole: a field left out is cleared
        fields = dataclasses.replace(fields, **{n: getattr(body, n) for n in PLACE})
    view = service.update_club(session, access=access, fields=fields, place_given=place_given)
    return _club(view)


@router.delete("/clubs/{club_id}", status_code=NO_CONTENT)
def delete_club(access: OwnedClub, session: SessionDep) -> Response:
    """Delete a club with all it holds (its owner)."""
    service.delete_club(session, access=access)
    return Response(status_code=NO_CONTENT)


@router.post("/clubs/{club_id}/membership", response_model=MembershipAnswer)
def join(access: JoinableClub, user: CurrentUser, session: SessionDep) -> MembershipAnswer:
    """Join a public club, or ask to join a private one."""
    return MembershipAnswer(status=service.join(session, access=access, user_id=user.id))


@router.delete("/clubs/{club_id}/membership", status_code=NO_CONTENT)
def leave(access: JoinableClub, user: CurrentUser, session: SessionDep) -> Response:
    """Leave a club, or withdraw your request."""
    service.leave(session, access=access, user_id=user.id)
    return Response(status_code=NO_CONTENT)


def _members(cards: list[service.MemberCard]) -> MemberList:
    return MemberList(items=[MemberPublic.model_validate(c) for c in cards])


@router.post("/clubs/{club_id}/feed-mute", status_code=NO_CONTENT)
def mute_club(access: MemberClub, session: SessionDep) -> Response:
    """Keep this club's posts out of your feed (its page still shows them)."""
    service.mute_in_feed(session, access=access, muted=True)
    return Response(status_code=NO_CONTENT)


@router.delete("/clubs/{club_id}/feed-mute", status_code=NO_CONTENT)
def unmute_club(access: MemberClub, session: SessionDep) -> Response:
    """Let this club's posts back into your feed."""
    service.mute_in_feed(session, access=access, muted=False)
    return Response(status_code=NO_CONTENT)


def _clean_avatar(
    file: Annotated[UploadFile, File(description="a JPEG, PNG or WebP image")],
) -> bytes:
    return avatars.clean_upload(file.file.read(MAX_AVATAR_BYTES + 1))


@router.put("/clubs/{club_id}/avatar", response_model=ClubPublic)
def set_avatar(
    user: CurrentUser,  # first: the sign-in is checked before any image is decoded,
    image: Annotated[bytes, Depends(_clean_avatar)],  # which happens outside a transaction
    access: ManagedClub,
    session: SessionDep,
) -> ClubPublic:
    """Set the club's avatar (owner or admins); stored as a square PNG without metadata."""
    avatars.set_avatar(session, access=access, image_png=image)
    return _club(service.view_club(session, access=access))


@router.delete("/clubs/{club_id}/avatar", status_code=NO_CONTENT)
def remove_avatar(access: ManagedClub, session: SessionDep) -> Response:
    """Remove the club's avatar (owner or admins)."""
    avatars.remove_avatar(session, access=access)
    return Response(status_code=NO_CONTENT)


@router.get("/clubs/{club_id}/avatar", response_class=Response)
def get_avatar(access: SeenClub, session: SessionDep) -> Response:
    """The club's avatar, a PNG, for whoever may see the club."""
    png = avatars.avatar_png(session, club_id=access.club.id)
    # Private: a private club's avatar must not sit in a shared cache.
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(png, media_type="image/png", headers=headers)


@router.get("/clubs/{club_id}/members", response_model=MemberList)
def list_members(access: ReadClub, session: SessionDep) -> MemberList:
    """A club's members (a private club's for its members only)."""
    return _members(service.list_members(session, access=access, status="active"))


@router.get("/clubs/{club_id}/requests", response_model=MemberList)
def list_requests(access: ManagedClub, session: SessionDep) -> MemberList:
    """Riders waiting to join (owner and admins)."""
    return _members(service.list_members(session, access=access, status="pending"))


@router.post("/clubs/{club_id}/requests/{user_id}", status_code=NO_CONTENT)
def approve_request(row: ManagedMember, access: ManagedClub, session: SessionDep) -> Response:
    """Let a rider in."""
    service.answer_request(session, access=access, row=row, approve=True)
    return Response(status_code=NO_CONTENT)


@router.delete("/clubs/{club_id}/requests/{user_id}", status_code=NO_CONTENT)
def decline_request(row: ManagedMember, access: ManagedClub, session: SessionDep) -> Response:
    """Turn a request down."""
    service.answer_request(session, access=access, row=row, approve=False)
    return Response(status_code=NO_CONTENT)


@router.delete("/clubs/{club_id}/members/{user_id}", status_code=NO_CONTENT)
def remove_member(row: ManagedMember, access: ManagedClub, session: SessionDep) -> Response:
    """Remove a member (the owner anyone, admins plain members)."""
    service.remove_member(session, access=access, row=row)
    return Response(status_code=NO_CONTENT)


@router.post("/clubs/{club_id}/admins/{user_id}", status_code=NO_CONTENT)
def promote(row: OwnedMember, access: OwnedClub, session: SessionDep) -> Response:
    """Make a member an admin (the owner)."""
    service.set_role(session, access=access, row=row, role="admin")
    return Response(status_code=NO_CONTENT)


@router.delete("/clubs/{club_id}/admins/{user_id}", status_code=NO_CONTENT)
def demote(row: OwnedMember, access: OwnedClub, session: SessionDep) -> Response:
    """Make an admin a plain member again (the owner)."""
    service.set_role(session, access=access, row=row, role="member")
    return Response(status_code=NO_CONTENT)


@router.post("/clubs/{club_id}/owner/{user_id}", status_code=NO_CONTENT)
def transfer(row: OwnedMember, access: OwnedClub, session: SessionDep) -> Response:
    """Hand the club to a member; you stay on as an admin."""
    service.transfer(session, access=access, row=row)
    return Response(status_code=NO_CONTENT)


@router.post("/clubs/{club_id}/invites", response_model=InviteIssued, status_code=201)
def create_invite(
    body: InviteCreate, request: Request, access: ManagedClub, session: SessionDep
) -> InviteIssued:
    """Make an invite link; whoever holds it may join until it expires or is revoked."""
    issued = service.create_invite(
        session, access=access, secret=_secret(request), hours=body.hours
    )
    return InviteIssued.model_validate(issued)


@router.get("/clubs/{club_id}/invites", response_model=InviteList)
def list_invites(access: ManagedClub, session: SessionDep) -> InviteList:
    """A club's live invite links (owner and admins)."""
    found = service.list_invites(session, access=access)
    return InviteList(items=[InvitePublic.model_validate(i) for i in found])


@router.delete("/clubs/{club_id}/invites/{invite_id}", status_code=NO_CONTENT)
def revoke_invite(invite_id: ManagedInvite, access: ManagedClub, session: SessionDep) -> Response:
    """Revoke an invite link."""
    service.revoke_invite(session, access=access, invite_id=invite_id)
    return Response(status_code=NO_CONTENT)


@router.get("/clubs/{club_id}/events", response_model=EventList)
def list_events(access: ReadClub, session: SessionDep) -> EventList:
    """A club's coming rides, soonest first."""
    found = activity.list_events(session, access=access)
    return EventList(items=[EventPublic.model_validate(e) for e in found])


@router.post("/clubs/{club_id}/events", response_model=EventPublic, status_code=201)
def create_event(body: EventCreate, access: MemberClub, session: SessionDep) -> EventPublic:
    """Plan a club ride (members)."""
    event = activity.create_event(session, access=access, **body.model_dump())
    return EventPublic.model_validate(event)


@router.put("/clubs/{club_id}/events/{event_id}/rsvp", response_model=EventPublic)
def rsvp(
    body: RsvpBody, event: ClubEventDep, access: MemberClub, session: SessionDep
) -> EventPublic:
    """Answer a club ride: going, maybe or no."""
    view = activity.rsvp(session, access=access, event=event, answer=body.answer)
    return EventPublic.model_validate(view)


@router.get("/clubs/{club_id}/posts", response_model=PostPage)
def club_feed(
    access: ReadClub,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PostPage:
    """A club's posts, newest first."""
    found, next_cursor = activity.club_feed(session, access=access, limit=limit, cursor=cursor)
    return PostPage(items=[PostPublic.model_validate(p) for p in found], next_cursor=next_cursor)


@router.post("/clubs/{club_id}/posts", response_model=PostPublic, status_code=201)
def add_post(body: PostCreate, access: MemberClub, session: SessionDep) -> PostPublic:
    """Post in a club (members)."""
    return PostPublic.model_validate(activity.add_post(session, access=access, body=body.body))


@router.delete("/clubs/{club_id}/posts/{post_id}", status_code=NO_CONTENT)
def delete_post(post_id: MemberPost, access: MemberClub, session: SessionDep) -> Response:
    """Delete a post (its author, the owner or an admin)."""
    activity.delete_post(session, access=access, post_id=post_id)
    return Response(status_code=NO_CONTENT)


@router.get("/clubs/{club_id}/leaderboard", response_model=LeaderboardPublic)
def leaderboard(
    access: ReadClub,
    session: SessionDep,
    week: Annotated[str | None, Query(max_length=10, description="e.g. 2026-W49")] = None,
    board: Literal["distance", "time", "elevation"] = "distance",
) -> LeaderboardPublic:
    """A club's week: totals and members ranked by distance, moving time or climbing."""
    found = activity.leaderboard(session, access=access, week=week, board=board)
    return LeaderboardPublic.model_validate(found)
