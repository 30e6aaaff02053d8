"""Export a stored ride as GPX 1.1, TCX or FIT: one entry point, one writer per format.

The writers share what is here: the checked streams and metadata (``RideExport``), the split
into laps, and the text columns of the two XML formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import STREAM_KEYS, FloatArray, Lap

__all__ = [
    "EXPORT_EXTENSIONS",
    "EXPORT_MEDIA_TYPES",
    "ExportError",
    "ExportFormat",
    "RideTotals",
    "export_activity",
]

ExportFormat = Literal["gpx", "tcx", "fit"]
IntArray = npt.NDArray[np.int64]

EXPORT_MEDIA_TYPES: Final[dict[ExportFormat, str]] = {
    "gpx": "application/gpx+xml",
    "tcx": "application/vnd.garmin.tcx+xml",
    "fit": "application/vnd.ant.fit",
}
EXPORT_EXTENSIONS: Final[dict[ExportFormat, str]] = {"gpx": ".gpx", "tcx": ".tcx", "fit": ".fit"}

_ABSURD: Final = 1e15  # in any stream's unit; times are range-checked instead
# xsd:dateTime has four-digit years: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_FIRST_TIME_S: Final = -62135596800.0
_LAST_TIME_S: Final = 253402300799.0


class ExportError(ValueError):
    """The ride cannot be written in the asked format; the message says why."""


@dataclass(frozen=True)
class RideTotals:
    """The ride's figures as its page shows them, for the formats' summary fields.

    ``timer_s`` is the moving time (the FIT timer), ``ascent_m`` and ``descent_m`` the
    elevation gain and loss, ``distance_m`` the distance for a ride whose streams measure
    none (a device's total, such as an indoor ride's 0 m); None where the ride has no such
    figure.
    """

    timer_s: float | None = None
    ascent_m: float | None = None
    descent_m: float | None = None
    distance_m: float | None = None


@dataclass(frozen=True)
class RideExport:
    """A ride ready to write: checked streams plus what the formats can carry besides points.

    Streams all have one length, NaN marks a missing value, and a point has a position only
    when both coordinates are present and on the globe.
    """

    streams: dict[str, FloatArray]
    name: str | None = None
    description: str | None = None
    sport: str | None = None  # lower-case, as ParsedActivity.sport
    started_at: datetime | None = None  # timezone-aware UTC
    laps: tuple[Lap, ...] = ()
    totals: RideTotals = RideTotals()

    @property
    def point_count(self) -> int:
        """Number of points (samples) in the streams."""
        return next((int(a.shape[0]) for a in self.streams.values()), 0)


def export_activity(
    streams: dict[str, FloatArray],
    *,
    fmt: ExportFormat,
    name: str | None = None,
    description: str | None = None,
    sport: str | None = None,
    started_at: datetime | None = None,
    laps: tuple[Lap, ...] = (),
    totals: RideTotals | None = None,
) -> bytes:
    """Return the ride as the bytes of a GPX 1.1, TCX or FIT activity file.

    Distances come from the ``distance_m`` stream (cumulative metres); ``totals`` fill the
    summary fields a format has beside it (FIT's timer time, ascent and descent).

    Raises ExportError when the streams are malformed or the format cannot hold the ride
    (GPX needs positions; TCX and FIT need times).
    """
    ride = RideExport(
        streams=_checked_streams(streams),
        name=name,
        description=description,
        sport=sport,
        started_at=_utc(started_at),
        laps=_checked_laps(laps),
        totals=_checked_totals(totals or RideTotals()),
    )
    # Imported here: the writers import this module for RideExport and the shared helpers.
    if fmt == "gpx":
        from bikenode.rides.formats.write_gpx import write_gpx

        return write_gpx(ride)
    if fmt == "tcx":
        from bikenode.rides.formats.write_tcx import write_tcx

        return write_tcx(ride)
    if fmt == "fit":
        from bikenode.rides.formats.write_fit import write_fit

        return write_fit(ride)
    raise ExportError(f"expected an export format of gpx, tcx or fit, got {fmt!r}")


# --- checking the input ------------------------------------------------------------------------


def _checked_streams(streams: dict[str, FloatArray]) -> dict[str, FloatArray]:
    unknown = sorted(set(streams) - set(STREAM_KEYS))
    if unknown:
        raise ExportError(f"expected streams named in {list(STREAM_KEYS)}, got {unknown}")
    arrays = {
        key: np.asarray(streams[key], dtype=np.float64) for key in STREAM_KEYS if key in streams
    }
    shapes = {key: a.shape for key, a in arrays.items()}
    if len(set(shapes.values())) > 1 or any(len(shape) != 1 for shape in shapes.values()):
        found = ", ".join(f"{key} {shape}" for key, shape in shapes.items())
        raise ExportError(f"expected one-dimensional streams of one length, got {found}")
    # Copies: the caller's arrays stay untouched. Infinities and absurd magnitudes (which no
    # format can write exactly, and whose arithmetic overflows) become missing values.
    checked = {key: np.where(np.abs(a) < _ABSURD, a, np.nan) for key, a in arrays.items()}
    if "time_s" in arrays:
        checked["time_s"] = np.where(np.isfinite(arrays["time_s"]), arrays["time_s"], np.nan)
        _check_times(checked["time_s"])
    _pair_positions(checked)
    return checked


def _check_times(times: FloatArray | None) -> None:
    if times is None:
        return
    outside = (times < _FIRST_TIME_S) | (times > _LAST_TIME_S)
    if outside.any():
        raise ExportError(
            "expected times between years 0001 and 9999 (Unix seconds"
            f" {_FIRST_TIME_S:.0f} to {_LAST_TIME_S:.0f}), got {times[outside][0]!r}"
        )


def _pair_positions(streams: dict[str, FloatArray]) -> None:
    """Keep a coordinate only where its partner is there too and both are on the globe."""
    lat, lon = streams.pop("lat_deg", None), streams.pop("lon_deg", None)
    if lat is None or lon is None:
        return
    valid = (np.abs(lat) <= 90) & (np.abs(lon) <= 180)  # False for NaN
    streams["lat_deg"] = np.where(valid, lat, np.nan)
    streams["lon_deg"] = np.where(valid, lon, np.nan)


def _checked_laps(laps: tuple[Lap, ...]) -> tuple[Lap, ...]:
    for lap in laps:
        if not (np.isfinite(lap.start_s) and np.isfinite(lap.end_s)):
            raise ExportError(f"expected laps with a start and end time, got {lap!r}")
    return tuple(sorted(laps, key=lambda lap: lap.start_s))


def _checked_totals(totals: RideTotals) -> RideTotals:
    """The totals with anything negative or not finite left out (no format can hold it)."""

    def usable(value: float | None) -> float | None:
        return value if value is not None and 0 <= value < _ABSURD else None

    return RideTotals(
        usable(totals.timer_s),
        usable(totals.ascent_m),
        usable(totals.descent_m),
        usable(totals.distance_m),
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise ExportError(f"expected a timezone-aware started_at, got the naive {moment!r}")
    return moment.astimezone(UTC)


# --- what the writers share --------------------------------------------------------------------


def has_position(ride: RideExport) -> npt.NDArray[np.bool_]:
    """Return which points have a position."""
    lat = ride.streams.get("lat_deg")
    if lat is None:
        return np.zeros(ride.point_count, dtype=bool)
    return ~np.isnan(lat)


def timed_points(ride: RideExport, fmt: str) -> IntArray:
    """Return the indices of the points that have a time; raise ExportError if none has."""
    times = ride.streams.get("time_s")
    index = np.flatnonzero(~np.isnan(times)) if times is not None else np.zeros(0, np.int64)
    if index.size == 0:
        raise ExportError(
            f"expected a time on the points of a {fmt} export, got {ride.point_count} points"
            " and none with a time"
        )
    return index.astype(np.int64)


@dataclass(frozen=True)
class LapSpan:
    """One lap over the timed points: [start, stop) indices, start time, length, distance."""

    start: int
    stop: int
    start_s: float
    elapsed_s: float
    distance_m: float | None


def lap_spans(ride: RideExport, index: IntArray) -> list[LapSpan]:
    """Split the timed points (``index``) into the ride's laps, or one lap for all of them."""
    times = ride.streams["time_s"][index]
    distance = ride.streams.get("distance_m")
    reach = np.fmax.accumulate(distance[index]) if distance is not None else None
    if not ride.laps:
        first = ride.started_at.timestamp() if ride.started_at else float(times.min())
        start_s = min(first, float(times.min()))
        elapsed_s = float(times.max()) - start_s
        covered = _covered(reach, 0, index.size)
        distance_m = covered if covered is not None else ride.totals.distance_m
        return [LapSpan(0, index.size, start_s, elapsed_s, distance_m)]
    starts = [lap.start_s for lap in ride.laps[1:]]
    # Points before the first lap belong to it, points after the last lap's end to the last.
    bounds = [0, *np.maximum.accumulate(np.searchsorted(times, starts)).tolist(), index.size]
    return [
        LapSpan(
            start,
            stop,
            lap.start_s,
            max(lap.end_s - lap.start_s, 0.0),
            lap.distance_m if lap.distance_m is not None else _covered(reach, start, stop),
        )
        for lap, start, stop in zip(ride.laps, bounds[:-1], bounds[1:], strict=True)
    ]


def total_distance_m(ride: RideExport) -> float | None:
    """Distance covered over the whole ride, from the distance stream, else the ride's total
    (None without either)."""
    distance = ride.streams.get("distance_m")
    if distance is None or not np.isfinite(distance).any():
        return ride.totals.distance_m
    return _covered(np.fmax.accumulate(distance), 0, distance.size)


def _covered(reach: FloatArray | None, start: int, stop: int) -> float | None:
    """Distance the odometer advanced over [start, stop), from its running maximum."""
    if reach is None or stop <= start or np.isnan(reach[stop - 1]):
        return None
    before = reach[start - 1] if start > 0 and not np.isnan(reach[start - 1]) else 0.0
    return float(reach[stop - 1] - before)


# --- text columns for the XML writers ------------------------------------------------------------
#
# A document's points are built column by column as numpy byte-string arrays (one entry per
# point, b"" where the point lacks the value) and joined row-wise at the end. Numbers become
# text through lookup tables of digit groups: float formatting point by point in Python costs
# several times more and would take a 20,000-point ride past 100 ms.

Texts = npt.NDArray[np.bytes_]
BoolArray = npt.NDArray[np.bool_]

# Integers from 2**53 up are no longer exact in float64; such values are left out, not garbled.
_LARGEST: Final = 2.0**53
# Characters XML 1.0 does not allow at all; a name holding one would make the file unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Return text escaped for XML element content, without characters XML cannot carry."""
    text = _NOT_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@cache
def _padded(width: int, prefix: bytes = b"") -> Texts:
    """Zero-padded digit groups after a prefix: _padded(2, b".")[7] == b".07"."""
    return np.array([prefix + f"{i:0{width}d}".encode() for i in range(10**width)])


@cache
def _plain_table() -> Texts:
    return np.array([str(i).encode() for i in range(10_000)])


@cache
def _clock() -> Texts:
    """b"hh:mm:ss" for every second of a day."""
    hours, rest = np.divmod(np.arange(86_400), 3600)
    minutes, seconds = np.divmod(rest, 60)
    two = _padded(2)
    return _add(two[hours], b":", two[minutes], b":", two[seconds])


def _add(*parts: Texts | bytes) -> Texts:
    result = np.char.add(parts[0], parts[1])
    for part in parts[2:]:
        result = np.char.add(result, part)
    return result


def _blank_where(keep: BoolArray, texts: Texts) -> Texts:
    """Return texts, with b"" where ``keep`` is false (skipping the copy when all are kept)."""
    return texts if keep.all() else np.where(keep, texts, b"")


def _plain(numbers: IntArray) -> Texts:
    """Non-negative integers without leading zeros."""
    high, low = np.divmod(numbers, 10_000)
    if not high.any():
        return _plain_table()[low]
    return np.where(high > 0, _add(_plain(high), _padded(4)[low]), _plain_table()[low])


def _fraction(numbers: IntArray, width: int) -> Texts:
    """A decimal point and ``width`` digits: _fraction(7, 2) == b".07"."""
    if width <= 4:
        return _padded(width, b".")[numbers]
    high, low = np.divmod(numbers, 10**4)
    return np.char.add(_fraction(high, width - 4), _padded(4)[low])


def fixed_texts(values: FloatArray, decimals: int) -> Texts:
    """Return values with a fixed number of decimals, never in exponent form (b"" for NaN)."""
    scaled = np.round(np.abs(values) * 10**decimals)
    exact = scaled < _LARGEST  # False for NaN
    numbers = np.where(exact, scaled, 0).astype(np.int64)
    if decimals:
        whole, fraction = np.divmod(numbers, 10**decimals)
        texts = np.char.add(_plain(whole), _fraction(fraction, decimals))
    else:
        texts = _plain(numbers)
    negative = (values < 0) & (numbers > 0)  # no "-0.0" for values that round to zero
    if negative.any():
        texts = np.char.add(np.where(negative, b"-", b""), texts)
    return _blank_where(exact, texts)


def whole_texts(values: FloatArray, low: int, high: int) -> Texts:
    """Return values rounded to integers, b"" where NaN or outside [low, high]."""
    rounded = np.round(values)
    inside = (rounded >= low) & (rounded <= high)
    return fixed_texts(np.where(inside, rounded, np.nan), 0)


def speed_texts(speed_mps: FloatArray) -> Texts:
    """Return speeds with 3 decimals (mm/s, FIT's resolution), b"" where NaN or negative."""
    return fixed_texts(np.where(speed_mps >= 0, speed_mps, np.nan), 3)


def degree_texts(degrees: FloatArray, *, longitude: bool = False) -> Texts:
    """Return coordinates with 7 decimals (1e-7 degree); longitude 180 is written as -180."""
    rounded = np.round(degrees, 7)
    if longitude:
        # GPX and TCX want longitudes in [-180, 180), and rounding can reach 180.
        rounded = np.where(rounded >= 180.0, rounded - 360.0, rounded)
    return fixed_texts(rounded, 7)


def time_texts(times: FloatArray) -> Texts:
    """Return ISO 8601 UTC times ending in Z (b"" for NaN), with milliseconds if any has some."""
    known = ~np.isnan(times)
    millis = np.round(np.where(known, times, 0.0) * 1000).astype(np.int64)
    seconds, fraction = np.divmod(millis, 1000)
    days, of_day = np.divmod(seconds, 86_400)
    # A ride spans few days: format each day once.
    unique_days, inverse = np.unique(days, return_inverse=True)
    dates = np.char.encode(np.datetime_as_string(unique_days.astype("datetime64[D]")))
    texts = _add(dates[inverse], b"T", _clock()[of_day])
    if fraction[known].any():
        texts = np.char.add(texts, _padded(3, b".")[fraction])
    return _blank_where(known, np.char.add(texts, b"Z"))


def time_text(seconds: float) -> str:
    """Return one time as ISO 8601 UTC ending in Z ("" for NaN)."""
    return bytes(time_texts(np.array([seconds]))[0]).decode()


def present(texts: Texts) -> BoolArray:
    """Return which points have a text."""
    # Byte strings are NUL-padded, so a text is empty exactly when its first byte is NUL.
    first_bytes: npt.NDArray[np.uint8] = texts.view(np.uint8)[:: texts.dtype.itemsize]
    return np.not_equal(first_bytes, 0)


def optional(literal: bytes, where: BoolArray) -> Texts:
    """Return a column holding the literal where ``where`` is true and b"" elsewhere."""
    return np.where(where, literal, b"")


def element(texts: Texts, path: str) -> Texts:
    """Return <a><b>text</b></a> (path "a/b") for the points with a text, else b""."""
    tags = path.split("/")
    opening = "".join(f"<{tag}>" for tag in tags).encode()
    closing = "".join(f"</{tag}>" for tag in reversed(tags)).encode()
    return _blank_where(present(texts), _add(opening, texts, closing))


def stream_element(
    streams: dict[str, FloatArray], key: str, texts: Callable[[FloatArray], Texts], path: str
) -> list[Texts]:
    """Return the stream's element column, or no column when the ride lacks the stream."""
    values = streams.get(key)
    return [] if values is None else [element(texts(values), path)]


def any_present(columns: list[Texts], count: int) -> BoolArray:
    """Return which points have a text in any of the columns."""
    found = np.zeros(count, dtype=bool)
    for column in columns:
        found |= present(column)
    return found


def assemble(columns: list[Texts]) -> list[bytes]:
    """Return the points' texts: the columns concatenated point by point."""
    # Pairwise rounds copy each byte about log2(len(columns)) times; a running sum would copy
    # the growing rows once per column.
    while len(columns) > 1:
        pairs = zip(columns[0::2], columns[1::2], strict=False)
        merged = [np.char.add(a, b) for a, b in pairs]
        columns = merged + columns[len(merged) * 2 :]
    rows: list[bytes] = columns[0].tolist()
    return rows
