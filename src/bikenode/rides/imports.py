"""Turning one activity file into a stored ride: parse, clean, analyse, de-duplicate, save."""

from __future__ import annotations

import gzip
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from bikenode.encryption import current_key_ring
from bikenode.events import publish
from bikenode.rides import repo
from bikenode.rides.event_values import ride_summary
from bikenode.rides.events import RideImported
from bikenode.rides.formats import NotAnActivity, ParsedActivity, ParseError, parse_activity
from bikenode.rides.logic.analytics import summarise
from bikenode.rides.logic.cleaning import ImplausibleActivity, clean_activity
from bikenode.rides.logic.duplicates import RideFootprint, footprint, is_same_activity
from bikenode.rides.logic.naming import default_ride_name
from bikenode.rides.logic.splitting import split_rides
from bikenode.rides.logic.sports import is_commute, ride_sport
from bikenode.rides.models import Ride, RideOriginal, RideStreams, UploadItem
from bikenode.rides.storage import load_streams, pack_streams
from bikenode.rides.sync_records import record_ride_saved

# A ride recorded by two devices starts within this window of the other (then overlap decides).
DUPLICATE_SEARCH_WINDOW = timedelta(hours=12)


class Metadata(Protocol):
    """What an export archive says of one activity file (Strava's activities.csv...)."""

    name: str | None
    description: str | None
    sport: str | None
    started_at: datetime | None
    commute: bool
    gear: str | None


@dataclass(frozen=True)
class RiderContext:
    """Whose ride it is and what shapes its analytics."""

    owner_id: uuid.UUID
    ftp_w: float | None = None
    max_hr_bpm: float | None = None
    timezone: str = "UTC"
    visibility: str = "private"
    source: str = "upload"


@dataclass
class EntryResult:
    status: str  # imported, duplicate, failed
    reason: str | None = None
    ride_id: uuid.UUID | None = None
    duplicate_of: uuid.UUID | None = None
    mergeable_streams: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_activity(
    session: Session,
    *,
    rider: RiderContext,
    filename: str,
    data: bytes,
    metadata_for: Callable[[datetime | None], Metadata | None] | None = None,
    now: datetime | None = None,
) -> EntryResult:
    """Store one activity file as one ride (flushed, not committed), or say why not.

    For a file that may hold several rides (tracks days apart), use import_file.
    """
    [(_, result)] = import_file(
        session,
        rider=rider,
        filename=filename,
        data=data,
        metadata_for=metadata_for,
        now=now,
        split=False,
    )
    return result


def import_file(
    session: Session,
    *,
    rider: RiderContext,
    filename: str,
    data: bytes,
    metadata_for: Callable[[datetime | None], Metadata | None] | None = None,
    now: datetime | None = None,
    split: bool = True,
) -> list[tuple[str, EntryResult]]:
    """Store the rides of one activity file (flushed, not committed), or say why not.

    Returns (label, result) per ride: one with the label "" for most files; for a file of
    tracks recorded hours or days apart (logic/splitting.py), one per ride, labelled
    " (ride 2 of 6)". metadata_for finds what an export archive says of the file, given
    its start time.
    """
    # The CPU work comes first, outside any transaction: on SQLite a transaction holds the
    # write lock, and parsing a large file takes a while.
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        parsed = parse_activity(data, filename)
        cleaned, notes = clean_activity(parsed, now_s=(now or datetime.now(UTC)).timestamp())
    except NotAnActivity as error:
        return [("", EntryResult("failed", f"not an activity: {error}"))]
    except (ParseError, ImplausibleActivity) as error:
        return [("", EntryResult("failed", str(error)))]
    empty = nothing_to_import(cleaned, notes)
    if empty:
        return [("", EntryResult("failed", empty))]
    parts = split_rides(cleaned) if split else [cleaned]
    if len(parts) == 1:
        warnings = [*parsed.warnings, *notes]
        return [
            ("", _store(session, rider, filename, data, cleaned, warnings, sha256, metadata_for))
        ]
    results = []
    for number, part in enumerate(parts, start=1):
        why = (
            f"one of {len(parts)} rides in this file: its tracks were recorded hours or days "
            "apart, so each is a ride of its own"
        )
        # Each ride has its own fingerprint, so uploading the file again finds each one.
        part_sha256 = hashlib.sha256(f"{sha256}#{number}".encode()).hexdigest()
        found = _store(
            session,
            rider,
            filename,
            data,
            part,
            [why, *parsed.warnings, *notes],
            part_sha256,
            metadata_for,
        )
        results.append((f" (ride {number} of {len(parts)})", found))
    return results


def _store(
    session: Session,
    rider: RiderContext,
    filename: str,
    data: bytes,
    cleaned: ParsedActivity,
    notes: list[str],
    sha256: str,
    metadata_for: Callable[[datetime | None], Metadata | None] | None = None,
) -> EntryResult:
    """One cleaned ride stored (or found a duplicate of one already stored)."""
    summary = summarise(cleaned, ftp_w=rider.ftp_w, max_hr_bpm=rider.max_hr_bpm)
    warnings = [*notes, *summary.notes]
    ride_id = uuid.uuid4()
    packed = pack_streams(ride_id, cleaned.streams, current_key_ring())
    # A live ride has no uploaded file: the FIT written from its streams would only keep its
    # heart rate readable without a key, beside the sealed streams.
    original_gz = None if rider.source == "live" else gzip.compress(data, compresslevel=6, mtime=0)

    existing = repo.find_by_sha256(session, rider.owner_id, sha256)
    if existing is not None:
        return EntryResult(
            "duplicate",
            f"the same file was imported as {existing.name!r}",
            duplicate_of=existing.id,
        )
    duplicate = _find_duplicate(session, rider.owner_id, cleaned, summary.distance_m)
    if duplicate is not None:
        return _duplicate_result(session, duplicate, cleaned, warnings)
    metadata = metadata_for(cleaned.started_at) if metadata_for else None
    figures = summary.to_dict()
    if cleaned.devices:  # the serials the file named, for rides.ride_devices
        figures["devices"] = _device_entries(cleaned.devices, cleaned.batteries)
    ride = _new_ride(rider, cleaned, figures, metadata, sha256, warnings)
    ride.id = ride_id
    session.add(ride)
    session.add(
        RideStreams(
            ride_id=ride.id,
            data=packed.data,
            point_count=cleaned.point_count,
            health_data=packed.health_data,
            health_key_id=packed.health_key_id,
        )
    )
    if original_gz is not None:
        session.add(RideOriginal(ride_id=ride.id, filename=filename[-500:], data_gz=original_gz))
    session.flush()
    record_ride_saved(session, ride)  # devices pull the new ride
    gear = metadata.gear if metadata is not None else None
    fields = ride_summary(ride)
    publish(
        session,
        RideImported(ride_id=ride.id, owner_id=ride.owner_id, gear=gear, summary=fields),
    )
    return EntryResult("imported", ride_id=ride.id, warnings=warnings)


def nothing_to_import(activity: ParsedActivity, notes: list[str]) -> str | None:
    """Why a cleaned activity holds nothing worth a ride, or None if it holds something."""
    cleaned = f" (cleaning: {'; '.join(notes)})" if notes else ""
    if activity.point_count == 0:
        totals = (activity.device_distance_m, activity.device_calories_kcal)
        if activity.started_at and (any(t is not None for t in totals) or activity.laps):
            return None  # a session's totals without samples still make a (short) ride
        return f"expected records or session totals, got neither{cleaned}"
    lat = activity.streams.get("lat_deg")
    if activity.format == "gpx" and (lat is None or not np.isfinite(lat).any()):
        # GPX points always carry coordinates; when none is valid, nothing is left.
        return (
            f"expected points with valid coordinates, got {activity.point_count} without{cleaned}"
        )
    return None


def record_item(
    session: Session,
    upload_id: uuid.UUID,
    entry: str,
    result: EntryResult,
    original: bytes | None = None,
) -> UploadItem:
    """Remember what became of one file of an upload (so a resumed job skips it)."""
    item = UploadItem(
        upload_id=upload_id,
        entry=entry[-1000:],
        status=result.status,
        reason=result.reason,
        ride_id=result.ride_id,
        duplicate_of=result.duplicate_of,
        mergeable_streams=result.mergeable_streams,
        warnings=result.warnings[:50],
        # A duplicate that brings new streams is kept so the rider can merge it later.
        data_gz=gzip.compress(original, mtime=0) if original and result.mergeable_streams else None,
    )
    session.add(item)
    return item


def _find_duplicate(
    session: Session, owner_id: uuid.UUID, activity: ParsedActivity, distance_m: float | None
) -> Ride | None:
    mine = footprint(activity.streams, distance_m)
    if mine.start_s is None:
        candidates = repo.untimed_rides(session, owner_id)
    else:
        start = datetime.fromtimestamp(mine.start_s, tz=UTC)
        end = datetime.fromtimestamp(mine.end_s or mine.start_s, tz=UTC)
        candidates = repo.rides_starting_between(
            session, owner_id, start - DUPLICATE_SEARCH_WINDOW, end
        )
    for ride in candidates:
        theirs = _stored_footprint(ride)
        if is_same_activity(mine, theirs):
            return ride
    return None


def _stored_footprint(ride: Ride) -> RideFootprint:
    start_s = ride.started_at.timestamp() if ride.started_at else None
    end_s = start_s + (ride.elapsed_time_s or 0.0) if start_s is not None else None
    summary = ride.summary or {}
    lat, lon = _number(summary.get("start_lat_deg")), _number(summary.get("start_lon_deg"))
    return RideFootprint(start_s, end_s, lat, lon, ride.distance_m)


def _duplicate_result(
    session: Session, ride: Ride, activity: ParsedActivity, warnings: list[str]
) -> EntryResult:
    have = set(load_streams(session, ride.id))
    new = [
        key
        for key, values in activity.streams.items()
        if key not in have and bool((values == values).any())
    ]
    reason = f"the same ride is already stored as {ride.name!r}"
    if new:
        reason += f"; this copy also has {', '.join(sorted(new))}, which can be merged into it"
    return EntryResult(
        "duplicate", reason, duplicate_of=ride.id, mergeable_streams=sorted(new), warnings=warnings
    )


def _new_ride(
    rider: RiderContext,
    activity: ParsedActivity,
    summary: dict[str, object],
    metadata: Metadata | None,
    sha256: str,
    warnings: list[str],
) -> Ride:
    started_at = activity.started_at
    if started_at is None and metadata is not None:
        started_at = metadata.started_at
    sport = (metadata.sport if metadata and metadata.sport else None) or ride_sport(
        activity.sport, activity.sub_sport
    )
    commute = bool(metadata and metadata.commute) or is_commute(activity.sub_sport)
    name = (metadata.name if metadata and metadata.name else None) or activity.name
    bbox = summary.get("bounding_box") or {}
    return Ride(
        id=uuid.uuid4(),
        owner_id=rider.owner_id,
        name=(name or default_ride_name(started_at, sport, rider.timezone))[:200],
        description=(metadata.description if metadata and metadata.description else None)
        or activity.description
        or "",
        sport=sport[:40],
        sub_sport=activity.sub_sport[:40] if activity.sub_sport else None,
        commute=commute,
        visibility=rider.visibility,
        source=rider.source,
        device=activity.device[:200] if activity.device else None,
        started_at=started_at,
        distance_m=_number(summary.get("distance_m")),
        moving_time_s=_number(summary.get("moving_s")),
        elapsed_time_s=_number(summary.get("elapsed_s")),
        elevation_gain_m=_number(summary.get("elevation_gain_m")),
        has_position="lat_deg" in activity.streams and bool(bbox),
        point_count=activity.point_count,
        min_lat=_number(bbox.get("min_lat_deg")) if isinstance(bbox, dict) else None,
        min_lon=_number(bbox.get("min_lon_deg")) if isinstance(bbox, dict) else None,
        max_lat=_number(bbox.get("max_lat_deg")) if isinstance(bbox, dict) else None,
        max_lon=_number(bbox.get("max_lon_deg")) if isinstance(bbox, dict) else None,
        summary=summary,
        import_notes=warnings[:50],
        source_format=activity.format,
        source_sha256=sha256,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _device_entries(
    devices: list[tuple[str, str]],
    batteries: dict[str, list[tuple[float, str | None, float | None]]],
) -> list[dict[str, object]]:
    """The summary's devices: serial, kind and, where the file read one, the battery
    readings as [ISO time, status, volts] (rides.ride_devices reads them back)."""
    entries: list[dict[str, object]] = []
    for serial, kind in devices:
        entry: dict[str, object] = {"serial": serial, "kind": kind}
        if batteries.get(serial):
            entry["battery"] = [
                [datetime.fromtimestamp(at_s, UTC).isoformat(), status, volts]
                for at_s, status, volts in batteries[serial]
            ]
        entries.append(entry)
    return entries
