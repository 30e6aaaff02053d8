"""Per-point text columns to float64 streams: numbers, ISO 8601 times, pauses, coordinates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.xml_spec import Text

__all__ = ["build_streams", "container_pauses", "first_time", "float_column", "iso_times"]


def float_column(texts: Sequence[Text]) -> tuple[FloatArray, int]:
    """Return the texts as float64 (absent: NaN) and how many were not numbers."""
    try:
        out, bad = np.array(texts, dtype=np.float64), 0  # numpy reads None as NaN
    except ValueError:
        out, bad = _floats_one_by_one([t or b"nan" for t in texts])
    out[~np.isfinite(out)] = np.nan
    return out, bad


def _floats_one_by_one(values: list[bytes]) -> tuple[FloatArray, int]:
    try:
        return np.array(values, dtype=np.float64), 0
    except ValueError:
        pass
    out = np.full(len(values), np.nan)
    bad = 0
    for i, v in enumerate(values):
        try:
            out[i] = float(v)
        except ValueError:
            bad += 1
    return out, bad


def build_streams(
    texts: dict[str, list[Text]], count: int, warnings: list[str]
) -> dict[str, FloatArray]:
    """Return float64 streams: time_s always, other streams where any value is present."""
    times, bad = iso_times(texts.get("time_s", [None] * count))
    streams = {"time_s": times}
    _note(warnings, bad, "time")
    for stream, column in texts.items():
        if stream != "time_s":
            values, bad = float_column(column)
            _note(warnings, bad, stream)
            if np.isfinite(values).any():
                streams[stream] = values
    _blank_bad_coordinates(streams, warnings)
    return streams


def _note(warnings: list[str], bad: int, what: str) -> None:
    if bad:
        warnings.append(f"{bad} {what} values could not be read; they are NaN")


def _blank_bad_coordinates(streams: dict[str, FloatArray], warnings: list[str]) -> None:
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    if lat is None or lon is None:
        if lat is not None or lon is not None:  # half a position is no position
            streams.pop("lat_deg", None)
            streams.pop("lon_deg", None)
            warnings.append("the points have latitudes or longitudes but not both; dropped")
        return
    bad = (np.abs(lat) > 90) | (np.abs(lon) > 180) | (np.isnan(lat) != np.isnan(lon))
    if bad.any():
        lat[bad] = np.nan
        lon[bad] = np.nan
        warnings.append(f"{int(bad.sum())} points had impossible coordinates; they are NaN")


def container_pauses(
    times: FloatArray, sizes: list[int], groups: Sequence[object]
) -> list[tuple[float, float]]:
    """Return (stop, start) times at breaks between non-empty containers of the same group."""
    ends = np.cumsum(sizes)
    pauses: list[tuple[float, float]] = []
    previous: tuple[int, object] | None = None  # end index of the last non-empty container
    for end, size, group in zip(ends, sizes, groups, strict=True):
        if size == 0:
            continue
        if previous is not None and previous[1] == group:
            stop, start = times[previous[0] - 1], times[end - size]
            if stop < start:  # NaN compares false: no pause without both times
                pauses.append((float(stop), float(start)))
        previous = (int(end), group)
    return pauses


# --- ISO 8601 timestamps ---------------------------------------------------------------------

_ISO = re.compile(
    rb"\s*(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?\s*"
)
_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
IntArray = npt.NDArray[np.int64]


def iso_times(texts: Sequence[Text]) -> tuple[FloatArray, int]:
    """Return Unix seconds (UTC; no zone means UTC) for ISO 8601 texts, and how many were bad."""
    clean = [t or b"" for t in texts]
    if len(clean) <= 16:  # numpy's fixed cost per call outweighs a few rows
        out = np.array([_one_time(t) if t else np.nan for t in clean])
        return out, sum(1 for t, v in zip(clean, out, strict=True) if t and np.isnan(v))
    lengths = np.fromiter(map(len, clean), dtype=np.int64, count=len(clean))
    out = np.full(len(clean), np.nan)
    same = bool((lengths == lengths[0]).all())  # the usual case: no sort for np.unique
    widths = [lengths[0]] if same else np.unique(lengths)
    for width in (int(w) for w in widths if 19 <= w <= 40):  # bounded, for numpy
        rows = np.flatnonzero(lengths == width) if not same else np.arange(len(clean))
        joined = b"".join(clean if same else [clean[i] for i in rows])
        out[rows] = _vector_times(np.frombuffer(joined, dtype=np.uint8).reshape(rows.size, width))
    left = np.flatnonzero(np.isnan(out) & (lengths > 0))
    for i in left:
        out[i] = _one_time(clean[i])
    return out, int(np.isnan(out[left]).sum())


def _zone_width(row: npt.NDArray[np.uint8]) -> int:
    if row[-1] == ord("Z"):
        return 1
    for width in (6, 5, 3):
        if len(row) - width >= 19 and row[len(row) - width] in (ord("+"), ord("-")):
            return width
    return 0


def _vector_times(codes: npt.NDArray[np.uint8]) -> FloatArray:
    """Parse rows of one width laid out like the first row; NaN where a row differs."""
    width = codes.shape[1]
    zone = _zone_width(codes[0])
    fraction = width - 19 - zone
    if fraction < 0 or fraction == 1 or fraction > 10:  # not a layout this path knows
        return np.full(len(codes), np.nan)
    digits, marks, expected = _layout(width, zone, fraction)
    d = codes - np.uint8(ord("0"))  # uint8 wraps around: anything but a digit is above 9
    tail = [c for c in digits if c >= 19]  # numpy checks the first 19 columns itself
    ok = (d[:, tail] <= 9).all(axis=1) & (codes[:, marks[5:]] == expected[5:]).all(axis=1)
    if zone > 1:
        ok &= (codes[:, width - zone] == ord("+")) | (codes[:, width - zone] == ord("-"))
    rows = np.flatnonzero(ok)
    if rows.size < len(codes):  # copies only when some rows must go to the slow path
        codes, d = codes[rows], d[rows]
    whole, valid = _whole_seconds(codes, d, marks[:5], expected[:5])
    offset = _offsets(d, codes, zone)
    seconds = (whole - offset).astype(np.float64)
    if fraction:
        seconds += _number(d, 20, 19 + fraction) / 10.0 ** (fraction - 1)
    out = np.full(len(ok), np.nan)
    keep = valid & (np.abs(offset) < 86400)
    out[rows[keep]] = seconds[keep]
    return out


def _whole_seconds(
    codes: npt.NDArray[np.uint8],
    d: npt.NDArray[np.uint8],
    marks: list[int],
    expected: npt.NDArray[np.uint8],
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Unix seconds of each row's "YYYY-MM-DDTHH:MM:SS", and which rows hold a real one."""
    try:  # numpy parses (and checks) them in C, but refuses all for one bad date
        stamps = np.ascontiguousarray(codes[:, :19]).view("S19").ravel().astype("datetime64[s]")
        return stamps.astype(np.int64), np.ones(len(codes), dtype=bool)
    except ValueError:  # a leap second, an impossible date, a stray letter: row by row
        whole, valid = _unix_seconds([_number(d, a, b) for a, b in _FIELDS])
        valid &= (d[:, _DIGITS] <= 9).all(axis=1) & (codes[:, marks] == expected).all(axis=1)
        return whole, valid


_FIELDS = [(0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)]


@lru_cache(maxsize=64)
def _layout(
    width: int, zone: int, fraction: int
) -> tuple[list[int], list[int], npt.NDArray[np.uint8]]:
    """Digit columns, and the other columns with the byte each must hold, for one layout."""
    marks = {4: ord("-"), 7: ord("-"), 10: ord("T"), 13: ord(":"), 16: ord(":")}
    if fraction:
        marks[19] = ord(".")
    if zone == 1:
        marks[width - 1] = ord("Z")
    if zone == 6:
        marks[width - 3] = ord(":")
    digits = _DIGITS + list(range(20, 19 + fraction)) + _zone_digits(width, zone)
    return digits, list(marks), np.array(list(marks.values()), dtype=np.uint8)


def _zone_digits(width: int, zone: int) -> list[int]:
    start = width - zone + 1
    return [] if zone <= 1 else [c for c in range(start, width) if zone != 6 or c != start + 2]


def _number(d: npt.NDArray[np.uint8], start: int, stop: int) -> IntArray:
    """The decimal number in columns start..stop of every row."""
    out = d[:, start].astype(np.int64)
    for column in range(start + 1, stop):
        out = out * 10 + d[:, column]
    return out


def _offsets(d: npt.NDArray[np.uint8], codes: npt.NDArray[np.uint8], zone: int) -> IntArray:
    """Zone offsets in seconds east of UTC (0 for Z or no zone)."""
    if zone <= 1:
        return np.zeros(len(d), dtype=np.int64)
    start = d.shape[1] - zone
    hours = _number(d, start + 1, start + 3)
    minutes = _number(d, d.shape[1] - 2, d.shape[1]) if zone > 3 else hours * 0
    sign = np.where(codes[:, start] == ord("-"), -1, 1)
    return cast(IntArray, sign * (hours * 3600 + np.where(minutes < 60, minutes, 10**6) * 60))


def _unix_seconds(parts: list[IntArray]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Whole Unix seconds from civil date and time fields, and which rows were valid."""
    year, month, day, hour, minute, second = parts
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    valid &= (hour <= 23) & (minute <= 59) & (second <= 60)  # 60: a leap second
    days = _days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + second, valid


def _days_from_civil(year: Any, month: Any, day: Any) -> Any:
    """Days since 1970-01-01 (proleptic Gregorian), for ints or numpy arrays alike."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _one_time(text: bytes) -> float:
    """Parse one timestamp (few rows, odd widths, lower-case z, spaces...) in plain Python."""
    m = _ISO.fullmatch(text)
    if m is None:
        return float("nan")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    offset = _zone_seconds(m.group(8) or b"Z")
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or offset is None or hour > 23 or minute > 59 or second > 60:
        return float("nan")
    if not 1 <= day <= _MONTH_DAYS[month - 1] + (month == 2 and leap):
        return float("nan")
    whole = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return float(whole - offset) + (float(m.group(7)) if m.group(7) else 0.0)


def _zone_seconds(zone: bytes) -> int | None:
    """Seconds east of UTC for "Z", "+01:00", "-0530" or "+02"; None when out of range."""
    if zone in (b"Z", b"z"):
        return 0
    digits = zone[1:].replace(b":", b"")
    hours, minutes = int(digits[:2]), int(digits[2:] or b"0")
    if hours > 23 or minutes > 59:
        return None
    return (1 if zone[:1] == b"+" else -1) * (hours * 3600 + minutes * 60)


def first_time(times: FloatArray) -> datetime | None:
    """The first valid time of a stream as an aware UTC datetime."""
    finite = times[np.isfinite(times)]
    return datetime.fromtimestamp(float(finite[0]), tz=UTC) if finite.size else None
