"""What social learns from rides' events: a deleted ride takes its kudos and comments along."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideDeleted
from bikenode.social import repo


def forget_deleted_ride(session: Session, envelope: Envelope) -> None:
    """Delete the kudos and comments of a deleted ride (again: nothing left to delete)."""
    event = envelope.event
    if not isinstance(event, RideDeleted):
        raise TypeError(f"expected RideDeleted, got {type(event).__name__}")
    repo.delete_ride_reactions(session, event.ride_id)


RIDE_DELETIONS = Subscriber(
    name="social.ride_deletions",
    event_types=frozenset({RideDeleted.type}),
    handle=forget_deleted_ride,
    start="beginning",
)
