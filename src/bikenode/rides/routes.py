"""The rides API: uploads (multipart and tus), rides, streams, exports."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Container
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from bikenode.errors import NotFound
from bikenode.rides import service, uploads
from bikenode.rides.access import OwnedRide, OwnedUpload, VisibleRide
from bikenode.rides.formats.export import EXPORT_MEDIA_TYPES
from bikenode.rides.models import Ride, Upload
from bikenode.rides.privacy import (
    RideFigures,
    figures_seen_by,
    figures_seen_by_others,
    health_shared,
    owner_name,
    streams_seen_by,
    withheld_from,
)
from bikenode.rides.schemas import (
    RideListItem,
    RidePage,
    RidePublic,
    RidePublicView,
    RideUpdate,
    SortKey,
    StreamsPublic,
    UploadItemPublic,
    UploadPage,
    UploadPublic,
    UploadsCreated,
    UploadSummary,
)
from bikenode.web.dependencies import CurrentUser, OptionalUser, SessionDep, SettingsDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["rides"], route_class=StrictJSONRoute)


def upload_public(view: uploads.UploadView) -> UploadPublic:
    counts = dict(Counter(item.status for item in view.items))
    return UploadPublic(
        **_upload_fields(view.upload, counts).model_dump(),
        items=[UploadItemPublic.model_validate(item) for item in view.items],
    )


def _upload_fields(upload: Upload, counts: dict[str, int]) -> UploadSummary:
    return UploadSummary(
        id=upload.id,
        filename=upload.filename,
        status=upload.status,
        size_bytes=upload.size_bytes,
        received_bytes=upload.received_bytes,
        archive_kind=upload.archive_kind,
        note=upload.note,
        error=upload.error,
        created_at=upload.created_at,
        finished_at=upload.finished_at,
        counts=counts,
    )


@router.get("/uploads", response_model=UploadPage)
def list_uploads(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> UploadPage:
    """Your uploads, newest first, a page at a time."""
    rows, counts, next_cursor = uploads.list_uploads(
        session, owner_id=user.id, limit=limit, cursor=cursor
    )
    return UploadPage(
        items=[_upload_fields(u, counts[u.id]) for u in rows], next_cursor=next_cursor
    )


@router.post("/uploads", status_code=status.HTTP_202_ACCEPTED, response_model=UploadsCreated)
def create_uploads(
    request: Request,
    files: Annotated[list[UploadFile], File(description="activity files or zip archives")],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> UploadsCreated:
    """Upload activity files or archives; they are processed in the background."""
    created = []
    for file in files:
        upload = uploads.store_upload(
            session,
            owner_id=user.id,
            filename=file.filename or "upload",
            source=file.file,
            max_bytes=settings.max_upload_bytes,
        )
        created.append(upload_public(uploads.UploadView(upload, [])))
    request.app.state.worker.wake()
    return UploadsCreated(uploads=created)


@router.get("/uploads/{upload_id}", response_model=UploadPublic)
def read_upload(upload: OwnedUpload, session: SessionDep) -> UploadPublic:
    """An upload's status and the result for each file in it."""
    return upload_public(uploads.view_upload(session, upload=upload))


@router.post("/uploads/{upload_id}/items/{item_id}/merge", response_model=RidePublic)
def merge_upload_item(
    upload: OwnedUpload, item_id: int, user: CurrentUser, session: SessionDep
) -> RidePublic:
    """Merge the extra streams of a duplicate file into the ride it duplicates."""
    view = uploads.view_upload(session, upload=upload)
    item = next((i for i in view.items if i.id == item_id), None)
    if item is None:
        raise NotFound("no such file in this upload")
    ride = service.merge_duplicate(
        session, owner_id=user.id, item=item, ftp_w=user.ftp_w, max_hr_bpm=user.max_hr_bpm
    )
    return _owners_view(session, ride)


@router.get("/rides", response_model=RidePage)
def list_rides(
    user: CurrentUser,
    session: SessionDep,
    sport: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="name contains")] = None,
    sort: SortKey = "started_at",
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    view: Annotated[
        Literal["own", "public"],
        Query(description="public: only your public rides, with the figures others see"),
    ] = "own",
    commute: Annotated[
        bool | None, Query(description="true: only commutes; false: only other rides")
    ] = None,
) -> RidePage:
    """Your rides, newest first by default, a page at a time."""
    query = service.RideQuery(
        sport,
        started_after,
        started_before,
        q,
        sort,
        order == "desc",
        limit,
        cursor,
        public_only=view == "public" or not user.private_rides,  # apps without read_all
        commute=commute,
    )
    rides, next_cursor = service.list_rides(session, owner_id=user.id, query=query)
    items = [RideListItem.model_validate(r) for r in rides]
    if view == "public":  # the figures others see, cut by the privacy zones
        seen = figures_seen_by_others(session, rides=rides, with_summary=False)
        items = [_as_seen(item, figures) for item, figures in zip(items, seen, strict=True)]
    return RidePage(items=items, next_cursor=next_cursor)


def _as_seen(item: RideListItem, figures: RideFigures) -> RideListItem:
    """The list item with the figures this viewer sees (cut by privacy zones for others)."""
    return item.model_copy(update=_figure_values(figures, type(item).model_fields))


def _figure_values(figures: RideFigures, wanted: Container[str]) -> dict[str, Any]:
    """The figures a schema has fields for (shallow: dataclasses.asdict would deep-copy)."""
    return {
        field.name: getattr(figures, field.name)
        for field in dataclasses.fields(figures)
        if field.name in wanted
    }


def _owners_view(session: SessionDep, ride: Ride) -> RidePublic:
    """Everything about the ride, for its owner."""
    shared = health_shared(session, ride=ride)
    fields = {k: getattr(ride, k) for k in RidePublic.model_fields if k != "health_shared"}
    return RidePublic.model_validate({**fields, "health_shared": shared})


def _others_view(session: SessionDep, ride: Ride) -> RidePublicView:
    """What anyone but the owner sees: the public projection, with the figures others see."""
    figures = figures_seen_by(session, ride=ride, viewer_id=None)
    stored = {k: getattr(ride, k) for k in ("id", "name", "description", "sport", "sub_sport")}
    return RidePublicView.model_validate(
        {
            **stored,
            **_figure_values(figures, RidePublicView.model_fields),
            "source_format": ride.source_format,
            "owner_name": owner_name(session, ride=ride),
            "health_shared": health_shared(session, ride=ride),
        }
    )


@router.get("/rides/{ride_id}", response_model=RidePublic | RidePublicView)
def read_ride(
    ride: VisibleRide, session: SessionDep, viewer: OptionalUser
) -> RidePublic | RidePublicView:
    """A ride with its analytics: all of it for its owner, the public projection for others."""
    if viewer is not None and viewer.id == ride.owner_id:
        return _owners_view(session, ride)
    return _others_view(session, ride)


@router.get("/rides/{ride_id}/streams", response_model=StreamsPublic)
def read_streams(
    ride: VisibleRide,
    session: SessionDep,
    viewer: OptionalUser,
    keys: Annotated[str | None, Query(description="comma-separated, e.g. time_s,lat_deg")] = None,
    resolution: Annotated[int | None, Query(ge=2, le=1_000_000)] = None,
    view: Annotated[
        Literal["own", "public"],
        Query(description="public: the streams others see, cut by your privacy zones"),
    ] = "own",
) -> StreamsPublic:
    """A ride's streams, downsampled to about `resolution` points if asked."""
    # view=public lets the owner see their ride as anyone else does (the privacy page).
    viewer_id = viewer.id if viewer and view == "own" else None
    streams = streams_seen_by(session, ride=ride, viewer_id=viewer_id)
    wanted = [k.strip() for k in keys.split(",") if k.strip()] if keys else None
    shown = service.streams_for_display(streams, keys=wanted, resolution=resolution)
    returned = len(next(iter(shown.values()))) if shown else 0
    total = len(next(iter(streams.values()))) if streams else ride.point_count
    withheld = withheld_from(session, ride=ride, viewer_id=viewer_id)
    return StreamsPublic(
        point_count=total, returned_points=returned, streams=shown, withheld=withheld
    )


@router.patch("/rides/{ride_id}", response_model=RidePublic)
def update_ride(ride: OwnedRide, body: RideUpdate, session: SessionDep) -> RidePublic:
    """Change a ride's name, description, sport, commute flag, visibility or health sharing."""
    changes = body.model_dump(exclude_unset=True)
    return _owners_view(session, service.update_ride(session, ride=ride, changes=changes))


@router.delete("/rides/{ride_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_ride(ride: OwnedRide, session: SessionDep) -> Response:
    """Delete a ride for good."""
    service.delete_ride(session, ride=ride)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/rides/{ride_id}/export", response_class=Response)
def export_ride(
    ride: VisibleRide,
    session: SessionDep,
    viewer: OptionalUser,
    format: Literal["gpx", "tcx", "fit"] = "gpx",
) -> Response:
    """The ride as a GPX, TCX or FIT file."""
    data = service.export_ride(
        session, ride=ride, fmt=format, viewer_id=viewer.id if viewer else None
    )
    filename = (
        f"{ride.started_at:%Y-%m-%d}-{ride.id.hex[:8]}.{format}"
        if ride.started_at
        else f"{ride.id.hex[:8]}.{format}"
    )
    return Response(
        data,
        media_type=EXPORT_MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
