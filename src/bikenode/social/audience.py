"""What social tells rides about who sees a rider's rides (registered in app.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bikenode.rides import Relation
from bikenode.social import repo


class SocialAudience:
    """Follows, blocks, mutes and moderation as rides' Audience: one query per ride read, a sub-select for feeds."""

    def relation(self, session: Session, *, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> Relation:
        """How the viewer stands towards the rider (blocked either way wins)."""
        found = repo.relation(session, owner_id, viewer_id)
        return "blocked" if found == "blocked" else "follower" if found == "follower" else "none"

    def followed_by(self, viewer_id: uuid.UUID) -> Select[uuid.UUID]:
        """The riders the viewer follows, approved (blocks end follows, so none is blocked),
        less the muted: rides asks this for the feed only, the one place a mute acts."""
        return repo.followed_ids(viewer_id)

    def withheld(self, session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        """True when a moderator hid the ride or suspended its owner (checked at read time,
        so a timed suspension ends by itself)."""
        return repo.ride_withheld(session, ride_id, owner_id, datetime.now(UTC))

    def withheld_rides(self) -> Select[uuid.UUID]:
        """The rides a moderator hid."""
        return repo.hidden_rides_select()

    def withheld_riders(self) -> Select[uuid.UUID]:
        """The riders suspended now."""
        return repo.suspended_ids_select(datetime.now(UTC))


AUDIENCE = SocialAudience()
