"""Clubs and memberships: the use cases, each one transaction committed here.

Who may do what: anyone signed in sees a club's about (name, sport, place, member count), a
private one included, so they can ask to join; members, posts, events and the leaderboard of
a private club are for its active members only. A rider blocked either way by the owner, and
an anonymous caller asking for a private club, get the 404 of a missing club.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from bikenode import live as live_domain
from bikenode.accounts import rider_profiles
from bikenode.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bikenode.events import publish
from bikenode.social import repo as social_repo
from bikenode.social.clubs import repo
from bikenode.social.clubs.events import ClubJoinRequested, ClubMemberJoined
from bikenode.social.clubs.models import Club, ClubInvite, ClubMember
from bikenode.social.logic import clubs as rules

MAX_LIST = 100  # clubs per list page
MAX_MEMBERS_LISTED = 500
MAX_MEMBERS = 2000  # per club: the leaderboard reads every member's week in one query
MAX_INVITE_HOURS = 24 * 30
NO_CLUB = "no such club"
Need = Literal["see", "read", "member", "manage", "own"]


@dataclass(frozen=True)
class ClubAccess:
    """A club and the caller's standing in it (role and status None when not in it)."""

    club: Club
    viewer_id: uuid.UUID | None
    role: str | None
    status: str | None


@dataclass(frozen=True)
class ClubView:
    """A club as one viewer sees it: its about, member count and the viewer's standing."""

    id: uuid.UUID
    name: str
    description: str
    sport: str
    place_name: str | None
    lat_deg: float | None
    lon_deg: float | None
    private: bool
    members: int
    role: str | None
    status: str | None
    created_at: datetime
    avatar_at: datetime | None = None  # None: no avatar


@dataclass(frozen=True)
class MemberCard:
    """A member as the club shows them."""

    id: uuid.UUID
    display_name: str
    role: str
    status: str
    since: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _rule(error: rules.ClubRuleBroken) -> InvalidInput:
    return InvalidInput(str(error))


def _blocked(session: Session, owner: uuid.UUID | None, viewer_id: uuid.UUID | None) -> bool:
    """Whether the club's owner and the viewer block each other (either way)."""
    if owner is None or viewer_id is None or owner == viewer_id:
        return False
    return social_repo.blocked_either_way(session, owner, viewer_id)


def club_access(
    session: Session, *, club_id: uuid.UUID, viewer_id: uuid.UUID | None, need: Need
) -> ClubAccess:
    """The club and the viewer's standing if they may do what `need` says: "see" its about,
    "read" its members, posts and events, act as a "member", "manage" it (owner or admin) or
    "own" it. NotFound where they may not know of it, PermissionDenied where they may."""
    club = session.get(Club, club_id)
    if club is None or (viewer_id is None and club.private):
        raise NotFound(NO_CLUB)
    owner = repo.owner_id(session, club_id)
    if _blocked(session, owner, viewer_id):
        raise NotFound(NO_CLUB)
    row = repo.membership(session, club_id, viewer_id) if viewer_id else None
    active = row is not None and row.status == "active"
    role = row.role if row is not None and active else None
    access = ClubAccess(club, viewer_id, role, row.status if row is not None else None)
    if need == "see" or (need == "read" and (active or not club.private)):
        return access
    if not active:
        if club.private:
            raise NotFound(NO_CLUB)
        raise PermissionDenied("expected a member of this club; join it first")
    if need == "manage" and not rules.can_manage(access.role):
        raise PermissionDenied("expected the club's owner or an admin")
    if need == "own" and access.role != "owner":
        raise PermissionDenied("expected the club's owner")
    return access


def _views(session: Session, clubs: list[Club], viewer_id: uuid.UUID | None) -> list[ClubView]:
    ids = [c.id for c in clubs]
    counts = repo.member_counts(session, ids) if ids else {}
    mine = repo.memberships_of(session, viewer_id, ids) if viewer_id and ids else {}
    return [_view(c, counts.get(c.id, 0), mine.get(c.id)) for c in clubs]


def _view(club: Club, members: int, row: ClubMember | None) -> ClubView:
    return ClubView(
        id=club.id,
        name=club.name,
        description=club.description,
        sport=club.sport,
        place_name=club.place_name,
        lat_deg=club.lat_deg,
        lon_deg=club.lon_deg,
        private=club.private,
        members=members,
        role=row.role if row and row.status == "active" else None,
        status=row.status if row else None,
        created_at=club.created_at,
        avatar_at=club.avatar_at,
    )


def view_club(session: Session, *, access: ClubAccess) -> ClubView:
    """The club as the caller sees it."""
    return _views(session, [access.club], access.viewer_id)[0]


def list_clubs(
    session: Session, *, viewer_id: uuid.UUID | None, query: str | None, limit: int
) -> list[ClubView]:
    """Public clubs and the viewer's own, by name; `query` keeps names containing it."""
    found = repo.clubs_page(session, viewer_id=viewer_id, query=query, limit=limit)
    # A constant number of queries per page: owners, blocks, counts and standings in one each.
    owners = repo.owners_of(session, [c.id for c in found]) if viewer_id and found else {}
    hidden = social_repo.blocked_ids(session, viewer_id) if viewer_id else set()
    shown = [c for c in found if owners.get(c.id) not in hidden]
    return _views(session, shown, viewer_id)


@dataclass(frozen=True)
class ClubFields:
    """What a rider sets on a club; None leaves a field as it is (on an edit)."""

    name: str | None = None
    description: str | None = None
    sport: str | None = None
    place_name: str | None = None
    lat_deg: float | None = None
    lon_deg: float | None = None
    private: bool | None = None


def _apply(club: Club, fields: ClubFields, *, place_given: bool) -> None:
    try:
        if fields.name is not None:
            club.name = rules.clean_text(fields.name, limit=rules.MAX_NAME_CHARS, what="name")
        if fields.description is not None:
            club.description = (
                rules.clean_optional(
                    fields.description, limit=rules.MAX_DESCRIPTION_CHARS, what="description"
                )
                or ""
            )
        if place_given:
            club.place_name = rules.clean_optional(
                fields.place_name, limit=rules.MAX_PLACE_CHARS, what="place name"
            )
            point = rules.approximate(fields.lat_deg, fields.lon_deg)
            club.lat_deg, club.lon_deg = point if point else (None, None)
    except rules.ClubRuleBroken as error:
        raise _rule(error) from None
    if fields.sport is not None:
        club.sport = fields.sport
    if fields.private is not None:
        club.private = fields.private


def create_club(session: Session, *, user_id: uuid.UUID, fields: ClubFields) -> ClubView:
    """A new club with the caller as its owner."""
    club = Club(sport="cycling", description="")
    if fields.name is None:
        raise InvalidInput("expected a club name, got none")
    _apply(club, fields, place_given=True)
    session.add(club)
    session.flush()
    now = _now()
    session.add(
        ClubMember(club_id=club.id, user_id=user_id, role="owner", status="active", joined_at=now)
    )
    publish(session, ClubMemberJoined(club_id=club.id, user_id=user_id, via="join"))
    session.commit()
    return view_club(session, access=ClubAccess(club, user_id, "owner", "active"))


def update_club(
    session: Session, *, access: ClubAccess, fields: ClubFields, place_given: bool
) -> ClubView:
    """The club after an owner's or admin's edit (place fields replace the place together)."""
    _apply(access.club, fields, place_given=place_given)
    session.commit()
    return view_club(session, access=access)


def delete_club(session: Session, *, access: ClubAccess) -> None:
    """Delete the club with its members, invites, posts, events and RSVPs (owner only)."""
    session.delete(access.club)
    session.commit()


def join(session: Session, *, access: ClubAccess, user_id: uuid.UUID) -> str:
    """Join a public club ("active") or ask to join a private one ("pending"); joining again
    changes nothing."""
    row = repo.membership(session, access.club.id, user_id)
    if row is not None:
        return row.status
    _check_room(session, access.club.id)
    pending = access.club.private
    row = ClubMember(
        club_id=access.club.id,
        user_id=user_id,
        role="member",
        status="pending" if pending else "active",
        joined_at=None if pending else _now(),
    )
    session.add(row)
    if pending:
        publish(session, ClubJoinRequested(club_id=access.club.id, user_id=user_id))
    else:
        publish(session, ClubMemberJoined(club_id=access.club.id, user_id=user_id, via="join"))
    session.commit()
    return row.status


def _check_room(session: Session, club_id: uuid.UUID) -> None:
    if repo.member_counts(session, [club_id]).get(club_id, 0) >= MAX_MEMBERS:
        raise Conflict(f"this club is full: at most {MAX_MEMBERS} members")


def leave(session: Session, *, access: ClubAccess, user_id: uuid.UUID) -> None:
    """Leave the club or withdraw a request; nothing to undo is no error. Conflict for the
    owner, who hands the club over (or deletes it) first."""
    row = repo.membership(session, access.club.id, user_id)
    if row is not None and row.role == "owner":
        raise Conflict("the owner cannot leave: transfer ownership or delete the club first")
    if row is not None:
        session.delete(row)
        _off_coming_rides(session, access.club.id, user_id)
    session.commit()


# A club ride that started within this long may be under way: a rider gone from the club
# leaves it too; older ones keep their members (their history).
UNDER_WAY = timedelta(days=1)


def _off_coming_rides(session: Session, club_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Withdraw a rider gone from the club from its coming rides: their answers, and the live
    group rides those opened (a private one would stay open to them otherwise)."""
    for rsvp, group_id in repo.coming_rsvps(session, club_id, user_id, _now() - UNDER_WAY):
        session.delete(rsvp)
        if group_id is not None:
            live_domain.leave_group_ride(session, group_id=group_id, user_id=user_id)


def mute_in_feed(session: Session, *, access: ClubAccess, muted: bool) -> None:
    """Keep the club's posts out of the member's feed (muted) or let them back; the club's
    own page still shows them. Again changes nothing."""
    if access.viewer_id is None:
        raise PermissionDenied("expected a signed-in member")
    row = repo.membership(session, access.club.id, access.viewer_id)
    if row is None:  # club_access(need="member") found it a moment ago, in this transaction
        raise NotFound(NO_CLUB)
    if muted and row.feed_muted_at is None:
        row.feed_muted_at = _now()
    elif not muted:
        row.feed_muted_at = None
    session.commit()


def target(session: Session, *, club_id: uuid.UUID, user_id: uuid.UUID) -> ClubMember:
    """The club's membership (or request) of this rider; NotFound if there is none."""
    row = repo.membership(session, club_id, user_id)
    if row is None:
        raise NotFound("no such member of this club")
    return row


def answer_request(session: Session, *, access: ClubAccess, row: ClubMember, approve: bool) -> None:
    """Approve or decline a request to join; NotFound when the rider is not waiting."""
    if row.status != "pending":
        raise NotFound("no such request to join")
    if approve:
        _check_room(session, access.club.id)
        row.status, row.joined_at = "active", _now()
        publish(session, ClubMemberJoined(club_id=row.club_id, user_id=row.user_id, via="approval"))
    else:
        session.delete(row)
    session.commit()


def remove_member(session: Session, *, access: ClubAccess, row: ClubMember) -> None:
    """Remove a member: the owner removes anyone else, an admin plain members."""
    if row.status == "active" and not rules.can_remove(access.role or "", row.role):
        raise PermissionDenied(f"a club {access.role} cannot remove its {row.role}")
    session.delete(row)
    _off_coming_rides(session, access.club.id, row.user_id)
    session.commit()


def set_role(session: Session, *, access: ClubAccess, row: ClubMember, role: str) -> str:
    """Make an active member an admin or a plain member again (the owner only)."""
    if row.status != "active":
        raise NotFound("no such member of this club")
    if row.role == "owner":
        raise Conflict("the owner's role changes only by a transfer of ownership")
    row.role = role
    session.commit()
    return role


def transfer(session: Session, *, access: ClubAccess, row: ClubMember) -> None:
    """Hand the club to an active member; the old owner stays on as an admin."""
    if row.status != "active":
        raise NotFound("no such member of this club")
    if row.role == "owner":
        return
    old = repo.membership(session, access.club.id, access.viewer_id) if access.viewer_id else None
    if old is None or old.role != "owner":
        raise PermissionDenied("expected the club's owner")
    old.role, row.role = "admin", "owner"
    session.commit()


def list_members(session: Session, *, access: ClubAccess, status: str) -> list[MemberCard]:
    """The club's active members (or, for its admins, pending requests) the viewer may see:
    none blocked either way by the viewer."""
    rows = repo.members(session, access.club.id, status=status, limit=MAX_MEMBERS_LISTED)
    hidden = social_repo.blocked_ids(session, access.viewer_id) if access.viewer_id else set()
    rows = [r for r in rows if r.user_id not in hidden]
    names = rider_profiles(session, [r.user_id for r in rows]) if rows else {}
    return [
        MemberCard(
            r.user_id, names[r.user_id].display_name, r.role, r.status, r.joined_at or r.created_at
        )
        for r in rows
        if r.user_id in names
    ]


@dataclass(frozen=True)
class IssuedInvite:
    """An invite link as made: its token is shown to the admin who made it, once."""

    id: uuid.UUID
    token: str
    expires_at: datetime


def create_invite(session: Session, *, access: ClubAccess, secret: str, hours: int) -> IssuedInvite:
    """A new invite link to the club, valid for `hours` (1 to 720)."""
    if not 1 <= hours <= MAX_INVITE_HOURS:
        raise InvalidInput(f"expected 1 to {MAX_INVITE_HOURS} hours, got {hours}")
    expires_at = (_now() + timedelta(hours=hours)).replace(microsecond=0)
    row = ClubInvite(club_id=access.club.id, user_id=access.viewer_id, expires_at=expires_at)
    session.add(row)
    session.flush()
    token = rules.sign_invite(secret, invite_id=row.id, expires_at=expires_at)
    session.commit()
    return IssuedInvite(row.id, token, expires_at)


def list_invites(session: Session, *, access: ClubAccess) -> list[ClubInvite]:
    """The club's live invite links (their tokens are not kept readable)."""
    return repo.invites(session, access.club.id, now=_now())


def revoke_invite(session: Session, *, access: ClubAccess, invite_id: uuid.UUID) -> None:
    """End an invite link of this club; NotFound for another club's or a missing one."""
    row = session.get(ClubInvite, invite_id)
    if row is None or row.club_id != access.club.id:
        raise NotFound("no such invite")
    row.revoked_at = row.revoked_at or _now()
    session.commit()


def join_by_invite(session: Session, *, user_id: uuid.UUID, secret: str, token: str) -> ClubView:
    """Join the club an invite link names, public or private; NotFound for a forged,
    expired or revoked link, or a club whose owner blocks either way."""
    try:
        invite_id = rules.read_invite(secret, token, now=_now())
    except rules.BadInvite as error:
        raise NotFound(str(error)) from None
    invite = session.get(ClubInvite, invite_id)
    if invite is None or invite.revoked_at is not None:
        raise NotFound("this invite link was revoked")
    access = club_access(session, club_id=invite.club_id, viewer_id=user_id, need="see")
    row = repo.membership(session, invite.club_id, user_id)
    if row is None or row.status != "active":
        _check_room(session, invite.club_id)
        row = row or ClubMember(club_id=invite.club_id, user_id=user_id, role="member")
        row.status, row.joined_at = "active", _now()
        session.add(row)
        publish(session, ClubMemberJoined(club_id=invite.club_id, user_id=user_id, via="invite"))
    session.commit()
    return view_club(session, access=access)


def club_member_ids(
    session: Session, *, club_id: uuid.UUID, viewer_id: uuid.UUID
) -> set[uuid.UUID] | None:
    """The ids of a club's active members when the viewer is one of them; None otherwise,
    so that a non-member learns nothing more of the club than of a private one's other views.
    At most MAX_MEMBERS ids."""
    row = repo.membership(session, club_id, viewer_id)
    if row is None or row.status != "active":
        return None
    return set(session.scalars(repo.active_member_ids(club_id)))


def active_memberships(session: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(club id, user id) of every active membership, earliest joined first: for system
    jobs such as the club heatmap release, never to answer a viewer."""
    return repo.active_memberships(session)
