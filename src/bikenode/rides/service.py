"""Ride use cases: list, read, edit, delete, streams, export, merge."""

from __future__ import annotations

import gzip
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session, defer

from bikenode.accounts import get_rider_profile
from bikenode.errors import InvalidInput, NotFound
from bikenode.events import publish
from bikenode.rides import repo
from bikenode.rides.audience import may_view
from bikenode.rides.event_values import values_of
from bikenode.rides.events import RideChanged, RideDeleted
from bikenode.rides.formats import STREAM_KEYS, parse_activity
from bikenode.rides.formats.activity import FloatArray, ParsedActivity
from bikenode.rides.formats.export import ExportError, export_activity
from bikenode.rides.imports import EntryResult, RiderContext, import_activity
from bikenode.rides.logic.analytics import summarise
from bikenode.rides.logic.cleaning import clean_activity
from bikenode.rides.logic.display import (
    BadCursor,
    decode_cursor,
    display_indices,
    encode_cursor,
    stream_to_json,
)
from bikenode.rides.logic.exports import export_as_shown
from bikenode.rides.logic.merge import merge_streams
from bikenode.rides.logic.records import PersonalRecords, RideEfforts, best_of_rides
from bikenode.rides.models import Ride, UploadItem
from bikenode.rides.privacy import (
    figures_seen_by,
    figures_seen_by_others,
    schedule_public_view_refresh,
    streams_seen_by,
)
from bikenode.rides.storage import load_streams, store_streams
from bikenode.rides.sync_records import record_ride_deleted, record_ride_saved

# Decimal places per stream in API answers: 1e-7 degree is about a centimetre.
STREAM_DECIMALS = {"time_s": 3, "lat_deg": 7, "lon_deg": 7}
DEFAULT_DECIMALS = 2
NULL_SORT_FILL: dict[str, Any] = {
    "started_at": datetime(1970, 1, 1, tzinfo=UTC),
    "distance_m": -1.0,
    "moving_time_s": -1.0,
    "elevation_gain_m": -1.0,
    "name": "",
}


@dataclass(frozen=True)
class RideQuery:
    sport: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    name_contains: str | None = None
    sort: str = "started_at"
    descending: bool = True
    limit: int = 20
    cursor: str | None = None
    public_only: bool = False  # only the rides others may see
    commute: bool | None = None  # only commutes (True) or only other rides (False)


def get_visible_ride(session: Session, *, ride_id: uuid.UUID, viewer_id: uuid.UUID | None) -> Ride:
    """A ride the viewer may see (rides.audience.may_view); NotFound otherwise, never 403."""
    ride = session.get(Ride, ride_id)
    if ride is None or not may_view(session, ride=ride, viewer_id=viewer_id):
        raise NotFound("no such ride")
    return ride


def get_own_ride(session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID) -> Ride:
    """A ride the caller owns (for changes); NotFound otherwise."""
    ride = session.get(Ride, ride_id)
    if ride is None or ride.owner_id != owner_id:
        raise NotFound("no such ride")
    return ride


def list_rides(
    session: Session, *, owner_id: uuid.UUID, query: RideQuery
) -> tuple[list[Ride], str | None]:
    """One page of the owner's rides and the cursor of the next page (None at the end)."""
    column = getattr(Ride, query.sort)
    key = func.coalesce(column, literal(NULL_SORT_FILL[query.sort], type_=column.type))
    statement = repo.ride_page_query(
        owner_id,
        sport=query.sport,
        started_after=query.started_after,
        started_before=query.started_before,
        name_contains=query.name_contains,
    )
    if query.public_only:
        statement = statement.where(Ride.visibility == "public")
    if query.commute is not None:
        statement = statement.where(Ride.commute.is_(query.commute))
    if query.cursor:
        statement = statement.where(_after_cursor(query, key))
    order = (key.desc(), Ride.id.desc()) if query.descending else (key.asc(), Ride.id.asc())
    rows = list(session.scalars(statement.order_by(*order).limit(query.limit + 1)))
    if len(rows) <= query.limit:
        return rows, None
    last = rows[query.limit - 1]
    return rows[: query.limit], encode_cursor(_cursor_value(last, query.sort), str(last.id))


NULLABLE_FIELDS = ("share_health", "started_at")  # null: follow the rider's default


def update_ride(session: Session, *, ride: Ride, changes: dict[str, Any]) -> Ride:
    """Change name, description, sport, commute flag, visibility, health sharing, or the date
    of an untimed ride; InvalidInput for the date of a ride whose timestamps give its start."""
    if "started_at" in changes and ride.elapsed_time_s is not None:
        raise InvalidInput(
            "expected a date only for a ride without timestamps; this ride's start comes from"
            " its own timestamps"
        )
    for field, value in changes.items():
        if value is None and field not in NULLABLE_FIELDS:
            raise InvalidInput(f"{field} cannot be null")
        setattr(ride, field, value)
    record_ride_saved(session, ride)  # devices pull the edit
    schedule_public_view_refresh(session, owner_id=ride.owner_id)
    publish(
        session,
        RideChanged(
            ride_id=ride.id,
            owner_id=ride.owner_id,
            changed=tuple(changes),
            values=values_of(ride, changes),
            visibility=ride.visibility,
        ),
    )
    session.commit()
    return ride


def delete_ride(session: Session, *, ride: Ride) -> None:
    """Delete a ride with its streams and original file."""
    record_ride_deleted(session, ride)  # devices pull a tombstone
    deleted = RideDeleted(ride_id=ride.id, owner_id=ride.owner_id, visibility=ride.visibility)
    publish(session, deleted)
    session.delete(ride)
    session.commit()


def ride_streams(session: Session, *, ride: Ride) -> dict[str, FloatArray]:
    """The ride's stored streams, decoded (health streams decrypted)."""
    return load_streams(session, ride.id)


def streams_for_display(
    streams: dict[str, FloatArray], *, keys: list[str] | None, resolution: int | None
) -> dict[str, list[float | None]]:
    """The asked streams, downsampled to about `resolution` points, JSON-ready."""
    unknown = [key for key in keys or [] if key not in STREAM_KEYS]
    if unknown:
        raise InvalidInput(f"expected stream keys among {', '.join(STREAM_KEYS)}, got {unknown}")
    wanted = [key for key in (keys or list(streams)) if key in streams]
    count = len(next(iter(streams.values()))) if streams else 0
    indices = display_indices(count, resolution)
    return {
        key: stream_to_json(streams[key][indices], STREAM_DECIMALS.get(key, DEFAULT_DECIMALS))
        for key in wanted
    }


def export_ride(session: Session, *, ride: Ride, fmt: str, viewer_id: uuid.UUID | None) -> bytes:
    """The ride as a GPX, TCX or FIT file, cut by the owner's privacy zones for others."""
    streams = streams_seen_by(session, ride=ride, viewer_id=viewer_id)
    figures = figures_seen_by(session, ride=ride, viewer_id=viewer_id)
    try:
        return export_as_shown(
            streams,
            fmt=fmt,  # type: ignore[arg-type]
            started_at=figures.started_at,
            distance_m=figures.distance_m,
            moving_time_s=figures.moving_time_s,
            elevation_gain_m=figures.elevation_gain_m,
            summary=figures.summary,
            name=ride.name,
            description=ride.description,
            sport=ride.sport,
        )
    except ExportError as error:
        raise InvalidInput(str(error)) from None


def merge_duplicate(
    session: Session,
    *,
    owner_id: uuid.UUID,
    item: UploadItem,
    ftp_w: float | None,
    max_hr_bpm: float | None,
) -> Ride:
    """Add the streams a duplicate upload carries to the ride it duplicates."""
    if item.duplicate_of is None or not item.mergeable_streams or item.data_gz is None:
        raise InvalidInput("this file brings no streams that its ride lacks")
    ride = get_own_ride(session, ride_id=item.duplicate_of, owner_id=owner_id)
    extra, _notes = clean_activity(
        parse_activity(gzip.decompress(item.data_gz), item.entry.removesuffix(".gz")),
        now_s=datetime.now(UTC).timestamp(),
    )
    merged = merge_streams(ride_streams(session, ride=ride), extra.streams, item.mergeable_streams)
    stored = repo.get_streams(session, ride.id)
    if stored is None:
        raise NotFound("the ride has no stored streams")
    store_streams(session, ride.id, merged, stored.point_count)
    summary = summarise(
        ParsedActivity(format=ride.source_format, streams=merged),
        ftp_w=ftp_w,
        max_hr_bpm=max_hr_bpm,
    ).to_dict()
    if ride.summary and "devices" in ride.summary:  # the serials the original file named
        summary["devices"] = ride.summary["devices"]
    ride.summary = summary
    ride.import_notes = [
        *ride.import_notes,
        f"merged {', '.join(item.mergeable_streams)} from {item.entry}",
    ]
    merged_keys = tuple(item.mergeable_streams)
    item.mergeable_streams, item.data_gz = [], None
    schedule_public_view_refresh(session, owner_id=ride.owner_id)
    publish(
        session,
        RideChanged(
            ride_id=ride.id,
            owner_id=ride.owner_id,
            changed=(*merged_keys, "summary"),
            visibility=ride.visibility,
        ),
    )
    session.commit()
    return ride


STATS_WEEKS = 53  # this week and the 52 before it: a year of weekly volume


@dataclass(frozen=True)
class Volume:
    """How much was ridden in a period."""

    rides: int = 0
    distance_m: float = 0.0
    moving_time_s: float = 0.0
    elevation_gain_m: float = 0.0

    def plus(self, distance_m: float | None, time_s: float | None, gain_m: float | None) -> Volume:
        """This volume with one more ride (a missing figure counts as zero)."""
        return Volume(
            self.rides + 1,
            self.distance_m + (distance_m or 0.0),
            self.moving_time_s + (time_s or 0.0),
            self.elevation_gain_m + (gain_m or 0.0),
        )


@dataclass(frozen=True)
class RideStats:
    """Volume this week, this year, per week (Monday first) over the last year, per year, ever."""

    week: Volume
    year: Volume
    weeks: list[tuple[date, Volume]]
    years: list[tuple[int, Volume]]  # newest first, only years with rides
    all_time: Volume  # untimed rides included


def ride_stats(
    session: Session, *, owner_id: uuid.UUID, timezone: str, now: datetime, public: bool = False
) -> RideStats:
    """The rider's volume this week, per week and per year in their zone, and in all.

    With public, only the rides others may see count, with the figures others see (cut by
    the rider's privacy zones).
    """
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    this_week = today - timedelta(days=today.weekday())
    first_week = this_week - timedelta(weeks=STATS_WEEKS - 1)
    weeks = {first_week + timedelta(weeks=n): Volume() for n in range(STATS_WEEKS)}
    years: dict[int, Volume] = {}
    all_time = Volume()
    for started_at, distance_m, moving_s, gain_m in _volume_rows(session, owner_id, public=public):
        all_time = all_time.plus(distance_m, moving_s, gain_m)
        if started_at is None:  # an untimed ride counts in all, in no week or year
            continue
        day = started_at.astimezone(zone).date()
        week = day - timedelta(days=day.weekday())
        if week in weeks:
            weeks[week] = weeks[week].plus(distance_m, moving_s, gain_m)
        years[day.year] = years.get(day.year, Volume()).plus(distance_m, moving_s, gain_m)
    return RideStats(
        week=weeks[this_week],
        year=years.get(today.year, Volume()),
        weeks=sorted(weeks.items()),
        years=sorted(years.items(), reverse=True),
        all_time=all_time,
    )


VolumeRow = tuple[datetime | None, float | None, float | None, float | None]


def _volume_rows(session: Session, owner_id: uuid.UUID, *, public: bool) -> list[VolumeRow]:
    if not public:
        rows = session.execute(
            select(
                Ride.started_at, Ride.distance_m, Ride.moving_time_s, Ride.elevation_gain_m
            ).where(Ride.owner_id == owner_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]
    rides = session.scalars(
        select(Ride)
        .where(Ride.owner_id == owner_id, Ride.visibility == "public")
        .options(defer(Ride.summary), defer(Ride.import_notes))
    ).all()
    seen = figures_seen_by_others(session, rides=rides, with_summary=False)
    return [(f.started_at, f.distance_m, f.moving_time_s, f.elevation_gain_m) for f in seen]


def rider_sports(session: Session, *, owner_id: uuid.UUID) -> list[tuple[str, int]]:
    """The sports of the rider's rides with how many rides each, the most ridden first."""
    count = func.count(Ride.id)
    rows = session.execute(
        select(Ride.sport, count)
        .where(Ride.owner_id == owner_id)
        .group_by(Ride.sport)
        .order_by(count.desc(), Ride.sport)
    )
    return [(sport, n) for sport, n in rows]


def personal_records(session: Session, *, owner_id: uuid.UUID) -> PersonalRecords:
    """The rider's best efforts over all their rides, each with the ride that holds it."""
    rows = session.execute(
        select(Ride.id, Ride.name, Ride.started_at, Ride.summary).where(Ride.owner_id == owner_id)
    )
    return best_of_rides(RideEfforts(*row) for row in rows)


def _cursor_value(ride: Ride, sort: str) -> Any:
    value = getattr(ride, sort)
    if value is None:
        value = NULL_SORT_FILL[sort]
    return value.isoformat() if isinstance(value, datetime) else value


def _after_cursor(query: RideQuery, key: Any) -> Any:
    try:
        raw_value, raw_id = decode_cursor(query.cursor or "")
        value: Any = datetime.fromisoformat(raw_value) if query.sort == "started_at" else raw_value
        ride_id = uuid.UUID(raw_id)
    except (BadCursor, ValueError, TypeError):
        raise InvalidInput("expected a cursor from a previous page, got something else") from None
    if query.descending:
        return or_(key < value, (key == value) & (Ride.id < ride_id))
    return or_(key > value, (key == value) & (Ride.id > ride_id))


def import_live_track(
    session: Session,
    *,
    owner_id: uuid.UUID,
    streams: dict[str, FloatArray],
    name: str | None = None,
    visibility: str = "private",
    now: datetime | None = None,
) -> EntryResult:
    """Store a live session's streams as a ride with full analytics (flushed, not committed).

    The streams go through the same path as an uploaded file (written as FIT, then parsed,
    cleaned, analysed and de-duplicated), so a live ride and its head unit's file are one ride.
    """
    try:
        data = export_activity(streams, fmt="fit", name=name, sport="cycling")
    except ExportError as error:
        return EntryResult("failed", str(error))
    profile = get_rider_profile(session, owner_id)
    rider = RiderContext(
        owner_id=owner_id,
        ftp_w=profile.ftp_w if profile else None,
        max_hr_bpm=profile.max_hr_bpm if profile else None,
        timezone=profile.timezone if profile else "UTC",
        visibility=visibility,
        source="live",
    )
    result = import_activity(session, rider=rider, filename="live.fit", data=data, now=now)
    if result.ride_id is not None and name:
        ride = session.get(Ride, result.ride_id)
        if ride is not None:
            ride.name = name[:200]
            record_ride_saved(session, ride)
    return result
