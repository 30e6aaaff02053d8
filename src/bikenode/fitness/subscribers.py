"""What fitness learns from other domains' events: rides imported, changed, deleted; users
erased."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.fitness import curve_months, figures
from bikenode.fitness.gdpr import erase_user_data
from bikenode.governance import UserErased
from bikenode.rides import RideChanged, RideDeleted, RideImported

# Ride fields whose change alters nothing fitness derives (its day, sport or streams).
UNRELATED_FIELDS = frozenset({"name", "description", "visibility", "share_health", "commute"})


def follow_ride(session: Session, envelope: Envelope) -> None:
    """Keep the ride's figures in step with it: computed on import and on a change of its
    time, sport or streams, dropped on deletion. Idempotent: it always rewrites from the
    ride as it is now, so a re-delivery changes nothing."""
    event = envelope.event
    if isinstance(event, RideDeleted):
        figures.drop(session, [event.ride_id])
        # The ride's figures usually went with it (ON DELETE CASCADE), unseen by its month.
        curve_months.reconcile(session, owner_id=event.owner_id)
    elif isinstance(event, RideChanged):
        if not set(event.changed) <= UNRELATED_FIELDS:
            figures.refresh(session, ride_id=event.ride_id)
    elif isinstance(event, RideImported):
        figures.refresh(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


def forget_user(session: Session, envelope: Envelope) -> None:
    """Drop whatever fitness still holds about an erased user (the erasure already did; this
    catches figures a ride event wrote after it, from a replay or a late delivery)."""
    event = envelope.event
    if not isinstance(event, UserErased):
        raise TypeError(f"expected a UserErased event, got {type(event).__name__}")
    erase_user_data(session, event.user_id)


RIDE_FIGURES = Subscriber(
    name="fitness.ride_figures",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type}),
    handle=follow_ride,
    start="beginning",
)
ERASED_USERS = Subscriber(
    name="fitness.erased_users",
    event_types=frozenset({UserErased.type}),
    handle=forget_user,
    start="beginning",
)
