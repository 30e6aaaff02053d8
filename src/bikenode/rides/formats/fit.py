"""FIT activity importer: bytes in, ParsedActivity out, decoded straight into numpy arrays.

A point is one record message, in file order. ``time_s`` is NaN for a record that carries no
timestamp, neither its own field nor a compressed-timestamp header (some pool-swim and SDK
sample files write such records). Chained FIT files are read as one activity.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from bikenode.rides.formats.activity import (
    MAX_POINTS_PER_ACTIVITY,
    FloatArray,
    Lap,
    NotAnActivity,
    ParsedActivity,
    check_point_count,
)
from bikenode.rides.formats.devices import device_name
from bikenode.rides.formats.fit_decode import Messages
from bikenode.rides.formats.fit_profile import (
    FILE_TYPE_ACTIVITY,
    FILE_TYPES,
    FIT_EPOCH_S,
    FIT_MIN_ABSOLUTE_TIME,
    MANUFACTURERS,
    SEMICIRCLE_DEG,
    SPORTS,
    SUB_SPORTS,
    SYSTEM_TIMESTAMP,
    TIMESTAMP,
    DeviceInfo,
    Event,
    FileId,
    Mesg,
    Record,
    Session,
    Sport,
)
from bikenode.rides.formats.fit_scan import frame_fit

_RECORD_FIELDS = (
    TIMESTAMP,
    Record.POSITION_LAT,
    Record.POSITION_LONG,
    Record.ALTITUDE,
    Record.ENHANCED_ALTITUDE,
    Record.DISTANCE,
    Record.SPEED,
    Record.ENHANCED_SPEED,
    Record.COMPRESSED_SPEED_DISTANCE,
    Record.HEART_RATE,
    Record.CADENCE,
    Record.POWER,
    Record.TEMPERATURE,
)
_SESSION_FIELDS = (
    Session.START_TIME,
    Session.SPORT,
    Session.SUB_SPORT,
    Session.TOTAL_DISTANCE,
    Session.TOTAL_CALORIES,
    Session.TOTAL_ELAPSED_TIME,
    Session.TOTAL_TIMER_TIME,
)
_LAP_FIELDS = (TIMESTAMP, Session.START_TIME, Session.TOTAL_ELAPSED_TIME, Session.TOTAL_DISTANCE)


def parse_fit(data: bytes, *, max_points: int = MAX_POINTS_PER_ACTIVITY) -> ParsedActivity:
    """Decode a FIT activity file into columnar streams, laps, pauses and device totals.

    Raises ParseError when the bytes are not a readable FIT file, and NotAnActivity for a
    FIT file of another type (course, settings...) or an activity with nothing to import
    (no session message and fewer than 2 records). Damage that could be read around (bad
    CRC, cut-off tail, undecodable stretch) is listed in ``warnings``.
    """
    messages = Messages(data, frame_fit(data))
    # Records are counted from the framing, before any column is decoded.
    check_point_count(messages.count(Mesg.RECORD), max_points)
    _require_activity_type(messages)
    streams = _record_streams(messages)
    streams["time_s"], dated = _absolute_times(messages, streams["time_s"])
    sessions = messages.table(Mesg.SESSION, _SESSION_FIELDS)[1]
    points, session_count = streams["time_s"].size, sessions[Session.SPORT].size
    if session_count == 0 and points < 2:
        raise NotAnActivity(
            "expected an activity with a session message or at least 2 record messages, "
            f"got {points} record(s) and no session"
        )
    _note_gaps(messages.warnings, streams["time_s"], session_count)
    sport, sub_sport = _sport(messages, sessions)
    return ParsedActivity(
        format="fit",
        streams=streams,
        started_at=_started_at(messages, sessions, streams["time_s"]),
        sport=sport,
        sub_sport=sub_sport,
        device=fit_device(messages),
        devices=_devices(messages),
        batteries=_batteries(messages),
        laps=_laps(messages),
        pauses=_pauses(messages),
        device_distance_m=_total(sessions[Session.TOTAL_DISTANCE], 100.0),
        device_calories_kcal=_total(sessions[Session.TOTAL_CALORIES], 1.0),
        device_elapsed_s=_total(sessions[Session.TOTAL_ELAPSED_TIME], 1000.0),
        device_timer_s=_total(sessions[Session.TOTAL_TIMER_TIME], 1000.0),
        device_end_s=_session_end(sessions),
        dated=dated,
        warnings=messages.warnings,
    )


def _require_activity_type(messages: Messages) -> None:
    types = messages.table(Mesg.FILE_ID, (FileId.TYPE,))[1][FileId.TYPE]
    declared = sorted({int(t) for t in types[~np.isnan(types)]})
    # A file that does not say its type (some sensors, re-written files) is judged by content.
    if declared and FILE_TYPE_ACTIVITY not in declared:
        found = ", ".join(_file_type(t) for t in declared)
        raise NotAnActivity(f"expected a FIT activity file (file_id.type 4), got {found}")


def _file_type(number: int) -> str:
    name = FILE_TYPES.get(number)
    return f"a {name} file (type {number})" if name else f"file type {number}"


def _record_streams(messages: Messages) -> dict[str, FloatArray]:
    """Return the record streams in ParsedActivity units; streams with no value are left out."""
    c = messages.table(Mesg.RECORD, _RECORD_FIELDS)[1]
    packed_speed, packed_distance = _unpack_speed_distance(c[Record.COMPRESSED_SPEED_DISTANCE])
    altitude = _prefer(c[Record.ENHANCED_ALTITUDE], c[Record.ALTITUDE])
    speed = _prefer(c[Record.ENHANCED_SPEED], c[Record.SPEED]) / 1000.0
    streams = {
        "time_s": c[TIMESTAMP] + FIT_EPOCH_S,
        "lat_deg": _degrees(c[Record.POSITION_LAT], 90.0),
        "lon_deg": _degrees(c[Record.POSITION_LONG], 180.0),
        "elevation_m": altitude / 5.0 - 500.0,
        "distance_m": _prefer(c[Record.DISTANCE] / 100.0, packed_distance),
        "speed_mps": _prefer(speed, packed_speed),
        "hr_bpm": c[Record.HEART_RATE],
        "cadence_rpm": c[Record.CADENCE],
        "power_w": c[Record.POWER],
        "temperature_c": c[Record.TEMPERATURE],
    }
    return {k: v for k, v in streams.items() if k == "time_s" or not np.isnan(v).all()}


def _absolute_times(messages: Messages, time_s: FloatArray) -> tuple[FloatArray, bool]:
    """Record times made absolute, and whether they are dates: device-relative ones (counted
    from power-up, as action cameras write) are shifted by the file's timestamp_correlation
    message; without one they stay relative and the start of the activity is unknown."""
    relative = time_s < FIT_EPOCH_S + FIT_MIN_ABSOLUTE_TIME
    if not relative.any():
        return time_s, True
    pairs = messages.table(Mesg.TIMESTAMP_CORRELATION, (TIMESTAMP, SYSTEM_TIMESTAMP))[1]
    offsets = pairs[TIMESTAMP] - pairs[SYSTEM_TIMESTAMP]
    offsets = offsets[np.isfinite(offsets) & (pairs[TIMESTAMP] >= FIT_MIN_ABSOLUTE_TIME)]
    if offsets.size == 0:
        messages.warnings.append(
            f"{int(relative.sum())} record times count from the device's power-up and the file "
            "has no timestamp_correlation message to turn them into dates: the start is unknown"
        )
        return time_s, not relative[np.isfinite(time_s)].all()
    messages.warnings.append(
        f"{int(relative.sum())} device-relative record times dated with the file's "
        "timestamp_correlation message"
    )
    return np.where(relative, time_s + offsets[0], time_s), True


def _prefer(first: FloatArray, fallback: FloatArray) -> FloatArray:
    """Take ``first`` where it has a value, else ``fallback`` (enhanced over plain fields)."""
    return np.where(np.isnan(first), fallback, first)


def _degrees(semicircles: FloatArray, limit: float) -> FloatArray:
    degrees = semicircles * SEMICIRCLE_DEG
    degrees[np.abs(degrees) > limit] = np.nan  # out of range: not a position
    return degrees


def _unpack_speed_distance(packed: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Split record.compressed_speed_distance into speed (m/s) and accumulated distance (m).

    Speed is the low 12 bits in 1/100 m/s; distance the high 12 bits in 1/16 m, a counter
    that wraps at 4096 and so is accumulated over the records that have it.
    """
    speed, distance = np.full(packed.size, np.nan), np.full(packed.size, np.nan)
    present = ~np.isnan(packed)
    if not present.any():
        return speed, distance
    raw = packed[present].astype(np.int64)
    speed[present] = (raw & 0xFFF) / 100.0
    counter = raw >> 12
    steps = np.diff(counter, prepend=0) & 0xFFF
    distance[present] = np.cumsum(steps) / 16.0
    return speed, distance


def _note_gaps(warnings: list[str], time_s: FloatArray, session_count: int) -> None:
    untimed = int(np.isnan(time_s).sum())
    if untimed:
        warnings.append(
            f"{untimed} of {time_s.size} records carry no timestamp; their time_s is NaN"
        )
    steps = np.diff(time_s[~np.isnan(time_s)])
    if (steps < 0).any():
        warnings.append(
            f"record time goes backwards {int((steps < 0).sum())} time(s), by up to "
            f"{-float(steps.min()):.0f} s; records are kept in file order"
        )
    if time_s.size == 0:
        warnings.append("the activity has no record messages: only its session totals are known")
    if session_count == 0:
        warnings.append("the activity has no session message (a recording cut short?)")


def _sport(messages: Messages, sessions: dict[int, FloatArray]) -> tuple[str | None, str | None]:
    sports, sub_sports = sessions[Session.SPORT], sessions[Session.SUB_SPORT]
    if np.isnan(sports).all():
        found = messages.table(Mesg.SPORT, (Sport.SPORT, Sport.SUB_SPORT))[1]
        sports, sub_sports = found[Sport.SPORT], found[Sport.SUB_SPORT]
    distinct = {int(s) for s in sports[~np.isnan(sports)]}
    if len(distinct) > 1:
        return "multisport", None
    sport = _enum_name(SPORTS, sports, "sport", messages.warnings)
    return sport, _enum_name(SUB_SPORTS, sub_sports, "sub_sport", messages.warnings)


def _enum_name(
    names: dict[int, str], values: FloatArray, kind: str, warnings: list[str]
) -> str | None:
    """Name the first valid enum value; unknown numbers are kept as e.g. "sub_sport_252"."""
    valid = values[~np.isnan(values)]
    if valid.size == 0:
        return None
    number = int(valid[0])
    name = names.get(number)
    if name is None:
        name = f"{kind}_{number}"
        warnings.append(f"unknown {kind} value {number}, kept as {name!r}")
    return name


def fit_device(messages: Messages) -> str | None:
    """Manufacturer and product of the recording device, from file_id or device_info."""
    ids = messages.table(Mesg.FILE_ID, (FileId.MANUFACTURER, FileId.PRODUCT))[1]
    maker, product = _first(ids[FileId.MANUFACTURER][:1]), _first(ids[FileId.PRODUCT][:1])
    name = next(iter(messages.strings(Mesg.FILE_ID, FileId.PRODUCT_NAME)), "")
    if maker is None:
        maker, product = _creator(messages)
    if maker is None:
        return name or None
    return device_name(MANUFACTURERS.get(maker, f"manufacturer_{maker}"), product, name or None)


# ANT+ device types (FIT profile antplus_device_type) as the kinds bikes tells apart.
_SENSOR_KINDS = {11: "power_meter", 120: "heart_rate", 121: "speed_cadence", 122: "speed_cadence"}
_SENSOR_KINDS.update({123: "speed_cadence", 34: "shifting", 35: "light", 40: "radar"})


def _devices(messages: Messages) -> list[tuple[str, str]]:
    """(serial number, kind) of each device the file's device_info names, once each: the
    creator (device index 0) is the head unit; sensors by their ANT+ device type."""
    fields = (DeviceInfo.DEVICE_INDEX, DeviceInfo.DEVICE_TYPE, DeviceInfo.SERIAL_NUMBER)
    info = messages.table(Mesg.DEVICE_INFO, fields)[1]
    found: dict[str, str] = {}
    for index, kind, serial in zip(
        info[DeviceInfo.DEVICE_INDEX],
        info[DeviceInfo.DEVICE_TYPE],
        info[DeviceInfo.SERIAL_NUMBER],
        strict=True,
    ):
        if np.isnan(serial) or serial == 0:
            continue
        name = "head_unit" if index == 0 else _SENSOR_KINDS.get(int(kind) if kind == kind else -1)
        found.setdefault(str(int(serial)), name or "sensor")
    return list(found.items())


_BATTERY_STATUSES = {1: "new", 2: "good", 3: "ok", 4: "low", 5: "critical"}  # 7: unknown


def _batteries(messages: Messages) -> dict[str, list[tuple[float, str | None, float | None]]]:
    """The first and last dated battery reading of each serial in device_info (status,
    volts): a sensor reports at the start and end of a ride, some every few minutes."""
    fields = (
        TIMESTAMP,
        DeviceInfo.SERIAL_NUMBER,
        DeviceInfo.BATTERY_STATUS,
        DeviceInfo.BATTERY_VOLTAGE,
    )
    info = messages.table(Mesg.DEVICE_INFO, fields)[1]
    found: dict[str, list[tuple[float, str | None, float | None]]] = {}
    for stamp, serial, status, volts in zip(*(info[f] for f in fields), strict=True):
        if np.isnan(serial) or serial == 0 or np.isnan(stamp) or stamp < FIT_MIN_ABSOLUTE_TIME:
            continue  # no serial to keep it under, or no date to order it by
        named = None if np.isnan(status) else _BATTERY_STATUSES.get(int(status))
        # Some power meters write 0 V for "not measured".
        voltage = None if np.isnan(volts) or volts == 0 else round(float(volts) / 256.0, 3)
        if named is None and voltage is None:
            continue
        readings = found.setdefault(str(int(serial)), [])
        reading = (float(stamp) + FIT_EPOCH_S, named, voltage)
        if len(readings) < 2:
            readings.append(reading)
        else:
            readings[1] = reading  # the first and the latest
    return {serial: sorted(found[serial], key=lambda r: r[0]) for serial in found}


def _creator(messages: Messages) -> tuple[int | None, int | None]:
    """Manufacturer and product that device_info gives for the creator (device index 0)."""
    fields = (DeviceInfo.DEVICE_INDEX, DeviceInfo.MANUFACTURER, DeviceInfo.PRODUCT)
    info = messages.table(Mesg.DEVICE_INFO, fields)[1]
    creator = info[DeviceInfo.DEVICE_INDEX] == 0
    return _first(info[DeviceInfo.MANUFACTURER][creator]), _first(info[DeviceInfo.PRODUCT][creator])


def _first(values: FloatArray) -> int | None:
    valid = values[~np.isnan(values)]
    return int(valid[0]) if valid.size else None


def _laps(messages: Messages) -> list[Lap]:
    c = messages.table(Mesg.LAP, _LAP_FIELDS)[1]
    starts = c[Session.START_TIME] + FIT_EPOCH_S
    ends = _prefer(c[TIMESTAMP] + FIT_EPOCH_S, starts + c[Session.TOTAL_ELAPSED_TIME] / 1000.0)
    distances = c[Session.TOTAL_DISTANCE] / 100.0
    laps = []
    for start, end, distance in zip(starts, ends, distances, strict=True):
        if np.isnan(start) or np.isnan(end):
            continue  # a lap that cannot be placed in time is of no use downstream
        laps.append(Lap(float(start), float(end), None if np.isnan(distance) else float(distance)))
    return laps


def _pauses(messages: Messages) -> list[tuple[float, float]]:
    """Timer stop/start pairs in file order: the rider paused between them."""
    c = messages.table(Mesg.EVENT, (TIMESTAMP, Event.EVENT, Event.EVENT_TYPE))[1]
    timer = (c[Event.EVENT] == Event.TIMER) & ~np.isnan(c[TIMESTAMP])
    pauses = []
    stopped_at: float | None = None
    for at, kind in zip(c[TIMESTAMP][timer] + FIT_EPOCH_S, c[Event.EVENT_TYPE][timer], strict=True):
        if kind in Event.STOP_TYPES and stopped_at is None:
            stopped_at = float(at)
        elif kind == Event.START and stopped_at is not None:
            pauses.append((stopped_at, float(at)))
            stopped_at = None
    return pauses


def _started_at(
    messages: Messages, sessions: dict[int, FloatArray], time_s: FloatArray
) -> datetime | None:
    """Start of the first session, else the first record, else the file's creation time."""
    created = messages.table(Mesg.FILE_ID, (FileId.TIME_CREATED,))[1][FileId.TIME_CREATED]
    for candidates in (sessions[Session.START_TIME] + FIT_EPOCH_S, time_s, created + FIT_EPOCH_S):
        # Smaller FIT times count from the device's power-up, not from the FIT epoch.
        valid = candidates[candidates >= FIT_EPOCH_S + FIT_MIN_ABSOLUTE_TIME]
        if valid.size:
            return datetime.fromtimestamp(float(valid.min()), tz=UTC)
    return None


def _session_end(sessions: dict[int, FloatArray]) -> float | None:
    """The latest session end (its start plus its elapsed time), Unix seconds."""
    starts = sessions[Session.START_TIME]
    ends = starts + sessions[Session.TOTAL_ELAPSED_TIME] / 1000.0 + FIT_EPOCH_S
    valid = ends[starts >= FIT_MIN_ABSOLUTE_TIME]
    valid = valid[np.isfinite(valid)]
    return float(valid.max()) if valid.size else None


def _total(values: FloatArray, scale: float) -> float | None:
    """Sum of a per-session device total (several sessions in multisport), None if absent."""
    valid = values[~np.isnan(values)]
    return float(valid.sum() / scale) if valid.size else None
