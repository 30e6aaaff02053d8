"""What bikes offers the repair market: which bike and parts a rider may name in a job."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bikenode.bikes import repo


def owned_bike_parts(
    session: Session, *, owner_id: uuid.UUID, bike_id: uuid.UUID
) -> frozenset[uuid.UUID] | None:
    """The ids of the rider's components if the bike is theirs, else None."""
    if repo.bike(session, owner_id, bike_id) is None:
        return None
    return frozenset(c.id for c in repo.components_of(session, owner_id))
