"""What bulk exports say about their activities: Strava's activities.csv, Garmin's JSON summaries.

A Strava "download your data" zip has activities.csv (one row per activity, its "Filename"
naming the file under activities/). A Garmin Connect export has
DI_CONNECT/DI-Connect-Fitness/*summarizedActivities.json; its FIT files sit in nested
UploadedFiles_*.zip archives named by upload id, not activity id, so Garmin metadata is found
by start time once the file is parsed. Every file is read within size limits; a broken or
missing metadata file gives a warning and no metadata, never an error.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from bikenode.rides.formats.containers import (
    DEFAULT_LIMITS,
    ContainerError,
    ContainerLimits,
    Source,
    is_zip,
    open_zip,
    unsafe_name_reason,
    zip_member_problem,
)

MIB = 1024 * 1024
METADATA_LIMIT = 64 * MIB
MAX_ARCHIVE_BIKES = 200  # bikes.csv rows read; nobody owns more, a crafted file may claim to  # metadata bytes read from one export, all files together
START_TOLERANCE_S = 5  # a file's first timestamp may trail the summary's start by a few seconds
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_STRAVA_DATE = re.compile(
    r"(?P<month>[a-z]{3})[a-z]*\.? (?P<day>\d{1,2}),? (?P<year>\d{4}),? "
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2}):(?P<second>\d{2}) ?(?P<half>[ap]m)?"
)
# Strava types as in activities.csv ("Virtual Ride") or its API ("VirtualRide"), squeezed.
_STRAVA_SPORTS = {
    "ride": "cycling",
    "virtualride": "virtual_cycling",
    "ebikeride": "ebike",
    "emountainbikeride": "ebike",
    "gravelride": "gravel_cycling",
    "mountainbikeride": "mountain_biking",
    "run": "running",
    "virtualrun": "virtual_running",
    "trailrun": "trail_running",
    "walk": "walking",
    "hike": "hiking",
    "swim": "swimming",
}
_GARMIN_SPORTS = {
    "cycling": "cycling",
    "road_biking": "cycling",
    "track_cycling": "cycling",
    "recumbent_cycling": "cycling",
    "cyclocross": "cycling",
    # Trainer rides have no real track either, like Zwift rides.
    "indoor_cycling": "virtual_cycling",
    "virtual_ride": "virtual_cycling",
    "gravel_cycling": "gravel_cycling",
    "mountain_biking": "mountain_biking",
    "downhill_biking": "mountain_biking",
    "e_bike_fitness": "ebike",
    "e_bike_mountain": "ebike",
    "running": "running",
    "street_running": "running",
    "track_running": "running",
    "treadmill_running": "running",
    "indoor_running": "running",
}


class ArchiveKind(enum.StrEnum):
    """Which service wrote an upload."""

    STRAVA = "strava"
    GARMIN = "garmin"
    PLAIN = "plain"  # anything else, a single file included


@dataclass(frozen=True)
class ActivityMetadata:
    """What an export says about one activity beside its file."""

    source: str  # "strava" or "garmin"
    external_id: str | None = None  # the activity's id at that service
    name: str | None = None
    description: str | None = None
    sport: str | None = None  # our lower-case sport names, as in ParsedActivity.sport
    started_at: datetime | None = None  # UTC
    commute: bool = False
    gear: str | None = None  # the bike (or shoes) the service recorded it with, by name


@dataclass(frozen=True)
class ArchiveBike:
    """A bike a Strava export lists in bikes.csv."""

    name: str
    brand: str = ""
    model: str = ""
    sports: str = ""  # "Bike Default Sport Types", as Strava writes them ("Ride, GravelRide")


@dataclass(frozen=True)
class ArchiveMetadata:
    """The metadata of one upload, by member path and by start time."""

    kind: ArchiveKind
    #: Member path as iter_activity_files reports it ("activities/123.fit.gz").
    by_path: Mapping[str, ActivityMetadata] = field(default_factory=dict)
    #: Start time in Unix seconds (UTC): how Garmin files are matched.
    by_start: Mapping[int, ActivityMetadata] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: Strava's bikes.csv: the rider's bikes, used or not by the activities.
    bikes: tuple[ArchiveBike, ...] = ()

    def lookup(self, path: str, started_at: datetime | None = None) -> ActivityMetadata | None:
        """The metadata of one imported file: by its path, else by its start time."""
        found = self.by_path.get(path)
        if found is not None or started_at is None:
            return found
        second = int(started_at.timestamp())
        for delta in sorted(range(-START_TOLERANCE_S, START_TOLERANCE_S + 1), key=abs):
            if (found := self.by_start.get(second + delta)) is not None:
                return found
        return None


class _Unreadable(Exception):
    """A metadata file cannot be used; the message becomes a warning."""


def read_archive_metadata(
    source: Source, *, limits: ContainerLimits = DEFAULT_LIMITS, max_bytes: int = METADATA_LIMIT
) -> ArchiveMetadata:
    """The kind of an upload and what its Strava or Garmin metadata says about each activity."""
    if not is_zip(source):
        return ArchiveMetadata(ArchiveKind.PLAIN)
    try:
        with open_zip(source, limits=limits) as archive:
            return _zip_metadata(archive, _Budget(max_bytes))
    except ContainerError as exc:
        return ArchiveMetadata(ArchiveKind.PLAIN, warnings=(f"no export metadata: {exc}",))


@dataclass
class _Budget:
    """Metadata bytes an export may still make us read."""

    limit: int
    left: int = -1

    def __post_init__(self) -> None:
        self.left = self.limit if self.left < 0 else self.left


def _zip_metadata(archive: zipfile.ZipFile, budget: _Budget) -> ArchiveMetadata:
    infos = [i for i in archive.infolist() if unsafe_name_reason(i.filename) is None]
    strava = sorted(
        (i for i in infos if i.filename.rsplit("/", 1)[-1].lower() == "activities.csv"),
        key=lambda i: i.filename.count("/"),
    )
    if strava:
        metadata = _strava_metadata(archive, strava[0], budget)
        prefix = strava[0].filename[: -len("activities.csv")]
        listed = next((i for i in infos if i.filename == prefix + "bikes.csv"), None)
        if listed is None:
            return metadata
        bikes, warnings = _strava_bikes(archive, listed, budget)
        return dataclasses.replace(metadata, bikes=bikes, warnings=metadata.warnings + warnings)
    summaries = [i for i in infos if i.filename.lower().endswith("summarizedactivities.json")]
    if summaries or any("DI_CONNECT/" in i.filename for i in infos):
        return _garmin_metadata(archive, sorted(summaries, key=lambda i: i.filename), budget)
    return ArchiveMetadata(ArchiveKind.PLAIN)


# --- Strava ---


def _strava_metadata(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget
) -> ArchiveMetadata:
    prefix = info.filename[: -len("activities.csv")]
    by_path: dict[str, ActivityMetadata] = {}
    by_start: dict[int, ActivityMetadata] = {}
    warnings: list[str] = []
    try:
        for filename, metadata in _strava_rows(archive, info, budget):
            if filename:
                by_path[prefix + filename.lstrip("/")] = metadata
            if metadata.started_at is not None:
                by_start.setdefault(int(metadata.started_at.timestamp()), metadata)
    except (_Unreadable, csv.Error, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        warnings.append(f"{info.filename}: {exc}; rows after the last one read are ignored")
    return ArchiveMetadata(ArchiveKind.STRAVA, by_path, by_start, tuple(warnings))


def _strava_bikes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget
) -> tuple[tuple[ArchiveBike, ...], tuple[str, ...]]:
    """The bikes of bikes.csv (at most MAX_ARCHIVE_BIKES), and a warning if it was unreadable."""
    bikes: list[ArchiveBike] = []
    try:
        with _open_member(archive, info) as member:
            text = io.TextIOWrapper(
                io.BufferedReader(_Capped(member, budget)), encoding="utf-8-sig", errors="replace"
            )
            rows = csv.reader(text)
            columns = _columns(next(rows, []))
            for row in rows:
                name = _cell(row, columns, "bike name")
                if name is None:
                    continue
                if len(bikes) == MAX_ARCHIVE_BIKES:
                    return tuple(bikes), (
                        f"{info.filename}: only the first {MAX_ARCHIVE_BIKES} bikes are read",
                    )
                bikes.append(
                    ArchiveBike(
                        name=name[:200],
                        brand=(_cell(row, columns, "bike brand") or "")[:100],
                        model=(_cell(row, columns, "bike model") or "")[:100],
                        sports=(_cell(row, columns, "bike default sport types") or "")[:200],
                    )
                )
    except (_Unreadable, csv.Error, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        return tuple(bikes), (f"{info.filename}: {exc}; bikes after the last one read are ignored",)
    return tuple(bikes), ()


def _strava_rows(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget
) -> Iterator[tuple[str | None, ActivityMetadata]]:
    """(Filename, metadata) for each row of activities.csv, streamed within the budget."""
    with _open_member(archive, info) as member:
        text = io.TextIOWrapper(
            io.BufferedReader(_Capped(member, budget)),
            encoding="utf-8-sig",
            errors="replace",
            newline="",  # the csv module handles newlines inside quoted descriptions
        )
        rows = csv.reader(text)
        columns = _columns(next(rows, []))
        for row in rows:
            yield _cell(row, columns, "filename"), _strava_activity(row, columns)


def _columns(header: list[str]) -> dict[str, int]:
    """Column index by lower-case name; Strava repeats some names, the first one wins."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lstrip("\ufeff").lower(), index)
    return columns


def _cell(row: list[str], columns: Mapping[str, int], name: str) -> str | None:
    index = columns.get(name)
    value = row[index].strip() if index is not None and index < len(row) else ""
    return value or None


def _strava_activity(row: list[str], columns: Mapping[str, int]) -> ActivityMetadata:
    return ActivityMetadata(
        source="strava",
        external_id=_cell(row, columns, "activity id"),
        name=_cell(row, columns, "activity name"),
        description=_cell(row, columns, "activity description"),
        sport=strava_sport(_cell(row, columns, "activity type")),
        started_at=parse_strava_date(_cell(row, columns, "activity date")),
        commute=(_cell(row, columns, "commute") or "").lower() in ("true", "1"),
        gear=(_cell(row, columns, "activity gear") or "")[:200] or None,
    )


def parse_strava_date(text: str | None) -> datetime | None:
    """The UTC time of a Strava export date such as "Feb 2, 2020, 6:52:10 PM", or None."""
    if not text:
        return None
    clean = " ".join(text.split()).lower()  # newer exports put U+202F before "PM"
    match = _STRAVA_DATE.fullmatch(clean)
    if match is None:
        return _parse_iso(clean)
    hour, half = int(match["hour"]), match["half"]
    if half is not None:
        hour = hour % 12 + (12 if half == "pm" else 0)
    month = _MONTHS.get(match["month"])
    try:
        return datetime(
            int(match["year"]),
            month or 0,
            int(match["day"]),
            hour,
            int(match["minute"]),
            int(match["second"]),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    # Strava and Garmin write UTC; a time without an offset is UTC too.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def strava_sport(activity_type: str | None) -> str | None:
    """Our sport name for a Strava activity type ("Virtual Ride" -> "virtual_cycling")."""
    if not activity_type:
        return None
    squeezed = re.sub(r"[\s_-]", "", activity_type).lower()
    return _STRAVA_SPORTS.get(squeezed) or _snake(activity_type)


def _snake(text: str) -> str | None:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text.strip())
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_") or None


# --- Garmin ---


def _garmin_metadata(
    archive: zipfile.ZipFile, summaries: list[zipfile.ZipInfo], budget: _Budget
) -> ArchiveMetadata:
    by_start: dict[int, ActivityMetadata] = {}
    warnings: list[str] = []
    for info in summaries:
        try:
            items = _garmin_items(_read_json(archive, info, budget))
        except (_Unreadable, zipfile.BadZipFile, EOFError, OSError) as exc:
            warnings.append(f"{info.filename}: {exc}")
            continue
        for item in items:
            metadata = _garmin_activity(item)
            if metadata is not None and metadata.started_at is not None:
                by_start.setdefault(int(metadata.started_at.timestamp()), metadata)
    return ArchiveMetadata(ArchiveKind.GARMIN, {}, by_start, tuple(warnings))


def _read_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Any:
    with _open_member(archive, info) as member:
        data = _Capped(member, budget).read()
    try:
        return json.loads(data.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise _Unreadable(f"expected JSON, got {type(exc).__name__}: {exc}") from None


def _garmin_items(payload: Any) -> list[dict[str, Any]]:
    """The activity objects of a summary file: [{"summarizedActivitiesExport": [...]}] or a list."""
    blocks = payload if isinstance(payload, list) else [payload]
    items: list[Any] = []
    for block in blocks:
        if isinstance(block, dict) and isinstance(block.get("summarizedActivitiesExport"), list):
            items.extend(block["summarizedActivitiesExport"])
        else:
            items.append(block)
    return [item for item in items if isinstance(item, dict) and "activityId" in item]


def _garmin_activity(item: dict[str, Any]) -> ActivityMetadata | None:
    activity_id = item.get("activityId")
    started = _from_epoch_ms(item.get("startTimeGmt")) or _from_epoch_ms(item.get("beginTimestamp"))
    kind = item.get("activityType")
    if isinstance(kind, dict):  # the API's shape: {"typeKey": "road_biking", ...}
        kind = kind.get("typeKey")
    return ActivityMetadata(
        source="garmin",
        external_id=str(activity_id) if isinstance(activity_id, int | str) else None,
        name=_text(item.get("name")),
        description=_text(item.get("description")),
        sport=garmin_sport(kind if isinstance(kind, str) else None),
        started_at=started,
    )


def garmin_sport(activity_type: str | None) -> str | None:
    """Our sport name for a Garmin activity type ("road_biking" -> "cycling")."""
    if not activity_type:
        return None
    key = activity_type.strip().lower()
    return _GARMIN_SPORTS.get(key) or _snake(key)


def _from_epoch_ms(value: object) -> datetime | None:
    if isinstance(value, str):
        return _parse_iso(value)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    seconds = value / 1000
    # Beyond 1970..2200 the number is not a plausible start (and could overflow datetime).
    if not 0 <= seconds < 7_258_118_400:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


# --- bounded reading ---


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    problem = zip_member_problem(info)
    if problem:
        raise _Unreadable(problem)
    return archive.open(info)


class _Capped(io.RawIOBase):
    """A member read in chunks, failing once the export's metadata budget is spent."""

    def __init__(self, member: IO[bytes], budget: _Budget) -> None:
        self._member, self._budget = member, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._member.read(min(len(buffer), 64 * 1024))
        self._budget.left -= len(data)
        if self._budget.left < 0:
            raise _Unreadable(
                f"expected at most {self._budget.limit} bytes of metadata files, got more"
            )
        memoryview(buffer)[: len(data)] = data
        return len(data)
