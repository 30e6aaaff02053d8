"""What social tells rides about who sees a rider's rides (registered in app.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import Select
from sqlalchemy.orm import Session

from bikenode.rides import Relation
from bikenode.social import repo


class SocialAudience:
    """Follows and blocks as rides' Audience: one query per ride read, a sub-select for feeds."""

    def relation(self, session: Session, *, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> Relation:
        """How the viewer stands towards the rider (blocked either way wins)."""
        found = repo.relation(session, owner_id, viewer_id)
        return "blocked" if found == "blocked" else "follower" if found == "follower" else "none"

    def followed_by(self, viewer_id: uuid.UUID) -> Select[uuid.UUID]:
        """The riders the viewer follows, approved (blocks end follows, so none is blocked)."""
        return repo.followed_ids(viewer_id)


AUDIENCE = SocialAudience()
