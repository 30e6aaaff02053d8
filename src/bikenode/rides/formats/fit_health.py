"""Health data in FIT files: beat-to-beat intervals in an activity; daily resting heart rate and
steps in a monitoring (wellness) file, weight in a scale's file, sleep in a sleep file.

- `hrv` (message 78) carries field 0 `time`: an array of RR intervals in 1/1000 s, 0xFFFF
  for a slot with no beat. Intervals are read in file order, every array element kept.
- A monitoring file (file_id.type 15 monitoring_a, 28 monitoring_daily or 32 monitoring_b)
  carries `monitoring_hr_data` (211) with `current_day_resting_heart_rate` (field 1, the
  day's own resting rate; field 0 is a 7-day average and is not a day's value) and
  `monitoring_info` (103), whose `local_timestamp` minus its `timestamp` is the wearer's
  offset from UTC: the day of a reading is its local date.
- Its `monitoring` (55) messages with a full timestamp and `duration_min` 1440 are the
  summaries of a whole day, one per activity type, written at the local midnight that ends
  it; `cycles` (field 3) of walking and running is the `steps` subfield (scale 1, where
  other activity types' cycles have scale 2). The day's steps are their sum.
- `weight_scale` (30; a scale's weight file, file_id.type 9) carries `weight` (field 0,
  uint16, scale 100: kg; 0xFFFE "calculating" is no reading). A day's weight is its last
  reading. Body fat (field 1) is not read: health has no such metric.
- `sleep_level` (275; Garmin's sleep file, file_id.type 49) marks, at its timestamp, the start
  of a level: 0 unmeasurable, 1 awake, 2 light, 3 deep, 4 rem. A level lasts until the next
  message; a gap of over NIGHT_GAP_S between messages ends a night, and a night's last
  message (the wake-up) lasts nothing, as nothing says how long. A night's sleep is the time
  spent light, deep or rem, and counts on the local day of its last message (the day one
  wakes up); nights ending on the same day add up (a nap and the night). `sleep_assessment`
  (346) holds only scores, so it is not read.

Local days: by monitoring_info's offset when the file has one (monitoring files do), else in
the time zone the caller gives (scales and sleep files write no offset).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from bikenode.rides.formats.activity import FloatArray, ParseError
from bikenode.rides.formats.fit import fit_device
from bikenode.rides.formats.fit_decode import Messages
from bikenode.rides.formats.fit_profile import (
    FILE_TYPE_SLEEP,
    FILE_TYPE_WEIGHT,
    FILE_TYPES,
    FILE_TYPES_MONITORING,
    FIT_EPOCH_S,
    FIT_MIN_ABSOLUTE_TIME,
    TIMESTAMP,
    FileId,
    Hrv,
    Mesg,
    Monitoring,
    MonitoringHrData,
    MonitoringInfo,
    SleepLevel,
    WeightScale,
)
from bikenode.rides.formats.fit_scan import frame_fit

__all__ = [
    "MAX_RR_INTERVALS",
    "MonitoringDay",
    "MonitoringFile",
    "NotMonitoring",
    "fit_rr_intervals_ms",
    "parse_fit_monitoring",
]

UINT16 = 0x84
WHOLE_DAY_MIN = 1440
# A day of beats at 200 bpm is under 300,000: more is not one recording.
MAX_RR_INTERVALS = 1_000_000
# Local time is within a day of UTC; a larger offset is a broken clock, read as UTC.
MAX_UTC_OFFSET_S = 86_400
# Sleep levels are written at each change; six hours without one is not the same night.
NIGHT_GAP_S = 6 * 3600
WEIGHT_CALCULATING = 0xFFFE
# What the health import takes: monitoring files, a scale's weight file, a sleep file.
FILE_TYPES_HEALTH = FILE_TYPES_MONITORING | {FILE_TYPE_WEIGHT, FILE_TYPE_SLEEP}
HEALTH_MESSAGES = (Mesg.MONITORING_HR_DATA, Mesg.MONITORING, Mesg.WEIGHT_SCALE, Mesg.SLEEP_LEVEL)


class NotMonitoring(ParseError):
    """A readable FIT file that is not a monitoring file (an activity, a course...)."""


@dataclass(frozen=True)
class MonitoringDay:
    """One local day's readings (None where the file has no value that day)."""

    day: date
    resting_hr_bpm: float | None
    steps: float | None = None
    weight_kg: float | None = None
    sleep_h: float | None = None


@dataclass(frozen=True)
class MonitoringFile:
    """What a monitoring file holds that BikeNode records, and a count of every message."""

    device: str | None
    days: list[MonitoringDay]
    message_counts: dict[int, int]
    warnings: list[str] = field(default_factory=list)


def fit_rr_intervals_ms(data: bytes) -> FloatArray:
    """The RR intervals of a FIT file's hrv messages in milliseconds, in file order, slots
    with no beat (0xFFFF) left out; empty when it has none. ParseError for unreadable bytes."""
    messages = Messages(data, frame_fit(data))
    slot_offsets: list[npt.NDArray[np.int64]] = []
    slot_values: list[FloatArray] = []
    for mdef in messages.by_global.get(Mesg.HRV, []):
        times = next((f for f in mdef.fields if f.num == Hrv.TIME), None)
        if times is None or times.base_type != UINT16 or times.size % 2 or not mdef.offsets.size:
            continue
        rows = sliding_window_view(messages.bytes, mdef.size)[mdef.offsets]
        raw = np.ascontiguousarray(rows[:, times.offset : times.offset + times.size])
        values = raw.view(">u2" if mdef.big_endian else "<u2").reshape(raw.shape[0], -1)
        # Every slot carries its message's file offset, so layouts interleave back in order.
        slot_offsets.append(np.repeat(mdef.offsets, values.shape[1]))
        slot_values.append(values.reshape(-1).astype(np.float64))
    if not slot_values:
        return np.zeros(0)
    slots = sum(part.size for part in slot_values)
    if slots > MAX_RR_INTERVALS:
        raise ParseError(
            f"expected at most {MAX_RR_INTERVALS} RR intervals in one file, got {slots}"
        )
    offsets, values = np.concatenate(slot_offsets), np.concatenate(slot_values)
    ordered: FloatArray = values[np.argsort(offsets, kind="stable")]
    beats: FloatArray = ordered[ordered != 0xFFFF]
    return beats


def parse_fit_monitoring(data: bytes, *, timezone: str = "UTC") -> MonitoringFile:
    """The days of a FIT monitoring, weight or sleep file with their resting heart rate (the
    last reading of each local day), steps (from the whole-day summaries), weight (the last
    weighing) and sleep (of the nights that end that day); `timezone` gives local days when
    the file has no UTC offset. ParseError for unreadable bytes, NotMonitoring for another
    FIT type."""
    messages = Messages(data, frame_fit(data))
    _require_monitoring(messages)
    offset_s = _utc_offset_s(messages)
    if offset_s is None:
        zone = _zone(timezone)
        offset_s = 0.0
    else:
        zone = None
    fields = (TIMESTAMP, MonitoringHrData.CURRENT_DAY_RESTING_HEART_RATE)
    columns = messages.table(Mesg.MONITORING_HR_DATA, fields)[1]
    resting_by_day: dict[date, float] = {}
    for stamp, resting in zip(
        columns[TIMESTAMP].tolist(),
        columns[MonitoringHrData.CURRENT_DAY_RESTING_HEART_RATE].tolist(),
        strict=True,
    ):
        if np.isnan(resting) or resting == 0 or not _absolute(stamp):
            continue
        # Later readings of a day supersede earlier ones.
        resting_by_day[_local(stamp, offset_s, zone).date()] = float(resting)
    steps_by_day = _steps_by_day(messages, offset_s, zone)
    weight_by_day = _weight_by_day(messages, offset_s, zone)
    sleep_by_day = _sleep_by_day(messages, offset_s, zone)
    days = sorted(
        resting_by_day.keys() | steps_by_day.keys() | weight_by_day.keys() | sleep_by_day.keys()
    )
    counts = Counter({num: messages.count(num) for num in messages.by_global})
    return MonitoringFile(
        device=fit_device(messages),
        days=[
            MonitoringDay(
                d,
                resting_by_day.get(d),
                steps_by_day.get(d),
                weight_by_day.get(d),
                sleep_by_day.get(d),
            )
            for d in days
        ],
        message_counts=dict(counts),
        warnings=messages.warnings,
    )


def _weight_by_day(messages: Messages, offset_s: float, zone: ZoneInfo | None) -> dict[date, float]:
    """Each local day's last weighing in kg."""
    columns = messages.table(Mesg.WEIGHT_SCALE, (TIMESTAMP, WeightScale.WEIGHT))[1]
    by_day: dict[date, float] = {}
    for stamp, raw in zip(
        columns[TIMESTAMP].tolist(), columns[WeightScale.WEIGHT].tolist(), strict=True
    ):
        if np.isnan(raw) or raw in (0, WEIGHT_CALCULATING) or not _absolute(stamp):
            continue
        by_day[_local(stamp, offset_s, zone).date()] = raw / 100
    return by_day


def _sleep_by_day(messages: Messages, offset_s: float, zone: ZoneInfo | None) -> dict[date, float]:
    """Hours asleep of the nights ending on each local day (see the module docstring)."""
    columns = messages.table(Mesg.SLEEP_LEVEL, (TIMESTAMP, SleepLevel.LEVEL))[1]
    stamps, levels = columns[TIMESTAMP], columns[SleepLevel.LEVEL]
    keep = np.isfinite(stamps) & (stamps >= FIT_MIN_ABSOLUTE_TIME) & np.isfinite(levels)
    order = np.argsort(stamps[keep], kind="stable")
    stamps, levels = stamps[keep][order], levels[keep][order]
    by_day: dict[date, float] = {}
    if not stamps.size:
        return by_day
    lasted = np.diff(stamps)
    ends = [*np.flatnonzero(lasted > NIGHT_GAP_S).tolist(), stamps.size - 1]
    first = 0
    for last in ends:
        spans, kinds = lasted[first:last], levels[first:last]
        asleep_s = float(spans[np.isin(kinds, list(SleepLevel.ASLEEP))].sum())
        if asleep_s > 0:
            day = _local(float(stamps[last]), offset_s, zone).date()
            by_day[day] = by_day.get(day, 0.0) + asleep_s / 3600
        first = last + 1
    return by_day


def _steps_by_day(messages: Messages, offset_s: float, zone: ZoneInfo | None) -> dict[date, float]:
    """Steps of each whole day summarised in the file, by the local day the summary ends."""
    wanted = (TIMESTAMP, Monitoring.CYCLES, Monitoring.ACTIVITY_TYPE, Monitoring.DURATION_MIN)
    columns = messages.table(Mesg.MONITORING, wanted)[1]
    by_day: dict[date, float] = {}
    for stamp, cycles, kind, minutes in zip(
        *(columns[num].tolist() for num in wanted), strict=True
    ):
        if (
            minutes != WHOLE_DAY_MIN
            or kind not in Monitoring.STEP_ACTIVITY_TYPES
            or np.isnan(cycles)
        ):
            continue
        if not _absolute(stamp):
            continue
        # Written at the midnight that ends the day: the second before it is in that day.
        day = (_local(stamp, offset_s, zone) - timedelta(seconds=1)).date()
        by_day[day] = by_day.get(day, 0.0) + cycles
    return by_day


def _absolute(stamp: float) -> bool:
    return not np.isnan(stamp) and stamp >= FIT_MIN_ABSOLUTE_TIME


def _local(stamp: float, offset_s: float, zone: ZoneInfo | None = None) -> datetime:
    """The local clock time of a FIT timestamp: by the file's offset, or in `zone`."""
    at = datetime.fromtimestamp(stamp + FIT_EPOCH_S, tz=UTC)
    return at.astimezone(zone) if zone is not None else at + timedelta(seconds=offset_s)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _require_monitoring(messages: Messages) -> None:
    types = messages.table(Mesg.FILE_ID, (FileId.TYPE,))[1][FileId.TYPE]
    declared = sorted({int(t) for t in types[~np.isnan(types)]})
    if not declared and not any(messages.count(num) for num in HEALTH_MESSAGES):
        damage = f" (damaged: {messages.warnings[0]})" if messages.warnings else ""
        raise NotMonitoring(
            f"expected a FIT monitoring file, got one with no file type and no monitoring "
            f"messages{damage}"
        )
    if declared and not FILE_TYPES_HEALTH.intersection(declared):
        found = ", ".join(f"{FILE_TYPES.get(t, 'type')} (type {t})" for t in declared)
        raise NotMonitoring(
            "expected a FIT monitoring file (file_id.type 15, 28 or 32), a weight file (9) or "
            f"a sleep file (49), got {found}"
        )


def _utc_offset_s(messages: Messages) -> float | None:
    """The wearer's offset from UTC by the first monitoring_info message; None without one,
    0 for a far-off one (a broken clock: UTC)."""
    info = messages.table(Mesg.MONITORING_INFO, (TIMESTAMP, MonitoringInfo.LOCAL_TIMESTAMP))[1]
    offsets = info[MonitoringInfo.LOCAL_TIMESTAMP] - info[TIMESTAMP]
    if not offsets.size:
        return None
    offsets = offsets[np.isfinite(offsets) & (np.abs(offsets) <= MAX_UTC_OFFSET_S)]
    return float(offsets[0]) if offsets.size else 0.0
