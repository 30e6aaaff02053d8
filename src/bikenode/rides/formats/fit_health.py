"""Health data in FIT files: beat-to-beat intervals in an activity, daily resting heart rate in
a monitoring (wellness) file.

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
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from bikenode.rides.formats.activity import FloatArray, ParseError
from bikenode.rides.formats.fit import fit_device
from bikenode.rides.formats.fit_decode import Messages
from bikenode.rides.formats.fit_profile import (
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


class NotMonitoring(ParseError):
    """A readable FIT file that is not a monitoring file (an activity, a course...)."""


@dataclass(frozen=True)
class MonitoringDay:
    """One local day's readings (None where the file has no value that day)."""

    day: date
    resting_hr_bpm: float | None
    steps: float | None = None


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


def parse_fit_monitoring(data: bytes) -> MonitoringFile:
    """The days of a FIT monitoring file with their resting heart rate (the last reading of
    each local day) and steps (from the whole-day summaries). ParseError for unreadable
    bytes, NotMonitoring for another FIT type."""
    messages = Messages(data, frame_fit(data))
    _require_monitoring(messages)
    offset_s = _utc_offset_s(messages)
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
        resting_by_day[_local(stamp, offset_s).date()] = float(resting)
    steps_by_day = _steps_by_day(messages, offset_s)
    days = sorted(resting_by_day.keys() | steps_by_day.keys())
    counts = Counter({num: messages.count(num) for num in messages.by_global})
    return MonitoringFile(
        device=fit_device(messages),
        days=[MonitoringDay(d, resting_by_day.get(d), steps_by_day.get(d)) for d in days],
        message_counts=dict(counts),
        warnings=messages.warnings,
    )


def _steps_by_day(messages: Messages, offset_s: float) -> dict[date, float]:
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
        day = (_local(stamp, offset_s) - timedelta(seconds=1)).date()
        by_day[day] = by_day.get(day, 0.0) + cycles
    return by_day


def _absolute(stamp: float) -> bool:
    return not np.isnan(stamp) and stamp >= FIT_MIN_ABSOLUTE_TIME


def _local(stamp: float, offset_s: float) -> datetime:
    return datetime.fromtimestamp(stamp + FIT_EPOCH_S, tz=UTC) + timedelta(seconds=offset_s)


def _require_monitoring(messages: Messages) -> None:
    types = messages.table(Mesg.FILE_ID, (FileId.TYPE,))[1][FileId.TYPE]
    declared = sorted({int(t) for t in types[~np.isnan(types)]})
    if (
        not declared
        and not messages.count(Mesg.MONITORING_HR_DATA)
        and not messages.count(Mesg.MONITORING)
    ):
        damage = f" (damaged: {messages.warnings[0]})" if messages.warnings else ""
        raise NotMonitoring(
            f"expected a FIT monitoring file, got one with no file type and no monitoring "
            f"messages{damage}"
        )
    if declared and not FILE_TYPES_MONITORING.intersection(declared):
        found = ", ".join(f"{FILE_TYPES.get(t, 'type')} (type {t})" for t in declared)
        raise NotMonitoring(
            f"expected a FIT monitoring file (file_id.type 15, 28 or 32), got {found}"
        )


def _utc_offset_s(messages: Messages) -> float:
    """The wearer's offset from UTC by the first monitoring_info message (0 without one)."""
    info = messages.table(Mesg.MONITORING_INFO, (TIMESTAMP, MonitoringInfo.LOCAL_TIMESTAMP))[1]
    offsets = info[MonitoringInfo.LOCAL_TIMESTAMP] - info[TIMESTAMP]
    offsets = offsets[np.isfinite(offsets) & (np.abs(offsets) <= MAX_UTC_OFFSET_S)]
    return float(offsets[0]) if offsets.size else 0.0
