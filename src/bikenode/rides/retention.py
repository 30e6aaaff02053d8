"""What the retention policy may delete from rides, and nothing the ride itself needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bikenode.rides.models import Ride, RideOriginal, Upload, UploadItem


def expired_originals(
    session: Session, *, now: datetime, days: int, dry_run: bool
) -> tuple[int, int]:
    """(files, bytes) of the original files of rides imported more than `days` ago."""
    old = select(Ride.id).where(Ride.created_at < now - timedelta(days=days))
    selected = RideOriginal.ride_id.in_(old)
    files, size = session.execute(
        select(func.count(), func.coalesce(func.sum(func.length(RideOriginal.data_gz)), 0)).where(
            selected
        )
    ).one()
    if not dry_run and files:
        session.execute(delete(RideOriginal).where(selected))
    return int(files), int(size)


def expired_duplicate_copies(
    session: Session, *, now: datetime, days: int, dry_run: bool
) -> tuple[int, int]:
    """(files, bytes) kept from duplicates of uploads finished more than `days` ago; the
    offer to merge their extra streams ends with them."""
    old = select(Upload.id).where(Upload.finished_at < now - timedelta(days=days))
    selected = UploadItem.upload_id.in_(old) & UploadItem.data_gz.is_not(None)
    files, size = session.execute(
        select(func.count(), func.coalesce(func.sum(func.length(UploadItem.data_gz)), 0)).where(
            selected
        )
    ).one()
    if not dry_run and files:
        session.execute(
            update(UploadItem).where(selected).values(data_gz=None, mergeable_streams=[])
        )
    return int(files), int(size)


def abandoned_uploads(
    session: Session, *, now: datetime, days: int, dry_run: bool
) -> tuple[int, int]:
    """(uploads, bytes) of resumable uploads still receiving, started more than `days` ago."""
    selected = (Upload.status == "receiving") & (Upload.created_at < now - timedelta(days=days))
    uploads, size = session.execute(
        select(func.count(), func.coalesce(func.sum(Upload.received_bytes), 0)).where(selected)
    ).one()
    if not dry_run and uploads:
        session.execute(delete(Upload).where(selected))  # chunks go with them (cascade)
    return int(uploads), int(size)
