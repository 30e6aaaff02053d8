"""Every ride of the corpus, exported as FIT, TCX and GPX for its owner and for another viewer
behind a privacy zone, carries the distance and start that viewer's ride page shows, read
back by the peer readers (fitdecode, lxml, gpxpy).

The export route's pipeline without the database: each upload opened as the upload task opens
it, parsed, cleaned and summarised as on import, its streams through storage and back, then
cut for others as rides/privacy.py cuts them (a 200 m zone at the ride's first position,
health streams withheld, figures measured afresh on the cut track), and written by the
function the export route calls. The HTTP end of the same path is checked on a few files in
tests/api/rides/test_export_distance.py.

What each format cannot hold is refused, not faked (README, "Exports"): GPX needs positions,
TCX and FIT need times. A ride without positions cannot have a zone: others see it as its
owner does, minus heart rate and power. A ride with no date (times counted from a device's
power-up, or none) has no start to compare: its export must carry no invented one.
"""

from __future__ import annotations

import io
import json
import random
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import fitdecode
import gpxpy
import numpy as np
import pytest
from lxml import etree

from bikenode.encryption import current_key_ring
from bikenode.rides.formats import NotAnActivity, ParsedActivity, ParseError, parse_activity
from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.containers import EntryStatus, iter_activity_files
from bikenode.rides.formats.export import ExportError, ExportFormat
from bikenode.rides.imports import nothing_to_import
from bikenode.rides.logic.analytics import summarise
from bikenode.rides.logic.cleaning import ImplausibleActivity, clean_activity
from bikenode.rides.logic.exports import export_as_shown
from bikenode.rides.logic.privacy import (
    HiddenCircle,
    draw_zone_secret,
    hidden_circle,
    summarise_trimmed,
    touches_box,
    trim_streams,
)
from bikenode.rides.logic.sharing import streams_for_others, summary_for_others
from bikenode.rides.logic.sports import ride_sport
from bikenode.rides.storage import pack_streams, unpack_streams
from tests.corpus import CORPUS, MISSING

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=MISSING),
]

FORMATS: tuple[ExportFormat, ...] = ("fit", "tcx", "gpx")
ZONE_RADIUS_M = 200.0
NOW_S = datetime(2030, 1, 1, tzinfo=UTC).timestamp()  # the cleaning's "future" cut-off
# Files from which the peers' read-back takes seconds (FIT holds about 40 bytes a point,
# GPX and TCX about 150 to 300).
LARGE_FIT_BYTES, LARGE_XML_BYTES = 300_000, 1_000_000
TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
STATS = "{http://www.garmin.com/xmlschemas/TrackStatsExtension/v1}"


def _manifest_rides() -> list[Any]:
    """The manifest's files that hold activities: real ones and tolerable defects; the large
    ones are slow (the peers read 100,000-point exports for over 10 s)."""
    if not CORPUS.is_dir():
        return []
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    names = [e["file"] for e in manifest if e["expect"] in ("ok", "tolerant")]
    return [
        pytest.param(name, marks=pytest.mark.slow)
        if (CORPUS / name).stat().st_size
        > (LARGE_FIT_BYTES if name.lower().startswith("fit/") else LARGE_XML_BYTES)
        else name
        for name in names
    ]


FILES = _manifest_rides()


@dataclass(frozen=True)
class Seen:
    """A ride as one viewer sees it: the streams and the figures its page shows."""

    streams: dict[str, FloatArray]
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elevation_gain_m: float | None
    summary: dict[str, Any]

    def export(self, fmt: ExportFormat) -> bytes:
        return export_as_shown(
            self.streams,
            fmt=fmt,
            started_at=self.started_at,
            distance_m=self.distance_m,
            moving_time_s=self.moving_time_s,
            elevation_gain_m=self.elevation_gain_m,
            summary=self.summary,
            name="corpus ride",
            sport="cycling",
        )

    @property
    def positioned(self) -> bool:
        lat = self.streams.get("lat_deg")
        return lat is not None and bool(np.isfinite(lat).any())

    @property
    def timed(self) -> bool:
        times = self.streams.get("time_s")
        return times is not None and bool(np.isfinite(times).any())


@dataclass(frozen=True)
class Ride:
    """One imported ride: the cleaned activity, its stored streams and its owner's figures."""

    path: str
    activity: ParsedActivity
    stored: dict[str, FloatArray]
    summary: dict[str, Any]


@cache
def rides_in(name: str) -> tuple[tuple[Ride, ...], tuple[str, ...]]:
    """The rides an upload of the file imports, and why any of its files imports none."""
    rides: list[Ride] = []
    refused: list[str] = []
    for entry in iter_activity_files(CORPUS / name, name):
        if entry.status in (EntryStatus.SKIPPED, EntryStatus.FAILED) or entry.data is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cleaned, notes = clean_activity(parse_activity(entry.data, entry.name), now_s=NOW_S)
        except (NotAnActivity, ParseError, ImplausibleActivity) as error:
            refused.append(f"{entry.path}: {error}")
            continue
        empty = nothing_to_import(cleaned, notes)
        if empty:
            refused.append(f"{entry.path}: {empty}")
            continue
        summary = summarise(cleaned, ftp_w=None, max_hr_bpm=None).to_dict()
        ride_id = uuid.uuid4()
        packed = pack_streams(ride_id, cleaned.streams, current_key_ring())
        stored = unpack_streams(ride_id, packed.data, packed.health_data, current_key_ring())
        rides.append(Ride(entry.path, cleaned, stored, summary))
    return tuple(rides), tuple(refused)


def as_owner(ride: Ride) -> Seen:
    """The ride as its owner sees it: the stored streams and the figures stored on import."""
    return Seen(
        ride.stored,
        ride.activity.started_at,
        _number(ride.summary.get("distance_m")),
        _number(ride.summary.get("moving_s")),
        _number(ride.summary.get("elevation_gain_m")),
        ride.summary,
    )


def as_other(ride: Ride, circles: list[HiddenCircle]) -> Seen:
    """The ride as someone else sees it (health not shared): streams_seen_by and
    figures_seen_by of rides/privacy.py, with the owner's zones ``circles``."""
    touching = [c for c in circles if _touches(ride, c)]
    trimmed = trim_streams(ride.stored, touching) if touching else ride.stored
    streams = streams_for_others(trimmed, health=False)
    if not touching:
        owner = as_owner(ride)
        return Seen(
            streams,
            owner.started_at,
            owner.distance_m,
            owner.moving_time_s,
            owner.elevation_gain_m,
            summary_for_others(owner.summary, health=False),
        )
    cut = summarise_trimmed(
        trimmed,
        source_format=ride.activity.format,
        sport=ride_sport(ride.activity.sport, ride.activity.sub_sport),
        ftp_w=None,
        max_hr_bpm=None,
    )
    return Seen(
        streams,
        cut.started_at.astimezone(UTC) if cut.started_at else None,
        cut.distance_m,
        cut.moving_s,
        cut.elevation_gain_m,
        summary_for_others(cut.to_dict(), health=False),
    )


def _touches(ride: Ride, circle: HiddenCircle) -> bool:
    """Whether a zone reaches the ride, as privacy._circles_touching decides it."""
    box = ride.summary.get("bounding_box")
    if "lat_deg" not in ride.activity.streams or not isinstance(box, dict):
        return False
    corners = ("min_lat_deg", "min_lon_deg", "max_lat_deg", "max_lon_deg")
    return touches_box(circle, *(float(box[k]) for k in corners))


def zone_at_start(ride: Ride) -> list[HiddenCircle]:
    """The cut circle of a 200 m zone around the ride's first position (none without one)."""
    lat, lon = ride.stored.get("lat_deg"), ride.stored.get("lon_deg")
    if lat is None or lon is None:
        return []
    fixes = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if fixes.size == 0:
        return []
    first = int(fixes[0])
    secret = draw_zone_secret(ZONE_RADIUS_M, random.Random(ride.path))
    return [hidden_circle(float(lat[first]), float(lon[first]), ZONE_RADIUS_M, secret)]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# --- the peers' reading of an export -----------------------------------------------------------


@dataclass(frozen=True)
class ReadBack:
    """What a peer reads of an export: its distance and its start (None where it has none)."""

    distance_m: float | None
    started_at: datetime | None


def read_fit(data: bytes) -> ReadBack:
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "session":
                session = {field.name: field.value for field in frame.fields}
                distance = session.get("total_distance")
                return ReadBack(
                    None if distance is None else float(distance), session.get("start_time")
                )
    raise AssertionError("no session message in the FIT export")


def read_tcx(data: bytes) -> ReadBack:
    root = etree.fromstring(data)
    laps = root.findall(f".//{TCX}Lap")
    distances = [lap.findtext(f"{TCX}DistanceMeters") for lap in laps]
    known = [float(d) for d in distances if d]
    start = laps[0].get("StartTime") if laps else None
    return ReadBack(sum(known) if known else None, datetime.fromisoformat(start) if start else None)


def read_gpx(data: bytes) -> ReadBack:
    gpx = gpxpy.parse(data.decode())
    stats = [e for t in gpx.tracks for e in t.extensions if e.tag == f"{STATS}TrackStatsExtension"]
    text = stats[0].findtext(f"{STATS}Distance") if stats else None
    times = [p.time for t in gpx.tracks for s in t.segments for p in s.points if p.time]
    assert gpx.time is not None or not times, "a GPX export with timed points and no start"
    return ReadBack(float(text) if text else None, gpx.time)


READ_BACK = {"fit": read_fit, "tcx": read_tcx, "gpx": read_gpx}


def check_export(seen: Seen, fmt: ExportFormat) -> str:
    """Export the ride as the viewer sees it and read it back; "" when the format holds it
    and the peer reads the viewer's distance and start, else what went wrong."""
    try:
        data = seen.export(fmt)
    except ExportError as error:
        holds = seen.positioned if fmt == "gpx" else seen.timed and seen.started_at is not None
        return f"refused although the format holds it: {error}" if holds else ""
    read = READ_BACK[fmt](data)
    problems = []
    if seen.distance_m is None:
        if read.distance_m:
            problems.append(f"distance {read.distance_m:.1f} m where the page shows none")
    elif read.distance_m is None or read.distance_m != pytest.approx(seen.distance_m, rel=0.01):
        problems.append(f"distance {read.distance_m} m, the page shows {seen.distance_m:.1f}")
    if seen.started_at is None:
        if read.started_at is not None:
            problems.append(f"start {read.started_at} where the page shows no date")
    elif read.started_at is None or abs((read.started_at - seen.started_at).total_seconds()) > 1:
        problems.append(f"start {read.started_at}, the page shows {seen.started_at}")
    return "; ".join(problems)


# The checks: per corpus file, for both viewers and all three formats. --------------------------


def test_the_corpus_holds_rides() -> None:
    names = [name if isinstance(name, str) else name.values[0] for name in FILES]
    rides = [ride for name in names for ride in rides_in(name)[0]]
    assert len(rides) >= 190, f"expected at least 190 rides in the corpus, got {len(rides)}"


@pytest.mark.parametrize("name", FILES)
def test_exports_carry_the_distance_and_start_each_viewer_sees(name: str) -> None:
    rides, _refused = rides_in(name)
    problems = []
    for ride in rides:
        circles = zone_at_start(ride)
        viewers = {"owner": as_owner(ride), "other": as_other(ride, circles)}
        # Others never get a date the owner lacks. (They may lack one the owner has: a file
        # whose points carry no time is dated only by its metadata, which the cut drops.)
        if viewers["owner"].started_at is None:
            assert viewers["other"].started_at is None, ride.path
        if circles:  # the zone covers the first position: others never see that point
            assert _points(viewers["other"]) < _points(viewers["owner"]), ride.path
        for viewer, seen in viewers.items():
            for fmt in FORMATS:
                problem = check_export(seen, fmt)
                if problem:
                    problems.append(f"{ride.path} {viewer} {fmt}: {problem}")
    assert not problems, "\n".join(problems)


def _points(seen: Seen) -> int:
    return next((int(a.shape[0]) for a in seen.streams.values()), 0)
