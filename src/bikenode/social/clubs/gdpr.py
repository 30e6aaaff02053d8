"""A rider's club data for GDPR requests.

Export: their memberships (with requests), the clubs they own, their posts, the club rides
they planned, their RSVPs and the avatars they set (when; the image is the club's). Erasure:
their memberships, posts, RSVPs, invites and planned rides go, and the avatars they set (the
image may show them; an admin sets another). A club they own passes to its longest-standing admin, else its longest-standing
member, so the other members keep their club; a club with nobody else is deleted with all
it holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.social.clubs import repo
from bikenode.social.clubs.models import (
    Club,
    ClubAvatar,
    ClubEvent,
    ClubInvite,
    ClubMember,
    ClubPost,
    ClubRsvp,
)
from bikenode.social.logic import clubs as rules


def iter_user_export(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): social/clubs.json, with memberships, owned clubs, posts, planned rides
    and RSVPs."""
    rows = session.scalars(select(ClubMember).where(ClubMember.user_id == user_id)).all()
    owned = [r.club_id for r in rows if r.role == "owner"]
    clubs = session.scalars(select(Club).where(Club.id.in_(owned))).all() if owned else []
    posts = session.scalars(select(ClubPost).where(ClubPost.user_id == user_id)).all()
    events = session.scalars(select(ClubEvent).where(ClubEvent.user_id == user_id)).all()
    rsvps = session.scalars(select(ClubRsvp).where(ClubRsvp.user_id == user_id)).all()
    set_avatars = session.execute(
        select(ClubAvatar.club_id, ClubAvatar.updated_at).where(ClubAvatar.user_id == user_id)
    ).all()
    club_fields = ("id", "name", "description", "sport", "place_name", "lat_deg", "lon_deg")
    event_fields = ("id", "club_id", "title", "starts_at", "place_name", "route_id")
    yield (
        "social/clubs.json",
        json_bytes(
            {
                "memberships": [
                    fields_of(
                        r, ("club_id", "role", "status", "created_at", "joined_at", "feed_muted_at")
                    )
                    for r in rows
                ],
                "owned_clubs": [
                    fields_of(c, (*club_fields, "private", "created_at")) for c in clubs
                ],
                "posts": [fields_of(p, ("id", "club_id", "body", "created_at")) for p in posts],
                "events": [fields_of(e, event_fields) for e in events],
                "rsvps": [fields_of(r, ("event_id", "answer", "updated_at")) for r in rsvps],
                "avatars_set": [
                    {"club_id": str(c), "updated_at": at.isoformat()} for c, at in set_avatars
                ],
            }
        ),
    )


def erase_user_data(session: Session, user_id: uuid.UUID) -> dict[str, float]:
    """Delete the rider's club rows, handing over or deleting the clubs they own; flushes
    only. Counts of what went."""
    handed, deleted = 0, 0
    for club_id in repo.owned_clubs(session, user_id):
        others = session.execute(
            select(ClubMember.user_id, ClubMember.role, ClubMember.joined_at).where(
                ClubMember.club_id == club_id,
                ClubMember.status == "active",
                ClubMember.user_id != user_id,
            )
        ).all()
        heir = rules.successor([(i, r, j) for i, r, j in others if j is not None])
        if heir is None:
            session.execute(delete(Club).where(Club.id == club_id))
            deleted += 1
        else:
            session.get_one(ClubMember, (club_id, heir)).role = "owner"
            handed += 1
    posts = session.scalar(select(func.count()).where(ClubPost.user_id == user_id)) or 0
    session.execute(delete(ClubPost).where(ClubPost.user_id == user_id))
    session.execute(delete(ClubRsvp).where(ClubRsvp.user_id == user_id))
    session.execute(delete(ClubEvent).where(ClubEvent.user_id == user_id))
    session.execute(delete(ClubInvite).where(ClubInvite.user_id == user_id))
    avatar_clubs = select(ClubAvatar.club_id).where(ClubAvatar.user_id == user_id)
    session.execute(update(Club).where(Club.id.in_(avatar_clubs)).values(avatar_at=None))
    session.execute(delete(ClubAvatar).where(ClubAvatar.user_id == user_id))
    session.execute(delete(ClubMember).where(ClubMember.user_id == user_id))
    session.flush()
    return {"clubs_handed_over": handed, "clubs_deleted": deleted, "club_posts": float(posts)}
