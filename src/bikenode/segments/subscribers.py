"""What segments learns from rides' events: each new or changed ride's efforts and heatmap
chunks, and none for a deleted one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bikenode.events import Envelope, Subscriber
from bikenode.rides import RideChanged, RideDeleted, RideImported
from bikenode.segments.efforts import forget_ride, refresh_ride_efforts
from bikenode.segments.heatmaps import forget_ride_heat, refresh_ride_heat

# Ride fields matching never reads (it sees the track, sport, start and visibility): a
# rename or a note leaves the efforts as they are, and re-matching them is the costliest
# work a rename would cause.
EFFORT_BLIND_FIELDS = frozenset({"name", "description"})


def match_ride_efforts(session: Session, envelope: Envelope) -> None:
    """Re-match a new or changed ride (its track, visibility or date may have changed);
    drop a deleted one's efforts. Idempotent: the ride's efforts are replaced, not added."""
    event = envelope.event
    if isinstance(event, RideDeleted):
        forget_ride(session, ride_id=event.ride_id)
    elif isinstance(event, RideChanged) and set(event.changed) <= EFFORT_BLIND_FIELDS:
        return
    elif isinstance(event, RideImported | RideChanged):
        refresh_ride_efforts(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


RIDE_EFFORTS = Subscriber(
    name="segments.ride_efforts",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type}),
    handle=match_ride_efforts,
    start="beginning",
)


# Ride fields no heatmap reads: a change of only these leaves chunks and tiles as they are.
HEAT_BLIND_FIELDS = frozenset(
    {"name", "description", "sport", "sub_sport", "commute", "share_health"}
)


def keep_ride_heat(session: Session, envelope: Envelope) -> None:
    """Rebuild a new or changed ride's heatmap chunks; drop a deleted one's. Either way the
    rider's cached tiles go stale (their generation moves on). Idempotent."""
    event = envelope.event
    if isinstance(event, RideDeleted):
        forget_ride_heat(session, ride_id=event.ride_id, owner_id=event.owner_id)
    elif isinstance(event, RideChanged) and set(event.changed) <= HEAT_BLIND_FIELDS:
        return  # a rename or a note: the track, date and visibility are as they were
    elif isinstance(event, RideImported | RideChanged):
        refresh_ride_heat(session, ride_id=event.ride_id)
    else:
        raise TypeError(f"expected a ride event, got {type(event).__name__}")


RIDE_HEAT = Subscriber(
    name="segments.ride_heat",
    event_types=frozenset({RideImported.type, RideChanged.type, RideDeleted.type}),
    handle=keep_ride_heat,
    start="beginning",  # a new install's store is filled from every ride already there
)
