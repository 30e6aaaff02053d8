"""Every activity of the corpus gives the start, elapsed and moving time, distance and point
count that its device or a peer reader gives.

Beside each of the product's figures stand the file's own summary (the FIT session; a TCX
file's laps: first StartTime, span to the last lap's end, timer time, distance, and its
Trackpoint elements) and a peer's reading of the records (fitdecode for FIT, gpxpy for GPX,
tcxreader for TCX). A figure agrees when it is within the tolerance of either: start within
1 s, elapsed time and distance within 1% (and 1 s / 1 m of rounding), point count within 2%
of the records or of the records at distinct times (records sharing a timestamp are one
moment, and one point). A disagreement fails the test unless the file and figure are in
EXCEPTIONS, which says why the product is right there.

Moving time is shown beside the device's timer time and gpxpy's moving time but only checked
for the sports whose moving time is the timer time (swims): elsewhere each reader applies
its own rule (speed thresholds, auto-pause), and the device's timer time is not moving time.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from bikenode.rides.formats import NotAnActivity, parse_activity
from bikenode.rides.logic.analytics import RideSummary, summarise
from bikenode.rides.logic.cleaning import clean_activity

CORPUS = (Path(__file__).parents[3] / ".." / "shared" / "corpus").resolve()
NOW_S = time.time()
FIGURES = ("start", "elapsed", "moving", "distance", "points")
CHECKED = ("start", "elapsed", "distance", "points")
SUFFIXES = (".fit", ".gpx", ".tcx")

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}"),
]

# (file, figure): why the product's figure is the right one although neither the file's
# summary nor the peer gives it.
_DUPLICATED = "duplicated tracks: the file holds the same points twice; the ride keeps one copy"
_TIMER_LAPS = (
    "a TCX lap's TotalTimeSeconds is timer time, pauses left out, and the trackpoints run past "
    "the last lap's end (tcxreader stops early); the ride lasts to its last trackpoint"
)
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("tcx/gc__2009_01_09_11_13_14.tcx", "elapsed"): _TIMER_LAPS + " (79 s later)",
    ("tcx/gc__OWswim.tcx", "elapsed"): _TIMER_LAPS + " (68 s later)",
    ("tcx/gc__OWswim.tcx", "points"): _DUPLICATED + " (2 x 1,435 trackpoints)",
    ("gpx/gpsbabel__garmin_xt_strk.gpx", "points"): _DUPLICATED
    + " (the first track's 164 points repeat the start of the second)",
    ("gpx/gpsbabel__garmin_xt_strk.gpx", "distance"): _DUPLICATED
    + " (gpxpy adds the repeated 2.6 km)",
    ("gpx/gpxpy__korita-zbevnica.gpx", "points"): (
        "a routed plan beside the ride: the untimed track (358 points) is the plan, the two "
        "timed ACTIVE LOG tracks are what was ridden"
    ),
    ("gpx/gpxpy__korita-zbevnica.gpx", "distance"): (
        "a routed plan beside the ride: gpxpy adds the plan's 8.6 km to the 6.3 km ridden"
    ),
    ("gpx/gpxpy__first_and_last_elevation.gpx", "elapsed"): (
        "the last point's time goes back an hour; gpxpy takes the last point as the end, the "
        "ride ends at its latest time"
    ),
    ("gpx/gpxpy__first_and_last_elevation.gpx", "distance"): (
        "a made-up track at 70-90 m/s (a car, not a bicycle): the points no rider reaches are "
        "blanked as GPS spikes"
    ),
    ("gpx/opentracks__legacy_gpx_pause_resume.gpx", "distance"): (
        "two points carry impossible coordinates; gpxpy measures 39,500 km to them and back"
    ),
    ("fit/gpsbabel__garmin-virb-ultra-30.fit", "start"): (
        "an action camera counts times from its power-up; the file's timestamp_correlation "
        "message dates them (2017-07-27), which neither the session nor fitdecode does"
    ),
}


@dataclass(frozen=True)
class Figures:
    """One reading of an activity; None where the reader does not tell."""

    start_s: float | None = None
    elapsed_s: float | None = None
    moving_s: float | None = None
    distance_m: float | None = None
    points: int | None = None
    distinct_points: int | None = None  # records at distinct times (a FIT or TCX peer)
    timer_sport: bool = False  # a swim: moving time is the device's timer time

    def get(self, figure: str) -> float | None:
        return {
            "start": self.start_s,
            "elapsed": self.elapsed_s,
            "moving": self.moving_s,
            "distance": self.distance_m,
            "points": None if self.points is None else float(self.points),
        }[figure]


def activities() -> Iterator[tuple[str, str, bytes]]:
    """(name, file name inside, bytes) of every activity the manifest calls a real one."""
    if not CORPUS.is_dir():
        return
    for entry in json.loads((CORPUS / "manifest.json").read_text()):
        name = entry["file"]
        if entry["expect"] != "ok":
            continue
        data = (CORPUS / name).read_bytes()
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    if member.lower().endswith(SUFFIXES) and "__MACOSX" not in member:
                        yield f"{name}/{member}", member, archive.read(member)
        else:
            yield (
                name,
                name.removesuffix(".gz"),
                gzip.decompress(data) if name.endswith(".gz") else data,
            )


def product(data: bytes, filename: str) -> Figures:
    """What the product shows of one file: parsed, cleaned and summarised as on import."""
    cleaned, _ = clean_activity(parse_activity(data, filename), now_s=NOW_S)
    summary: RideSummary = summarise(cleaned, ftp_w=None, max_hr_bpm=None)
    started = summary.started_at.timestamp() if summary.started_at else None
    return Figures(
        started, summary.elapsed_s, summary.moving_s, summary.distance_m, summary.point_count
    )


def fit_readings(data: bytes) -> tuple[Figures, Figures]:
    """The FIT sessions' totals, and fitdecode's reading of the records (without its data
    processor, for speed: values are scaled, but times are FIT seconds, not datetimes)."""
    import fitdecode

    sessions: list[dict[str, float | None]] = []
    times: list[float] = []
    distances: list[float] = []
    records = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = fitdecode.FitReader(
            io.BytesIO(data),
            processor=None,
            check_crc=fitdecode.CrcCheck.DISABLED,
            error_handling=fitdecode.ErrorHandling.IGNORE,
        )
        try:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    records += 1
                    at, odometer = _number_of(frame, "timestamp"), _number_of(frame, "distance")
                    if at is not None:
                        times.append(_date(at))
                    if odometer is not None:
                        distances.append(odometer)
                elif frame.name == "session":
                    sessions.append({f: _number_of(frame, f) for f in _SESSION_FIELDS})
        except Exception:  # a peer's failure only leaves its reading short
            pass
    swim = any(s["sport"] == _SWIMMING for s in sessions)
    starts = [s["start_time"] for s in sessions if s["start_time"] is not None]
    session = Figures(
        min((_date(s) for s in starts if s >= _FIT_DATES), default=None),  # else: power-up
        _sum([s["total_elapsed_time"] for s in sessions]),
        _sum([s["total_timer_time"] for s in sessions]),
        _sum([s["total_distance"] for s in sessions]),
        timer_sport=swim,
    )
    peer = Figures(
        min(times, default=None),
        max(times) - min(times) if times else None,
        None,
        max(distances, default=None),
        records,
        len(set(times)) + records - len(times),
        timer_sport=swim,
    )
    return session, peer


_SESSION_FIELDS = (
    "start_time",
    "total_elapsed_time",
    "total_timer_time",
    "total_distance",
    "sport",
)
_SWIMMING = 5
_FIT_EPOCH_S = 631_065_600  # 1989-12-31T00:00:00Z
_FIT_DATES = 0x10000000  # smaller FIT times count from the device's power-up


def _date(fit_s: float) -> float:
    return fit_s + _FIT_EPOCH_S


def _number_of(frame: object, field: str) -> float | None:
    value = getattr(frame, "get_value")(field, fallback=None)  # noqa: B009 - untyped peer
    return float(value) if isinstance(value, int | float) else None


def gpx_reading(data: bytes) -> Figures:
    """gpxpy's reading: its time bounds, 2D length, moving time and points."""
    import gpxpy

    gpx = gpxpy.parse(data.decode("utf-8", errors="replace"))
    bounds = gpx.get_time_bounds()
    start = bounds.start_time.timestamp() if bounds.start_time else None
    end = bounds.end_time.timestamp() if bounds.end_time else None
    points = gpx.get_track_points_no() or sum(len(r.points) for r in gpx.routes)
    moving = gpx.get_moving_data()
    length = gpx.length_2d() if gpx.get_track_points_no() else sum(r.length() for r in gpx.routes)
    return Figures(
        start,
        None if start is None or end is None else end - start,
        moving.moving_time if moving and start is not None else None,
        length,
        points,
    )


def tcx_readings(data: bytes) -> tuple[Figures, Figures]:
    """The TCX laps' totals (first StartTime, summed time and distance), and tcxreader's."""
    from tcxreader.tcxreader import TCXReader

    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    laps = root.findall(".//{*}Lap")
    starts = [_iso(lap.get("StartTime")) for lap in laps]
    laps_time = [_number(lap.findtext("{*}TotalTimeSeconds")) for lap in laps]
    laps_distance = [_number(lap.findtext("{*}DistanceMeters")) for lap in laps]
    ends = [s + t for s, t in zip(starts, laps_time, strict=True) if s is not None and t]
    first = min((s for s in starts if s is not None), default=None)
    summary = Figures(
        first,
        max(ends) - first if ends and first is not None else None,
        _sum(laps_time),
        _sum(laps_distance),
        len(root.findall(".//{*}Trackpoint")),
    )
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(folder) / "activity.tcx"  # tcxreader reads only from a path
        path.write_bytes(data)
        read = TCXReader().read(str(path))
    times = [p.time.timestamp() for p in read.trackpoints if p.time is not None]
    odometer = [p.distance for p in read.trackpoints if p.distance is not None]
    peer = Figures(
        min(times, default=None),
        max(times) - min(times) if times else None,
        None,
        max(odometer, default=None),
        len(read.trackpoints),
        len(set(times)) + len(read.trackpoints) - len(times),
    )
    return summary, peer


def _iso(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def agrees(figure: str, ours: float | None, theirs: float | None) -> bool:
    """Whether our figure is within the tolerance of theirs (see the module docstring)."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if figure == "start":
        return abs(ours - theirs) <= 1.0
    share = 0.01 if figure in ("elapsed", "distance") else 0.02
    return abs(ours - theirs) <= max(share * abs(theirs), 1.0)


@dataclass(frozen=True)
class Row:
    """One activity: the product's figures beside the file's summary and the peer's."""

    name: str
    ours: Figures
    summary: Figures
    peer: Figures

    def disagreements(self) -> list[str]:
        checked = CHECKED + (("moving",) if self.summary.timer_sport else ())
        return [
            figure
            for figure in checked
            if not any(agrees(figure, self.ours.get(figure), x) for x in self.references(figure))
        ]

    def references(self, figure: str) -> list[float | None]:
        found = [self.summary.get(figure), self.peer.get(figure)]
        if figure == "points":
            found += [self.summary.distinct_points, self.peer.distinct_points]
            found = [x for x in found if x is not None] or [None]
        return found

    def describe(self, figure: str) -> str:
        return (
            f"{self.name} {figure}: ours {_show(self.ours.get(figure))}, file's summary "
            f"{_show(self.summary.get(figure))}, peer {_show(self.peer.get(figure))}"
        )


def _show(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.1f}"


def read_row(name: str, filename: str, data: bytes) -> Row | None:
    """One activity's row; None for a GPX file of waypoints only, which is no activity."""
    suffix = filename.lower()[-4:]
    try:
        ours = product(data, filename)
    except NotAnActivity:
        if suffix == ".gpx" and gpx_reading(data).points == 0:
            return None
        raise
    if suffix == ".fit":
        summary, peer = fit_readings(data)
    elif suffix == ".gpx":
        summary, peer = Figures(), gpx_reading(data)
    else:
        summary, peer = tcx_readings(data)
    return Row(name, ours, summary, peer)


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    found = [read_row(name, filename, data) for name, filename, data in activities()]
    return [row for row in found if row is not None]


def test_every_activity_agrees_with_its_device_or_a_peer(rows: list[Row]) -> None:
    assert len(rows) >= 190  # 196 real activities, zips opened, 7 GPX of waypoints only
    wrong = [
        row.describe(figure)
        for row in rows
        for figure in row.disagreements()
        if (row.name, figure) not in EXCEPTIONS
    ]
    assert not wrong, f"{len(wrong)} figures disagree:\n" + "\n".join(wrong)


def test_every_exception_is_still_needed(rows: list[Row]) -> None:
    found = {(row.name, figure) for row in rows for figure in row.disagreements()}
    assert not set(EXCEPTIONS) - found, "these exceptions now agree: remove them"
