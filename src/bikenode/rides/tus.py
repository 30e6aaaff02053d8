"""Resumable uploads with the tus 1.0 protocol (core and creation extensions).

A standard tus client (tus-js-client, tuspy) creates an upload with POST, sends bytes with
PATCH, and after a dropped connection asks HEAD for the offset and goes on from there.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from bikenode.errors import InvalidInput, UnsupportedVersion, WrongContentType
from bikenode.rides import uploads
from bikenode.rides.access import OwnedUpload
from bikenode.web.dependencies import CurrentUser, SessionDep, SettingsDep

TUS_VERSION = "1.0.0"
router = APIRouter(prefix="/api/v1/uploads/tus", tags=["uploads (tus)"])


def _check_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise UnsupportedVersion(
            f"expected header Tus-Resumable: {TUS_VERSION}, got "
            f"{request.headers.get('tus-resumable')!r}",
            protocol="tus",
            supported=TUS_VERSION,
        )


def parse_metadata(header: str | None) -> dict[str, str]:
    """The Upload-Metadata header: comma-separated `key base64value` pairs."""
    result: dict[str, str] = {}
    for pair in (header or "").split(","):
        parts = pair.strip().split(" ")
        if not parts[0]:
            continue
        try:
            value = base64.b64decode(parts[1], validate=True).decode() if len(parts) > 1 else ""
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"expected base64 in Upload-Metadata for {parts[0]!r}") from None
        result[parts[0]] = value
    return result


@router.options("", status_code=status.HTTP_204_NO_CONTENT)
def tus_options(settings: SettingsDep) -> Response:
    """What this tus server supports."""
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={
            "Tus-Resumable": TUS_VERSION,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": "creation",
            "Tus-Max-Size": str(settings.max_upload_bytes),
        },
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def tus_create(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """Start a resumable upload (Upload-Length and Upload-Metadata headers)."""
    _check_version(request)
    length_header = request.headers.get("upload-length", "")
    if not length_header.isdigit():
        raise InvalidInput(f"expected an Upload-Length header of digits, got {length_header!r}")
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    upload = uploads.create_resumable_upload(
        session,
        owner_id=user.id,
        filename=metadata.get("filename") or metadata.get("name") or "upload",
        length=int(length_header),
        max_bytes=settings.max_upload_bytes,
    )
    location = str(request.url_for("tus_head", upload_id=str(upload.id)))
    return Response(
        status_code=status.HTTP_201_CREATED,
        headers={
            "Location": location,
            "Tus-Resumable": TUS_VERSION,
            "Upload-Offset": "0",
            "X-Upload-Id": str(upload.id),
        },
    )


@router.head("/{upload_id}", name="tus_head")
def tus_head(upload: OwnedUpload, request: Request) -> Response:
    """How many bytes of the upload the server has."""
    _check_version(request)
    return Response(
        headers={
            "Upload-Offset": str(upload.received_bytes),
            "Upload-Length": str(upload.size_bytes),
            "Tus-Resumable": TUS_VERSION,
            "Cache-Control": "no-store",
        }
    )


@router.patch("/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
async def tus_patch(upload: OwnedUpload, request: Request, user: CurrentUser) -> Response:
    """Append bytes at Upload-Offset; each chunk is committed as it arrives."""
    _check_version(request)
    if request.headers.get("content-type") != "application/offset+octet-stream":
        raise WrongContentType("expected Content-Type: application/offset+octet-stream")
    offset_header = request.headers.get("upload-offset", "")
    if not offset_header.isdigit():
        raise InvalidInput(f"expected an Upload-Offset header of digits, got {offset_header!r}")
    offset = int(offset_header)
    session_factory = request.app.state.session_factory
    upload_id = upload.id
    buffer = bytearray()

    def commit(data: bytes, at: int) -> int:
        with session_factory() as session:
            upload = uploads.append_chunk(
                session, owner_id=user.id, upload_id=upload_id, offset=at, data=data
            )
            return upload.received_bytes

    committed_any = False
    try:
        async for part in request.stream():
            buffer += part
            if len(buffer) >= uploads.CHUNK_BYTES:
                offset = await run_in_threadpool(commit, bytes(buffer), offset)
                buffer.clear()
                committed_any = True
    except ClientDisconnect:
        pass  # keep what arrived; the client asks HEAD and resumes
    if buffer or not committed_any:
        offset = await run_in_threadpool(commit, bytes(buffer), offset)
    request.app.state.worker.wake()
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={"Upload-Offset": str(offset), "Tus-Resumable": TUS_VERSION},
    )
