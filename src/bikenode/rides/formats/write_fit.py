"""Write a ride as a FIT activity file, from scratch.

The file holds, in order: file_id, a timer start event, one record per point, a timer stop
event, the laps, one session and the activity message. Every message type is defined once
and its data messages are built as one numpy structured array, so a ride of any length costs
a handful of numpy operations.
"""

from __future__ import annotations

import struct
from typing import Final

import numpy as np

from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.formats.export import (
    ExportError,
    IntArray,
    LapSpan,
    RideExport,
    RideTotals,
    has_position,
    lap_spans,
    timed_points,
)
from bikenode.rides.formats.fit_crc import crc16
from bikenode.rides.formats.fit_profile import (
    FILE_TYPE_ACTIVITY,
    FIT_EPOCH_S,
    FIT_MIN_ABSOLUTE_TIME,
    SPORTS,
    TIMESTAMP,
    Event,
    FileId,
    Mesg,
    Record,
    Session,
)

# Protocol 1.0 is enough (no developer fields, no 64-bit types) and every reader accepts it.
_PROTOCOL_VERSION: Final = 0x10
_PROFILE_VERSION: Final = 2100  # 21.00 as major * 100 + minor
_DEVELOPMENT: Final = 255  # manufacturer "development"
_ACTIVITY: Final = 34  # global message number of "activity"
_LAST_TIME: Final = 0xFFFFFFFE  # 0xFFFFFFFF is the invalid date_time

# Base types: the byte written in definitions, its numpy type, and its valid raw range; the
# invalid value ("no data") is one past the range, except for signed types (their maximum).
_ENUM: Final = 0x00
_SINT8: Final = 0x01
_UINT8: Final = 0x02
_UINT16: Final = 0x84
_SINT32: Final = 0x85
_UINT32: Final = 0x86
_KINDS: Final = {
    _ENUM: ("u1", 0, 0xFE, 0xFF),
    _SINT8: ("i1", -0x80, 0x7E, 0x7F),
    _UINT8: ("u1", 0, 0xFE, 0xFF),
    _UINT16: ("<u2", 0, 0xFFFE, 0xFFFF),
    _SINT32: ("<i4", -0x80000000, 0x7FFFFFFE, 0x7FFFFFFF),
    _UINT32: ("<u4", 0, 0xFFFFFFFE, 0xFFFFFFFF),
}

# Record fields from streams: (stream, field number, base type, scale, offset).
_RECORD_FIELDS: Final = (
    ("elevation_m", Record.ENHANCED_ALTITUDE, _UINT32, 5.0, 500.0),
    ("distance_m", Record.DISTANCE, _UINT32, 100.0, 0.0),
    ("speed_mps", Record.ENHANCED_SPEED, _UINT32, 1000.0, 0.0),
    ("hr_bpm", Record.HEART_RATE, _UINT8, 1.0, 0.0),
    ("cadence_rpm", Record.CADENCE, _UINT8, 1.0, 0.0),
    ("power_w", Record.POWER, _UINT16, 1.0, 0.0),
    ("temperature_c", Record.TEMPERATURE, _SINT8, 1.0, 0.0),
)
_SPORT_NUMBERS: Final = {name: number for number, name in SPORTS.items()}
_SEMICIRCLES_PER_DEGREE: Final = 2**31 / 180

# Field numbers the profile module does not name.
_TOTAL_TIMER_TIME: Final = 8
_LAP_TOTAL_ASCENT: Final = 21  # uint16, m (then total_descent); a session numbers them 22, 23
_SESSION_TOTAL_ASCENT: Final = 22
_MESSAGE_INDEX: Final = 254
_FIRST_LAP_INDEX: Final = 25
_NUM_LAPS: Final = 26
_LAP_SPORT: Final = 25

# A column of one message type: field number, base type, raw values (one per message).
Column = tuple[int, int, IntArray]


def write_fit(ride: RideExport) -> bytes:
    """Return the ride as a FIT activity file (protocol 1.0, CRCs included).

    Records carry whole seconds (FIT timestamps have no fraction; sub-second times are cut
    down), and a point without a time is left out. Raises ExportError when no point has a
    time or a time falls outside what FIT can hold (mid-1998 to 2126).
    """
    index = timed_points(ride, "FIT")
    spans = lap_spans(ride, index)
    times = ride.streams["time_s"][index]
    start_s = min(spans[0].start_s, float(times.min()))
    end_s = max(float(times.max()), *(span.start_s + span.elapsed_s for span in spans))
    sport = _SPORT_NUMBERS.get(ride.sport or "", 0)
    body = b"".join(
        (
            _file_id(start_s),
            _event(start_s, event_type=0),
            _records(ride, index),
            _event(end_s, event_type=4),  # stop_all
            _laps(spans, sport, ride.totals),
            _session(spans, sport, start_s, end_s, ride.totals),
            _activity(start_s, end_s, ride.totals),
        )
    )
    header = struct.pack("<BBHI4s", 14, _PROTOCOL_VERSION, _PROFILE_VERSION, len(body), b".FIT")
    data = header + struct.pack("<H", crc16(header)) + body
    return data + struct.pack("<H", crc16(data))


# --- message encoding --------------------------------------------------------------------------


def _messages(local: int, global_number: int, columns: list[Column]) -> bytes:
    """Return a definition message and one data message per row of the columns."""
    definition = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_number, len(columns))
    layout = [("header", "u1")] + [(f"f{number}", _KINDS[base][0]) for number, base, _ in columns]
    rows = np.zeros(len(columns[0][2]), dtype=np.dtype(layout))
    rows["header"] = local
    for number, base, values in columns:
        definition += struct.pack("BBB", number, rows.dtype[f"f{number}"].itemsize, base)
        rows[f"f{number}"] = values
    return definition + rows.tobytes()


def _raw(values: FloatArray, base: int, scale: float = 1.0, offset: float = 0.0) -> IntArray:
    """Return FIT raw integers: the invalid value where NaN or outside the type's range."""
    _, low, high, invalid = _KINDS[base]
    scaled = np.round((values + offset) * scale)
    inside = (scaled >= low) & (scaled <= high)  # False for NaN
    return np.where(inside, scaled, invalid).astype(np.int64)


def _one(base: int, value: float | None, scale: float = 1.0) -> IntArray:
    return _raw(np.array([np.nan if value is None else value]), base, scale)


def _fit_times(unix_s: FloatArray) -> IntArray:
    """Return FIT date_time values (whole seconds since 1989-12-31) for Unix seconds."""
    fit_s = np.floor(unix_s) - FIT_EPOCH_S
    outside = ~((fit_s >= FIT_MIN_ABSOLUTE_TIME) & (fit_s <= _LAST_TIME))  # NaN too
    if outside.any():
        first, last = FIT_EPOCH_S + FIT_MIN_ABSOLUTE_TIME, FIT_EPOCH_S + _LAST_TIME
        raise ExportError(
            f"expected times FIT can hold (Unix seconds {first} to {last}),"
            f" got {unix_s[outside][0]!r}"
        )
    return fit_s.astype(np.int64)


def _time_column(unix_s: float | FloatArray, number: int = TIMESTAMP) -> Column:
    return (number, _UINT32, _fit_times(np.atleast_1d(np.asarray(unix_s, dtype=np.float64))))


def _semicircles(degrees: FloatArray, *, longitude: bool) -> IntArray:
    raw = np.round(degrees * _SEMICIRCLES_PER_DEGREE)
    if longitude:
        raw = np.where(raw >= 2**31, raw - 2**32, raw)  # +180 degrees is -180
    # The largest sint32 means "invalid"; a position rounding onto it moves 1 semicircle.
    return _raw(np.minimum(raw, 2**31 - 2), _SINT32)


# --- the messages ------------------------------------------------------------------------------


def _file_id(start_s: float) -> bytes:
    return _messages(
        0,
        Mesg.FILE_ID,
        [
            (FileId.TYPE, _ENUM, np.array([FILE_TYPE_ACTIVITY])),
            (FileId.MANUFACTURER, _UINT16, np.array([_DEVELOPMENT])),
            (FileId.PRODUCT, _UINT16, np.array([0])),
            _time_column(start_s, FileId.TIME_CREATED),
        ],
    )


def _event(unix_s: float, *, event_type: int) -> bytes:
    return _messages(
        1,
        Mesg.EVENT,
        [
            _time_column(unix_s),
            (Event.EVENT, _ENUM, np.array([Event.TIMER])),
            (Event.EVENT_TYPE, _ENUM, np.array([event_type])),
        ],
    )


def _records(ride: RideExport, index: IntArray) -> bytes:
    columns = [_time_column(ride.streams["time_s"][index])]
    if has_position(ride).any():
        lat, lon = ride.streams["lat_deg"][index], ride.streams["lon_deg"][index]
        columns.append((Record.POSITION_LAT, _SINT32, _semicircles(lat, longitude=False)))
        columns.append((Record.POSITION_LONG, _SINT32, _semicircles(lon, longitude=True)))
    for stream, number, base, scale, offset in _RECORD_FIELDS:
        values = ride.streams.get(stream)
        if values is not None:
            columns.append((number, base, _raw(values[index], base, scale, offset)))
    return _messages(2, Mesg.RECORD, columns)


def _laps(spans: list[LapSpan], sport: int, totals: RideTotals) -> bytes:
    count = len(spans)
    starts = np.array([span.start_s for span in spans])
    elapsed = np.array([span.elapsed_s for span in spans])
    distance = np.array([np.nan if s.distance_m is None else s.distance_m for s in spans])
    # The ride's moving time, ascent and descent are known for the whole ride only: a lone
    # lap carries them; with several laps each keeps its elapsed time and no climb figures.
    whole = totals if count == 1 else RideTotals()
    timer = elapsed if whole.timer_s is None else np.array([whole.timer_s])
    # A lap numbers start_time, total_elapsed_time and total_distance as a session does.
    return _messages(
        3,
        Mesg.LAP,
        [
            (_MESSAGE_INDEX, _UINT16, np.arange(count)),
            _time_column(starts + elapsed),
            _time_column(starts, Session.START_TIME),
            (Session.TOTAL_ELAPSED_TIME, _UINT32, _raw(elapsed, _UINT32, 1000.0)),
            (_TOTAL_TIMER_TIME, _UINT32, _raw(timer, _UINT32, 1000.0)),
            (Session.TOTAL_DISTANCE, _UINT32, _raw(distance, _UINT32, 100.0)),
            *_climb(_LAP_TOTAL_ASCENT, whole, count),
            (Event.EVENT, _ENUM, np.full(count, 9)),  # lap
            (Event.EVENT_TYPE, _ENUM, np.full(count, 1)),  # stop
            (_LAP_SPORT, _ENUM, np.full(count, sport)),
        ],
    )


def _session(
    spans: list[LapSpan], sport: int, start_s: float, end_s: float, totals: RideTotals
) -> bytes:
    known = [span.distance_m for span in spans if span.distance_m is not None]
    distance = sum(known) if known else totals.distance_m
    timer_s = end_s - start_s if totals.timer_s is None else totals.timer_s
    return _messages(
        4,
        Mesg.SESSION,
        [
            (_MESSAGE_INDEX, _UINT16, np.array([0])),
            _time_column(end_s),
            _time_column(start_s, Session.START_TIME),
            (Session.TOTAL_ELAPSED_TIME, _UINT32, _one(_UINT32, end_s - start_s, 1000.0)),
            (_TOTAL_TIMER_TIME, _UINT32, _one(_UINT32, timer_s, 1000.0)),
            (Session.TOTAL_DISTANCE, _UINT32, _one(_UINT32, distance, 100.0)),
            *_climb(_SESSION_TOTAL_ASCENT, totals, 1),
            (Session.SPORT, _ENUM, np.array([sport])),
            (Session.SUB_SPORT, _ENUM, np.array([0])),  # generic
            (Event.EVENT, _ENUM, np.array([8])),  # session
            (Event.EVENT_TYPE, _ENUM, np.array([1])),  # stop
            (_FIRST_LAP_INDEX, _UINT16, np.array([0])),
            (_NUM_LAPS, _UINT16, np.array([len(spans)])),
        ],
    )


def _climb(ascent_field: int, totals: RideTotals, count: int) -> list[Column]:
    """total_ascent and total_descent (whole metres; the next field number is descent)."""
    values = (totals.ascent_m, totals.descent_m)
    return [
        (ascent_field + offset, _UINT16, np.full(count, _one(_UINT16, value)[0]))
        for offset, value in enumerate(values)
    ]


def _activity(start_s: float, end_s: float, totals: RideTotals) -> bytes:
    timer_s = end_s - start_s if totals.timer_s is None else totals.timer_s
    return _messages(
        5,
        _ACTIVITY,
        [
            _time_column(end_s),
            (0, _UINT32, _one(_UINT32, timer_s, 1000.0)),  # total_timer_time
            (1, _UINT16, np.array([1])),  # num_sessions
            (2, _ENUM, np.array([0])),  # type: manual
            (3, _ENUM, np.array([26])),  # event: activity
            (4, _ENUM, np.array([1])),  # event_type: stop
        ],
    )
