"""Upload use cases: store the bytes durably first, then queue them for processing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.db.pagination import newest_first, page
from bikenode.db.queue import enqueue, enqueue_claimed
from bikenode.errors import Conflict, InvalidInput, NotFound, TooLarge
from bikenode.rides import repo
from bikenode.rides.models import Upload, UploadChunk, UploadItem

PROCESS_UPLOAD_JOB = "rides.process_upload"
# Each database row holds at most this much of an upload, so no row is huge.
CHUNK_BYTES = 4 * 1024 * 1024
EMPTY_FILE = "expected an activity file or archive, got an empty file (0 bytes)"


@dataclass(frozen=True)
class UploadView:
    upload: Upload
    items: list[UploadItem]


def store_upload(
    session: Session, *, owner_id: uuid.UUID, filename: str, source: BinaryIO, max_bytes: int
) -> Upload:
    """Save an uploaded file chunk by chunk, then queue it for any worker.

    Each chunk is its own short transaction, so a large upload never holds the database.
    TooLarge past max_bytes (nothing is kept). An empty file is kept as a failed upload that
    says so, so each file of a request gets its own answer.
    """
    upload = _receive(session, owner_id=owner_id, filename=filename, source=source, limit=max_bytes)
    if upload.status == "receiving":
        upload.status = "queued"
        enqueue(session, PROCESS_UPLOAD_JOB, {"upload_id": str(upload.id)})
    session.commit()
    return upload


def store_upload_to_run(
    session: Session,
    *,
    owner_id: uuid.UUID,
    filename: str,
    source: BinaryIO,
    max_bytes: int,
    worker: str,
    lease: timedelta,
) -> tuple[Upload, int | None]:
    """Save an uploaded file like store_upload, its job already leased to `worker`.

    Returns the upload and its job's id (None for an empty file, failed at once). Other
    workers leave the job alone unless `worker` dies and its lease runs out.
    """
    upload = _receive(session, owner_id=owner_id, filename=filename, source=source, limit=max_bytes)
    job_id = None
    if upload.status == "receiving":
        upload.status = "queued"
        job = enqueue_claimed(
            session, PROCESS_UPLOAD_JOB, {"upload_id": str(upload.id)}, worker=worker, lease=lease
        )
        session.flush()
        job_id = job.id
    session.commit()
    return upload, job_id


def _receive(
    session: Session, *, owner_id: uuid.UUID, filename: str, source: BinaryIO, limit: int
) -> Upload:
    upload = Upload(
        id=uuid.uuid4(), owner_id=owner_id, filename=_clean_name(filename), status="receiving"
    )
    session.add(upload)
    session.commit()
    try:
        received = _store_chunks(session, upload.id, source, limit)
    except BaseException:  # a refusal or a dropped connection: drop what was stored
        session.rollback()
        discard_upload(session, upload)
        raise
    upload.size_bytes = upload.received_bytes = received
    if received == 0:
        finish_upload(session, upload, error=EMPTY_FILE)
    return upload


def _store_chunks(session: Session, upload_id: uuid.UUID, source: BinaryIO, limit: int) -> int:
    received = 0
    while chunk := source.read(CHUNK_BYTES):
        if received + len(chunk) > limit:
            raise TooLarge(f"expected at most {limit} bytes, got more; nothing was kept")
        session.add(UploadChunk(upload_id=upload_id, offset=received, data=chunk))
        session.commit()
        received += len(chunk)
    return received


def discard_upload(session: Session, upload: Upload) -> None:
    """Delete an upload and its bytes."""
    repo.delete_chunks(session, upload.id)
    session.delete(upload)
    session.commit()


def create_resumable_upload(
    session: Session, *, owner_id: uuid.UUID, filename: str, length: int, max_bytes: int
) -> Upload:
    """Start a tus upload of a known length; bytes arrive later in PATCH requests."""
    if length > max_bytes:
        raise TooLarge(f"expected an upload of at most {max_bytes} bytes, got {length}")
    if length <= 0:
        raise InvalidInput(f"expected an upload length above 0, got {length}")
    upload = Upload(
        id=uuid.uuid4(),
        owner_id=owner_id,
        filename=_clean_name(filename),
        status="receiving",
        size_bytes=length,
    )
    session.add(upload)
    session.commit()
    return upload


def append_chunk(
    session: Session, *, owner_id: uuid.UUID, upload_id: uuid.UUID, offset: int, data: bytes
) -> Upload:
    """Append bytes at `offset` (tus PATCH) and commit; queue the upload once it is whole.

    Each call commits, so bytes received before a dropped connection are kept and the
    client resumes from there.
    """
    upload = get_own_upload(session, owner_id=owner_id, upload_id=upload_id)
    if upload.status != "receiving":
        raise Conflict("this upload is already complete")
    if offset != upload.received_bytes:
        raise Conflict(f"expected Upload-Offset {upload.received_bytes}, got {offset}")
    if offset + len(data) > upload.size_bytes:
        raise InvalidInput(
            f"expected at most {upload.size_bytes - offset} more bytes, got {len(data)}"
        )
    if data:
        session.add(UploadChunk(upload_id=upload.id, offset=offset, data=data))
    upload.received_bytes = offset + len(data)
    if upload.received_bytes == upload.size_bytes:
        upload.status = "queued"
        enqueue(session, PROCESS_UPLOAD_JOB, {"upload_id": str(upload.id)})
    session.commit()
    return upload


def get_own_upload(session: Session, *, owner_id: uuid.UUID, upload_id: uuid.UUID) -> Upload:
    """The caller's upload; NotFound for anyone else's (no existence oracle)."""
    upload = repo.get_upload(session, upload_id)
    if upload is None or upload.owner_id != owner_id:
        raise NotFound("no such upload")
    return upload


def view_upload(session: Session, *, upload: Upload) -> UploadView:
    """An upload and the per-file results so far."""
    return UploadView(upload, repo.upload_items(session, upload.id))


def list_uploads(
    session: Session, *, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[Upload], dict[uuid.UUID, dict[str, int]], str | None]:
    """A page of the owner's uploads, newest first, their per-status file counts, and the
    next page's cursor (None on the last)."""
    statement = newest_first(
        select(Upload).where(Upload.owner_id == owner_id),
        at=Upload.created_at,
        key=Upload.id,
        limit=limit,
        cursor=cursor,
    )
    rows, next_cursor = page(
        list(session.scalars(statement)), limit=limit, at=lambda u: u.created_at, key=lambda u: u.id
    )
    return rows, repo.upload_counts(session, [u.id for u in rows]), next_cursor


def _clean_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return name[-500:]


def finish_upload(session: Session, upload: Upload, *, error: str | None = None) -> None:
    """Mark an upload processed and drop its bytes (the originals live with the rides)."""
    upload.status = "failed" if error else "done"
    upload.error = error
    upload.finished_at = utcnow()
    repo.delete_chunks(session, upload.id)
