"""A rider's rides data for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import gzip
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.rides.models import PrivacyZone, Ride, RideOriginal, Upload, UploadItem
from bikenode.rides.storage import load_streams

RIDE_FIELDS = (
    "id",
    "name",
    "description",
    "sport",
    "sub_sport",
    "visibility",
    "share_health",
    "source",
    "device",
    "started_at",
    "distance_m",
    "moving_time_s",
    "elapsed_time_s",
    "elevation_gain_m",
    "point_count",
    "summary",
    "import_notes",
    "source_format",
    "source_sha256",
    "created_at",
    "updated_at",
)
UPLOAD_FIELDS = (
    "id",
    "filename",
    "status",
    "size_bytes",
    "archive_kind",
    "note",
    "error",
    "created_at",
    "finished_at",
)
ITEM_FIELDS = ("entry", "status", "reason", "ride_id", "duplicate_of", "warnings")
ZONE_FIELDS = ("id", "name", "lat_deg", "lon_deg", "radius_m", "created_at")


@dataclass(frozen=True)
class ErasedRides:
    """What an erasure removed, as totals that identify no one."""

    rides: int
    distance_m: float
    moving_time_s: float


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every file of the rider's rides data, one ride in memory at a time.

    rides/<id>.json holds a ride with its summary and every stream in full (heart rate
    decrypted); originals/<id>/<name> the file it was imported from; uploads.json and
    privacy_zones.json the rest.
    """
    ride_ids = session.scalars(
        select(Ride.id).where(Ride.owner_id == owner_id).order_by(Ride.started_at, Ride.id)
    ).all()
    for ride_id in ride_ids:
        ride = session.get(Ride, ride_id)
        if ride is None:  # deleted while the export ran
            continue
        record = fields_of(ride, RIDE_FIELDS)
        record["streams"] = {
            name: [float(v) if math.isfinite(v) else None for v in values.tolist()]
            for name, values in load_streams(session, ride_id).items()
        }
        yield f"rides/{ride_id}.json", json_bytes(record)
        original = session.get(RideOriginal, ride_id)
        if original is not None:
            name = original.filename.replace("\\", "/").rsplit("/", 1)[-1] or "original"
            yield f"originals/{ride_id}/{name}", gzip.decompress(original.data_gz)
        # End the read after each ride: on SQLite a transaction holds the write lock, and an
        # export of thousands of rides must not stop everyone else's writes meanwhile.
        session.rollback()
    yield "uploads.json", json_bytes(_uploads(session, owner_id))
    zones = session.scalars(select(PrivacyZone).where(PrivacyZone.owner_id == owner_id)).all()
    yield "privacy_zones.json", json_bytes([fields_of(zone, ZONE_FIELDS) for zone in zones])


@dataclass(frozen=True)
class RideRow:
    """One ride as an admin's read of an account lists it: no description, track or streams."""

    id: uuid.UUID
    name: str
    sport: str
    visibility: str
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None


def list_user_rides(session: Session, owner_id: uuid.UUID, *, limit: int = 1000) -> list[RideRow]:
    """The owner's newest rides (at most `limit`), for an audited admin read."""
    rows = session.scalars(
        select(Ride)
        .where(Ride.owner_id == owner_id)
        .order_by(Ride.started_at.desc(), Ride.id)
        .limit(limit)
    )
    return [
        RideRow(r.id, r.name, r.sport, r.visibility, r.started_at, r.distance_m, r.moving_time_s)
        for r in rows
    ]


def erase_user_data(session: Session, owner_id: uuid.UUID) -> ErasedRides:
    """Delete every ride, stream, original, upload and zone of the rider; flushes only."""
    count, distance_m, moving_s = session.execute(
        select(
            func.count(Ride.id),
            func.coalesce(func.sum(Ride.distance_m), 0.0),
            func.coalesce(func.sum(Ride.moving_time_s), 0.0),
        ).where(Ride.owner_id == owner_id)
    ).one()
    # Streams, originals and cached public views go with their ride (ON DELETE CASCADE);
    # chunks and items with their upload.
    session.execute(delete(Ride).where(Ride.owner_id == owner_id))
    session.execute(delete(Upload).where(Upload.owner_id == owner_id))
    session.execute(delete(PrivacyZone).where(PrivacyZone.owner_id == owner_id))
    session.flush()
    return ErasedRides(int(count), float(distance_m or 0.0), float(moving_s or 0.0))


def _uploads(session: Session, owner_id: uuid.UUID) -> list[dict[str, Any]]:
    uploads = session.scalars(
        select(Upload).where(Upload.owner_id == owner_id).order_by(Upload.created_at)
    ).all()
    out = []
    for upload in uploads:
        record = fields_of(upload, UPLOAD_FIELDS)
        items = session.scalars(
            select(UploadItem).where(UploadItem.upload_id == upload.id).order_by(UploadItem.id)
        ).all()
        record["items"] = [fields_of(item, ITEM_FIELDS) for item in items]
        out.append(record)
    return out
