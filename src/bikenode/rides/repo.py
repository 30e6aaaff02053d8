"""Queries on the rides tables. Never commits: the services do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, defer

from bikenode.rides.models import Ride, RideStreams, Upload, UploadChunk, UploadItem


def find_by_sha256(session: Session, owner_id: uuid.UUID, sha256: str) -> Ride | None:
    return session.scalars(
        select(Ride).where(Ride.owner_id == owner_id, Ride.source_sha256 == sha256).limit(1)
    ).first()


def rides_starting_between(
    session: Session, owner_id: uuid.UUID, start: datetime, end: datetime
) -> list[Ride]:
    return list(
        session.scalars(
            select(Ride).where(
                Ride.owner_id == owner_id, Ride.started_at >= start, Ride.started_at <= end
            )
        )
    )


def untimed_rides(session: Session, owner_id: uuid.UUID) -> list[Ride]:
    return list(
        session.scalars(select(Ride).where(Ride.owner_id == owner_id, Ride.started_at.is_(None)))
    )


def get_streams(session: Session, ride_id: uuid.UUID) -> RideStreams | None:
    return session.get(RideStreams, ride_id)


def upload_items(session: Session, upload_id: uuid.UUID) -> list[UploadItem]:
    return list(
        session.scalars(
            select(UploadItem).where(UploadItem.upload_id == upload_id).order_by(UploadItem.id)
        )
    )


def done_entries(session: Session, upload_id: uuid.UUID) -> set[str]:
    return set(session.scalars(select(UploadItem.entry).where(UploadItem.upload_id == upload_id)))


def iter_chunks(session: Session, upload_id: uuid.UUID) -> Iterator[bytes]:
    """The upload's bytes in order, one chunk in memory at a time."""
    offsets = session.scalars(
        select(UploadChunk.offset)
        .where(UploadChunk.upload_id == upload_id)
        .order_by(UploadChunk.offset)
    ).all()
    for offset in offsets:
        yield session.scalars(
            select(UploadChunk.data).where(
                UploadChunk.upload_id == upload_id, UploadChunk.offset == offset
            )
        ).one()


def delete_chunks(session: Session, upload_id: uuid.UUID) -> None:
    session.execute(delete(UploadChunk).where(UploadChunk.upload_id == upload_id))


def stored_bytes(session: Session, upload_id: uuid.UUID) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(func.length(UploadChunk.data)), 0)).where(
            UploadChunk.upload_id == upload_id
        )
    )
    return int(total or 0)


def ride_page_query(
    owner_id: uuid.UUID,
    *,
    sport: str | None,
    started_after: datetime | None,
    started_before: datetime | None,
    name_contains: str | None,
) -> Select[Ride]:
    # A page lists figures, not analytics: the large JSON columns load only if a caller asks.
    query = (
        select(Ride)
        .where(Ride.owner_id == owner_id)
        .options(defer(Ride.summary), defer(Ride.import_notes))
    )
    if sport:
        query = query.where(Ride.sport == sport)
    if started_after:
        query = query.where(Ride.started_at >= started_after)
    if started_before:
        query = query.where(Ride.started_at < started_before)
    if name_contains:
        escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Ride.name.ilike(f"%{escaped}%", escape="\\"))
    return query


def get_upload(session: Session, upload_id: uuid.UUID) -> Upload | None:
    return session.get(Upload, upload_id)


def upload_counts(session: Session, upload_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """Per upload, how many of its files ended in each status (one query for a page)."""
    counts: dict[uuid.UUID, dict[str, int]] = {upload_id: {} for upload_id in upload_ids}
    rows = session.execute(
        select(UploadItem.upload_id, UploadItem.status, func.count())
        .where(UploadItem.upload_id.in_(upload_ids))
        .group_by(UploadItem.upload_id, UploadItem.status)
    )
    for upload_id, status, count in rows:
        counts[upload_id][status] = count
    return counts
