"""Who may see a rider's rides beyond the rider: the one rule, and the hook social fills in.

Rides sits below social (social imports rides, never the reverse), so rides cannot ask
social's tables itself. Instead social registers an Audience at app start (app.py): a small
object that says how a viewer stands towards a rider (follower, blocked or neither) and
gives a query of the riders a viewer follows, which rides embeds as a sub-select. With
nothing registered nobody follows anybody and nobody is blocked: "followers" widens nothing.
"""

from __future__ import annotations

import uuid
from typing import Literal, Protocol

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from bikenode.rides.models import Ride

Relation = Literal["follower", "blocked", "none"]
# The visibilities an approved follower sees; anyone else sees "public" only.
FOLLOWER_VISIBILITIES = ("public", "followers")


class Audience(Protocol):
    def relation(self, session: Session, *, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> Relation:
        """How the viewer stands towards the rider: "blocked" if either blocks the other."""
        ...

    def followed_by(self, viewer_id: uuid.UUID) -> Select[uuid.UUID]:
        """A select of the ids of the riders the viewer follows (approved), none blocked."""
        ...

    def withheld(self, session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        """True when a moderator hid the ride or suspended its owner: kept, shown to nobody
        but the owner."""
        ...

    def withheld_rides(self) -> Select[uuid.UUID]:
        """A select of the ids of the rides a moderator hid."""
        ...

    def withheld_riders(self) -> Select[uuid.UUID]:
        """A select of the ids of the riders suspended now."""
        ...


class _Nobody:
    def relation(self, session: Session, *, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> Relation:
        return "none"

    def followed_by(self, viewer_id: uuid.UUID) -> Select[uuid.UUID]:
        return select(Ride.owner_id).where(false())

    def withheld(self, session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        return False

    def withheld_rides(self) -> Select[uuid.UUID]:
        return select(Ride.id).where(false())

    def withheld_riders(self) -> Select[uuid.UUID]:
        return select(Ride.owner_id).where(false())


_audience: list[Audience] = [_Nobody()]


def register_audience(audience: Audience) -> None:
    """Make `audience` the source of follows and blocks (the last registration wins)."""
    _audience[0] = audience


def current_audience() -> Audience:
    """The registered audience (the default one knows no follows and no blocks)."""
    return _audience[0]


def may_view(session: Session, *, ride: Ride, viewer_id: uuid.UUID | None) -> bool:
    """True when the viewer may see the ride: the owner always; nobody a private one, nor one a
    moderator withheld (hidden, or its owner suspended); nobody blocked either way; an approved follower a followers-only one; anyone a public one."""
    if viewer_id is not None and viewer_id == ride.owner_id:
        return True
    if ride.visibility not in FOLLOWER_VISIBILITIES:
        return False
    if current_audience().withheld(session, ride_id=ride.id, owner_id=ride.owner_id):
        return False
    if viewer_id is None:
        return ride.visibility == "public"
    relation = current_audience().relation(session, owner_id=ride.owner_id, viewer_id=viewer_id)
    if relation == "blocked":
        return False
    return ride.visibility == "public" or relation == "follower"
