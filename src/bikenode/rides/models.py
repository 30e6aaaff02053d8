"""Tables owned by the rides domain: rides, their streams and originals, uploads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class Ride(Base):
    __tablename__ = "rides"
    __table_args__ = (
        # Visibility and id too: a feed page sorts the followed riders' rides from this index
        # alone, without reading each ride's row (rides/feed.py).
        Index("ix_rides_owner_started", "owner_id", "started_at", "visibility", "id"),
        Index("ix_rides_owner_sha256", "owner_id", "source_sha256"),
        # Every rider's rides newest first: a feed following many riders walks it until its
        # page is full; owner and visibility too, so it reads no ride's row (rides/feed.py).
        Index("ix_rides_started", "started_at", "id", "owner_id", "visibility"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sport: Mapped[str] = mapped_column(String(40), default="cycling")
    sub_sport: Mapped[str | None] = mapped_column(String(40))
    commute: Mapped[bool] = mapped_column(default=False, server_default=false())
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    # Heart rate and power shown to others: True or False, or None to follow the rider's
    # default (accounts' share_health_by_default). See rides/privacy.py.
    share_health: Mapped[bool | None]
    source: Mapped[str] = mapped_column(String(16), default="upload")  # upload, strava, garmin
    device: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None]
    # Summary figures kept as columns so lists can sort and filter on them.
    distance_m: Mapped[float | None]
    moving_time_s: Mapped[float | None]
    elapsed_time_s: Mapped[float | None]
    elevation_gain_m: Mapped[float | None]
    has_position: Mapped[bool] = mapped_column(default=False)
    point_count: Mapped[int] = mapped_column(default=0)
    min_lat: Mapped[float | None]
    min_lon: Mapped[float | None]
    max_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    import_notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_format: Mapped[str] = mapped_column(String(8))
    source_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RideStreams(Base):
    """A ride's streams, columnar and compressed (never a row per point)."""

    __tablename__ = "rides_streams"

    ride_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rides.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    point_count: Mapped[int]
    # Health streams (heart rate), AES-256-GCM encrypted; see bikenode.rides.storage.
    health_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    health_key_id: Mapped[str | None] = mapped_column(String(40), index=True)


class RideOriginal(Base):
    """The file a ride came from, gzip-compressed, for exports and data requests."""

    __tablename__ = "rides_originals"

    ride_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rides.id", ondelete="CASCADE"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(String(500))
    data_gz: Mapped[bytes] = mapped_column(LargeBinary)


class Upload(Base):
    """One uploaded file (a single activity or an archive), stored before it is processed."""

    __tablename__ = "rides_uploads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(String(500))
    # receiving (tus, incomplete), queued, processing, done, failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    size_bytes: Mapped[int] = mapped_column(default=0)
    received_bytes: Mapped[int] = mapped_column(default=0)
    archive_kind: Mapped[str | None] = mapped_column(String(16))  # strava, garmin, plain
    note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class UploadChunk(Base):
    """Bytes of an upload, in the database so any node's worker can read them."""

    __tablename__ = "rides_upload_chunks"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rides_uploads.id", ondelete="CASCADE"), primary_key=True
    )
    offset: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class UploadItem(Base):
    """One activity file found in an upload, and what became of it."""

    __tablename__ = "rides_upload_items"
    __table_args__ = (
        Index("ix_rides_upload_items_upload_entry", "upload_id", "entry", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    upload_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rides_uploads.id", ondelete="CASCADE"))
    entry: Mapped[str] = mapped_column(String(1000))  # path inside the archive, or the file name
    status: Mapped[str] = mapped_column(String(16))  # imported, duplicate, failed
    reason: Mapped[str | None] = mapped_column(Text)
    ride_id: Mapped[uuid.UUID | None]
    duplicate_of: Mapped[uuid.UUID | None]
    # Streams a duplicate has that its original lacks, kept so the rider can merge them.
    mergeable_streams: Mapped[list[str]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_gz: Mapped[bytes | None] = mapped_column(LargeBinary)


class PrivacyZone(Base):
    """A circle a rider hides (home, work), with the secret that shifts and widens its cut.

    The secret (offset and extra radius) is drawn once and kept, so every ride is cut by the
    same boundary and many rides cannot be averaged to find the centre.
    """

    __tablename__ = "rides_privacy_zones"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    lat_deg: Mapped[float]
    lon_deg: Mapped[float]
    radius_m: Mapped[float]
    offset_m: Mapped[float]
    offset_bearing_deg: Mapped[float]
    extra_radius_m: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublicRideView(Base):
    """A ride's figures as others see them (cut by its owner's zones), cached.

    Valid while `key` matches: a digest of the zones and of the ride's last change.
    """

    __tablename__ = "rides_public_views"

    ride_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rides.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime | None]
    distance_m: Mapped[float | None]
    moving_time_s: Mapped[float | None]
    elapsed_time_s: Mapped[float | None]
    elevation_gain_m: Mapped[float | None]
    point_count: Mapped[int]
    has_position: Mapped[bool]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
