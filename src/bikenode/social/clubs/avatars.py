"""Club avatars: set and removed by the club's owner and admins, read by whoever may see
the club. The image is checked and re-encoded (social/logic/avatar.py) before the write
transaction opens: no decoding inside it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bikenode.errors import InvalidInput, NotFound, PermissionDenied, TooLarge
from bikenode.social.clubs.models import ClubAvatar
from bikenode.social.clubs.service import ClubAccess
from bikenode.social.logic import avatar as rules
from bikenode.social.logic import clubs as club_rules


def clean_upload(data: bytes) -> bytes:
    """The upload as the avatar PNG; TooLarge over the byte limit, InvalidInput otherwise."""
    if len(data) > rules.MAX_AVATAR_BYTES:
        raise TooLarge(f"expected an image of at most {rules.MAX_AVATAR_BYTES} bytes")
    try:
        return rules.clean_avatar(data)
    except rules.AvatarRejected as error:
        raise InvalidInput(str(error)) from None


def set_avatar(session: Session, *, access: ClubAccess, image_png: bytes) -> datetime:
    """Store the club's avatar (a cleaned PNG) in place of any earlier one; when it changed."""
    if access.viewer_id is None or not club_rules.can_manage(access.role):
        raise PermissionDenied("expected the club's owner or an admin")
    now = datetime.now(UTC)
    row = session.get(ClubAvatar, access.club.id)
    if row is None:
        row = ClubAvatar(club_id=access.club.id, user_id=access.viewer_id, image_png=image_png)
        session.add(row)
    row.user_id, row.image_png, row.updated_at = access.viewer_id, image_png, now
    access.club.avatar_at = now
    session.commit()
    return now


def remove_avatar(session: Session, *, access: ClubAccess) -> None:
    """Remove the club's avatar; NotFound when it has none."""
    row = session.get(ClubAvatar, access.club.id)
    if row is None:
        raise NotFound("this club has no avatar")
    session.delete(row)
    access.club.avatar_at = None
    session.commit()


def avatar_png(session: Session, *, club_id: uuid.UUID) -> bytes:
    """The club's avatar PNG; NotFound when it has none."""
    row = session.get(ClubAvatar, club_id)
    if row is None:
        raise NotFound("this club has no avatar")
    return row.image_png
