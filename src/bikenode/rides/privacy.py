"""What others see of a ride: privacy zones (CRUD, trimmed streams and figures) and health
streams and figures only when the rider shares them (rides/logic/sharing.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.accounts import get_rider_profile, rider_profiles
from bikenode.db.engine import begin_read, begin_write
from bikenode.db.queue import enqueue
from bikenode.errors import InvalidInput, NotFound
from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.privacy import (
    BoolArray,
    HiddenCircle,
    ZoneSecret,
    draw_zone_secret,
    hidden_circle,
    hidden_mask,
    summarise_trimmed,
    touches_box,
    trim_streams,
)
from bikenode.rides.logic.sharing import (
    shares_health,
    streams_for_others,
    summary_for_others,
    withheld_streams,
)
from bikenode.rides.models import PrivacyZone, PublicRideView, Ride
from bikenode.rides.storage import load_streams

MAX_ZONES = 20
MIN_RADIUS_M, MAX_RADIUS_M = 100.0, 5000.0
_SECRETS = random.SystemRandom()  # the offsets guard homes: never a predictable generator
# Part of every cache key: bump it when the trimming or the summary rules change.
_VIEW_RULES_VERSION = "1"
# The queue job that stores what others see of a rider's rides (see refresh_public_views).
REFRESH_PUBLIC_VIEWS_JOB = "rides.refresh_public_views"
# Ids per IN (...) query: far below the bound-parameter limits of SQLite and PostgreSQL.
_IN_BATCH = 500


def create_zone(
    session: Session,
    *,
    owner_id: uuid.UUID,
    name: str,
    lat_deg: float,
    lon_deg: float,
    radius_m: float,
    rng: random.Random | None = None,
) -> PrivacyZone:
    """A new privacy zone with its secret offset drawn once; InvalidInput past the limits."""
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise InvalidInput(
            f"expected a radius from {MIN_RADIUS_M:.0f} to {MAX_RADIUS_M:.0f} m, got {radius_m}"
        )
    if len(list_zones(session, owner_id=owner_id)) >= MAX_ZONES:
        raise InvalidInput(f"expected at most {MAX_ZONES} privacy zones, got one more")
    secret = draw_zone_secret(radius_m, rng or _SECRETS)
    zone = PrivacyZone(
        owner_id=owner_id,
        name=name,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        radius_m=radius_m,
        offset_m=secret.offset_m,
        offset_bearing_deg=secret.offset_bearing_deg,
        extra_radius_m=secret.extra_radius_m,
    )
    session.add(zone)
    enqueue(session, REFRESH_PUBLIC_VIEWS_JOB, {"owner_id": str(owner_id)})
    session.commit()
    return zone


def list_zones(session: Session, *, owner_id: uuid.UUID) -> list[PrivacyZone]:
    """The rider's privacy zones, oldest first."""
    return list(
        session.scalars(
            select(PrivacyZone)
            .where(PrivacyZone.owner_id == owner_id)
            .order_by(PrivacyZone.created_at, PrivacyZone.id)
        )
    )


def delete_zone(session: Session, *, owner_id: uuid.UUID, zone_id: uuid.UUID) -> None:
    """Remove one of the rider's zones; NotFound for anyone else's."""
    zone = session.get(PrivacyZone, zone_id)
    if zone is None or zone.owner_id != owner_id:
        raise NotFound("no such privacy zone")
    session.delete(zone)
    enqueue(session, REFRESH_PUBLIC_VIEWS_JOB, {"owner_id": str(owner_id)})
    session.commit()


def zone_circle(zone: PrivacyZone) -> HiddenCircle:
    """The circle a zone actually cuts (shifted and widened by its secret)."""
    secret = ZoneSecret(zone.offset_m, zone.offset_bearing_deg, zone.extra_radius_m)
    return hidden_circle(zone.lat_deg, zone.lon_deg, zone.radius_m, secret)


def privacy_circles(session: Session, *, owner_id: uuid.UUID) -> list[HiddenCircle]:
    """The circles cut from every output of the rider's tracks shown to others."""
    return [zone_circle(zone) for zone in list_zones(session, owner_id=owner_id)]


def hide_positions(
    session: Session, *, owner_id: uuid.UUID, lat_deg: FloatArray, lon_deg: FloatArray
) -> BoolArray:
    """A boolean array, True for each position of the rider's to hide from others (live)."""
    return hidden_mask(privacy_circles(session, owner_id=owner_id), lat_deg, lon_deg)


def streams_seen_by(
    session: Session, *, ride: Ride, viewer_id: uuid.UUID | None
) -> dict[str, FloatArray]:
    """The ride's streams as the viewer may see them: whole for the owner; for others cut by
    the zones, and without heart rate and power unless the rider shares them."""
    streams = load_streams(session, ride.id)
    if viewer_id == ride.owner_id:
        return streams
    circles = _circles_touching(session, ride)
    trimmed = trim_streams(streams, circles) if circles else streams
    return streams_for_others(trimmed, health=health_shared(session, ride=ride))


def withheld_from(session: Session, *, ride: Ride, viewer_id: uuid.UUID | None) -> dict[str, str]:
    """The streams kept from this viewer and why (nothing for the owner)."""
    if viewer_id == ride.owner_id:
        return {}
    return withheld_streams(health=health_shared(session, ride=ride))


def health_shared(session: Session, *, ride: Ride) -> bool:
    """True when others see the ride's heart rate and power (its choice, else the rider's)."""
    profile = get_rider_profile(session, ride.owner_id)
    return shares_health(ride.share_health, profile.share_health_by_default if profile else False)


def owner_name(session: Session, *, ride: Ride) -> str:
    """The name the ride's owner shows others (empty if the account is gone)."""
    profile = get_rider_profile(session, ride.owner_id)
    return profile.display_name if profile else ""


@dataclass(frozen=True)
class RideFigures:
    """The figures of a ride one viewer sees (others see them computed on the cut track)."""

    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elapsed_time_s: float | None
    elevation_gain_m: float | None
    point_count: int
    has_position: bool
    summary: dict[str, object]


def figures_seen_by(session: Session, *, ride: Ride, viewer_id: uuid.UUID | None) -> RideFigures:
    """The ride's figures for this viewer; for others computed from the cut track, without
    owner-only figures and, unless the rider shares them, health figures.

    Never writes (a GET never does): a stored view is used while it is current, otherwise the
    figures are computed here and a background job (refresh_public_views) stores them.
    """
    if viewer_id == ride.owner_id:
        return own_figures(ride)
    return figures_seen_by_others(session, rides=[ride])[0]


def figures_seen_by_others(
    session: Session, *, rides: Sequence[Ride], with_summary: bool = True
) -> list[RideFigures]:
    """Each ride's figures as anyone but its owner sees them (as figures_seen_by), in order.

    A constant number of queries whatever the number of rides (the owners' zones, the stored
    views, the owners' profiles), unless a stored view is stale: that ride's cut track is then
    computed here. Without with_summary the figures carry an empty summary, and the rides'
    summary columns (deferred in lists) are never loaded.
    """
    owner_ids = {ride.owner_id for ride in rides}
    circles = _circles_of_owners(session, owner_ids)
    cuts = {ride.id: _touching(ride, circles[ride.owner_id]) for ride in rides}
    stored = _stored_views(session, [ride_id for ride_id, cut in cuts.items() if cut])
    shared = _health_shared_by_owner(session, owner_ids)
    seen = []
    for ride in rides:
        figures = _cut_figures(session, ride, cuts[ride.id], stored.get(ride.id), with_summary)
        summary = summary_for_others(figures.summary, health=shared(ride)) if with_summary else {}
        seen.append(dataclasses.replace(figures, summary=summary))
    return seen


def _cut_figures(
    session: Session,
    ride: Ride,
    circles: list[HiddenCircle],
    cached: PublicRideView | None,
    with_summary: bool,
) -> RideFigures:
    """The figures of the track cut by the owner's zones (the whole ride if none touches it)."""
    if not circles:
        return own_figures(ride, with_summary=with_summary)
    key = _view_key(ride, circles)
    if cached is not None and cached.key == key:
        return _figures_of(cached)
    return _figures_of(_public_view(session, ride, circles, key))


def _circles_of_owners(
    session: Session, owner_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[HiddenCircle]]:
    """Each owner's cut circles, from one query."""
    circles: dict[uuid.UUID, list[HiddenCircle]] = {owner_id: [] for owner_id in owner_ids}
    if not owner_ids:
        return circles
    zones = session.scalars(
        select(PrivacyZone)
        .where(PrivacyZone.owner_id.in_(owner_ids))
        .order_by(PrivacyZone.created_at, PrivacyZone.id)
    )
    for zone in zones:
        circles[zone.owner_id].append(zone_circle(zone))
    return circles


def _stored_views(session: Session, ride_ids: list[uuid.UUID]) -> dict[uuid.UUID, PublicRideView]:
    """The stored public views of these rides, current or not, in one query per _IN_BATCH."""
    views: dict[uuid.UUID, PublicRideView] = {}
    for start in range(0, len(ride_ids), _IN_BATCH):
        batch = ride_ids[start : start + _IN_BATCH]
        rows = session.scalars(select(PublicRideView).where(PublicRideView.ride_id.in_(batch)))
        views.update((view.ride_id, view) for view in rows)
    return views


def _health_shared_by_owner(session: Session, owner_ids: set[uuid.UUID]) -> Callable[[Ride], bool]:
    """health_shared for rides of these owners, their profiles read in one query."""
    profiles = rider_profiles(session, owner_ids) if owner_ids else {}
    defaults = {
        owner_id: profiles[owner_id].share_health_by_default if owner_id in profiles else False
        for owner_id in owner_ids
    }
    return lambda ride: shares_health(ride.share_health, defaults[ride.owner_id])


def schedule_public_view_refresh(session: Session, *, owner_id: uuid.UUID) -> None:
    """Queue the refresh of what others see of the owner's rides, if they have privacy zones."""
    if privacy_circles(session, owner_id=owner_id):
        enqueue(session, REFRESH_PUBLIC_VIEWS_JOB, {"owner_id": str(owner_id)})


def refresh_public_views(session: Session, *, owner_id: uuid.UUID) -> int:
    """Store, for each of the owner's rides whose stored view is stale, what others see of it.

    Each view is computed in a read-only transaction and stored in a short write of its own,
    so the write lock is never held while streams are decoded. Returns the views stored.
    """
    stored = 0
    begin_read(session)
    ride_ids = list(
        session.scalars(
            select(Ride.id).where(Ride.owner_id == owner_id, Ride.has_position.is_(True))
        )
    )
    owners_circles = privacy_circles(session, owner_id=owner_id)  # once, not per ride
    for ride_id in ride_ids:
        begin_read(session)
        ride = session.get(Ride, ride_id)
        circles = _touching(ride, owners_circles) if ride is not None else []
        if ride is None or not circles:
            continue
        key = _view_key(ride, circles)
        cached = session.get(PublicRideView, ride_id)
        if cached is not None and cached.key == key:
            continue
        view = _public_view(session, ride, circles, key)
        begin_write(session)
        session.merge(view)
        session.commit()
        stored += 1
    session.commit()
    return stored


def _public_view(
    session: Session, ride: Ride, circles: list[HiddenCircle], key: str
) -> PublicRideView:
    trimmed = trim_streams(load_streams(session, ride.id), circles)
    profile = get_rider_profile(session, ride.owner_id)
    summary = summarise_trimmed(
        trimmed,
        source_format=ride.source_format,
        sport=ride.sport,
        ftp_w=profile.ftp_w if profile else None,
        max_hr_bpm=profile.max_hr_bpm if profile else None,
    )
    started_at = summary.started_at
    return PublicRideView(
        ride_id=ride.id,
        key=key,
        started_at=started_at.astimezone(UTC) if started_at else None,
        distance_m=summary.distance_m,
        moving_time_s=summary.moving_s,
        elapsed_time_s=summary.elapsed_s,
        elevation_gain_m=summary.elevation_gain_m,
        point_count=summary.point_count,
        has_position=summary.bounding_box is not None,
        summary=summary.to_dict(),
    )


def _circles_touching(session: Session, ride: Ride) -> list[HiddenCircle]:
    """The owner's cut circles that reach the ride's bounding box (the others cut nothing)."""
    if not ride.has_position:
        return []
    return _touching(ride, privacy_circles(session, owner_id=ride.owner_id))


def _touching(ride: Ride, circles: list[HiddenCircle]) -> list[HiddenCircle]:
    """The circles that reach the ride's bounding box (none for a ride without positions)."""
    if not ride.has_position or None in (ride.min_lat, ride.min_lon, ride.max_lat, ride.max_lon):
        return []
    box = (ride.min_lat or 0.0, ride.min_lon or 0.0, ride.max_lat or 0.0, ride.max_lon or 0.0)
    return [circle for circle in circles if touches_box(circle, *box)]


def _view_key(ride: Ride, circles: list[HiddenCircle]) -> str:
    parts = [_VIEW_RULES_VERSION, ride.updated_at.isoformat(), str(ride.point_count)]
    parts += [f"{c.lat_deg!r},{c.lon_deg!r},{c.radius_m!r}" for c in circles]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def own_figures(ride: Ride, *, with_summary: bool = True) -> RideFigures:
    """The ride's figures as its owner sees them: whole, nothing cut."""
    return RideFigures(
        ride.started_at,
        ride.distance_m,
        ride.moving_time_s,
        ride.elapsed_time_s,
        ride.elevation_gain_m,
        ride.point_count,
        ride.has_position,
        dict(ride.summary) if with_summary else {},
    )


def _figures_of(view: PublicRideView) -> RideFigures:
    return RideFigures(
        view.started_at,
        view.distance_m,
        view.moving_time_s,
        view.elapsed_time_s,
        view.elevation_gain_m,
        view.point_count,
        view.has_position,
        dict(view.summary),
    )


def privacy_circles_of(
    session: Session, *, owner_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[HiddenCircle]]:
    """Each rider's cut circles (empty list for a rider without zones), in one query."""
    return _circles_of_owners(session, owner_ids)
