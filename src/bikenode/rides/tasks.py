"""Queue jobs of the rides domain. They take ids and open their own sessions."""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode.accounts import get_rider_profile
from bikenode.db.queue import JobHandler, JobLease, LeaseLost
from bikenode.events import publish
from bikenode.rides import repo
from bikenode.rides.events import GearListed
from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.archives import ArchiveMetadata, read_archive_metadata
from bikenode.rides.formats.containers import EntryStatus, iter_activity_files
from bikenode.rides.imports import EntryResult, RiderContext, import_file, record_item
from bikenode.rides.models import Upload
from bikenode.rides.privacy import refresh_public_views, schedule_public_view_refresh
from bikenode.rides.uploads import finish_upload

log = logging.getLogger("bikenode.rides")

STRAVA_NOTE = (
    "Rides from a Strava archive are private to you: Strava's API terms forbid showing "
    "Strava data to others. You can change each ride's visibility yourself."
)
EntryCallback = Callable[[str, EntryResult], None]


def process_upload(
    session_factory: sessionmaker[Session],
    upload_id: uuid.UUID,
    *,
    lease: JobLease | None = None,
    on_entry: EntryCallback | None = None,
) -> None:
    """Import every activity file of an upload; resumable: files already done are skipped.

    With a lease (the upload's queue job), each file's result is committed only while the
    job is still this worker's; LeaseLost when another worker took it over.
    """
    with session_factory() as session:
        upload = repo.get_upload(session, upload_id)
        if upload is None or upload.status in ("done", "failed", "receiving"):
            return
        _hold(session, lease)
        upload.status = "processing"
        session.commit()
        with _spooled(session, upload_id) as path:
            try:
                _import_entries(session, upload, path, lease, on_entry)
            except LeaseLost:
                session.rollback()
                raise
            except Exception as error:  # the archive as a whole is unreadable
                session.rollback()
                log.warning("upload failed", extra={"upload_id": str(upload_id)}, exc_info=True)
                _hold(session, lease)
                finish_upload(session, upload, error=_upload_error(error))
                session.commit()
                return
        _hold(session, lease)
        finish_upload(session, upload)
        schedule_public_view_refresh(session, owner_id=upload.owner_id)
        session.commit()


def _import_entries(
    session: Session,
    upload: Upload,
    path: Path,
    lease: JobLease | None,
    on_entry: EntryCallback | None,
) -> None:
    archive = read_archive_metadata(path)
    rider = _rider(session, upload, archive)
    if archive.bikes:  # bikes learns of them (a resumed import lists them again: harmless)
        publish(session, gear_listed(upload, archive))
    done = repo.done_entries(session, upload.id)
    session.commit()  # nothing may hold the database while the archive is read
    found, skipped = bool(done), []
    for entry in iter_activity_files(path, upload.filename):
        if lease is not None:
            lease()
        if entry.status == EntryStatus.SKIPPED:
            skipped.append(entry.path)
            continue
        found = True
        if entry.path in done or _parts_done(entry.path, done):
            continue
        if entry.status == EntryStatus.FAILED or entry.data is None:
            results = [("", EntryResult("failed", entry.reason or "the file could not be read"))]
        else:
            entry_path = entry.path
            results = _import_one(
                session,
                rider,
                entry.name,
                entry.data,
                lambda at, p=entry_path: archive.lookup(p, at),
            )
            if entry.status == EntryStatus.DAMAGED:
                for _, result in results:
                    result.warnings.insert(0, entry.reason)
        _hold(session, lease)
        # A file of several rides gives an item per ride, all committed together.
        for label, result in results:
            record_item(session, upload.id, entry.path + label, result, entry.data)
        session.commit()
        if on_entry is not None:
            for label, result in results:
                on_entry(entry.path + label, result)
    if not found:
        raise NoActivityFiles(nothing_to_import(skipped))


def gear_listed(upload: Upload, archive: ArchiveMetadata) -> GearListed:
    bikes = archive.bikes
    return GearListed(
        owner_id=upload.owner_id,
        upload_id=upload.id,
        names=tuple(b.name for b in bikes),
        brands=tuple(b.brand for b in bikes),
        models=tuple(b.model for b in bikes),
        sports=tuple(b.sports for b in bikes),
    )


def _parts_done(path: str, done: set[str]) -> bool:
    """Whether a file of several rides was imported before (its items are "path (ride N of M)")."""
    return f"{path} (ride 1 of " in {entry[: len(path) + 12] for entry in done}


class NoActivityFiles(ParseError):
    """An upload (an archive) in which no file is an activity file."""


def nothing_to_import(skipped: list[str], *, shown: int = 10) -> str:
    """The reason an archive gave no ride: what it held instead, a few names at most."""
    expected = "expected an activity file (FIT, GPX or TCX, or a .gz or zip of them)"
    if not skipped:
        return f"{expected}, got an archive with no files in it"
    names = ", ".join(skipped[:shown])
    if len(skipped) > shown:
        names += f" and {len(skipped) - shown} more"
    held = "its one file is" if len(skipped) == 1 else f"its {len(skipped)} files are"
    return f"{expected}, got an archive in which {held} not an activity: {names}"


def _hold(session: Session, lease: JobLease | None) -> None:
    if lease is not None:
        lease.hold(session)


def _upload_error(error: Exception) -> str:
    """What the rider is told of an upload that failed as a whole: a parser's own words, or
    a plain sentence (database and internal errors go to the log, never to the rider)."""
    if isinstance(error, ParseError):
        return str(error) or "the archive could not be read"
    return "an internal error stopped this upload's import; it was logged"


def _import_one(
    session: Session, rider: RiderContext, name: str, data: bytes, metadata_for: Any
) -> list[tuple[str, EntryResult]]:
    try:
        return import_file(
            session, rider=rider, filename=name, data=data, metadata_for=metadata_for
        )
    except Exception:  # one broken file must never stop the rest of an archive
        session.rollback()
        log.exception("import failed", extra={"entry": name})
        failed = EntryResult(
            "failed", "an internal error stopped this file's import; it was logged"
        )
        return [("", failed)]


def _rider(session: Session, upload: Upload, archive: ArchiveMetadata) -> RiderContext:
    profile = get_rider_profile(session, upload.owner_id)
    source = archive.kind if archive.kind in ("strava", "garmin") else "upload"
    upload.archive_kind = archive.kind
    if archive.kind == "strava":
        upload.note = STRAVA_NOTE
    return RiderContext(
        owner_id=upload.owner_id,
        ftp_w=profile.ftp_w if profile else None,
        max_hr_bpm=profile.max_hr_bpm if profile else None,
        timezone=profile.timezone if profile else "UTC",
        visibility="private",
        source=source,
    )


@contextmanager
def _spooled(session: Session, upload_id: uuid.UUID) -> Iterator[Path]:
    """The upload's bytes in a temporary file (zip needs random access), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bikenode-upload-"))
    path = folder / "upload.bin"
    try:
        with path.open("wb") as spool:
            for chunk in repo.iter_chunks(session, upload_id):
                spool.write(chunk)
        session.commit()
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def process_upload_job(session_factory: sessionmaker[Session]) -> JobHandler:
    """The queue handler for rides.process_upload jobs."""

    def handle(payload: dict[str, Any], lease: JobLease) -> None:
        process_upload(session_factory, uuid.UUID(payload["upload_id"]), lease=lease)

    return handle


def refresh_public_views_job(
    session_factory: sessionmaker[Session],
) -> Callable[[dict[str, Any], Callable[[], None]], None]:
    """The queue handler that stores what others see of one rider's rides."""

    def handle(payload: dict[str, Any], heartbeat: Callable[[], None]) -> None:
        heartbeat()
        with session_factory() as session:
            refresh_public_views(session, owner_id=uuid.UUID(payload["owner_id"]))

    return handle
