"""Small FIT files built field by field, for the message kinds the corpus lacks (a monitoring
file with resting heart rate, a scale's weighings, a night's sleep levels): header,
definitions, data messages and both CRCs."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime

from bikenode.rides.formats.fit_crc import crc16

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
# (field number, size, base type byte) and the struct code of each base type used here.
Field = tuple[int, int, int]
CODES = {0x00: "B", 0x02: "B", 0x84: "H", 0x86: "I", 0x8C: "I"}


def fit_time(when: datetime) -> int:
    """Seconds since the FIT epoch."""
    return int((when - FIT_EPOCH).total_seconds())


def fit_file(messages: Sequence[tuple[int, Sequence[Field], Sequence[Sequence[int]]]]) -> bytes:
    """A FIT file of (global number, fields, rows) in order, each kind on its own local type."""
    body = bytearray()
    for local, (global_num, fields, rows) in enumerate(messages):
        body += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
        for num, size, base in fields:
            body += struct.pack("<BBB", num, size, base)
        layout = "<" + "".join(CODES[base] for _, _, base in fields)
        for row in rows:
            body += bytes([local]) + struct.pack(layout, *row)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", crc16(header))
    data = header + bytes(body)
    return data + struct.pack("<H", crc16(data))


FILE_ID: Sequence[Field] = ((0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (4, 4, 0x86))
MONITORING_INFO: Sequence[Field] = ((253, 4, 0x86), (0, 4, 0x86))
MONITORING_HR: Sequence[Field] = ((253, 4, 0x86), (0, 1, 0x02), (1, 1, 0x02))


def monitoring_file(
    readings: Sequence[tuple[datetime, int, int]],
    *,
    utc_offset_s: int = 0,
    file_type: int = 32,
    garmin_product: int = 2697,
) -> bytes:
    """A Garmin monitoring_b file: monitoring_info with the wearer's UTC offset, then one
    monitoring_hr_data per reading (time, 7-day resting rate, the day's resting rate)."""
    start = fit_time(readings[0][0]) if readings else fit_time(datetime(2025, 3, 1, tzinfo=UTC))
    return fit_file(
        [
            (0, FILE_ID, [(file_type, 1, garmin_product, start)]),
            (103, MONITORING_INFO, [(start, start + utc_offset_s)]),
            (211, MONITORING_HR, [(fit_time(t), week, day) for t, week, day in readings]),
        ]
    )


RECORD_HR: Sequence[Field] = ((3, 1, 0x02),)
HRV_TIME: Sequence[Field] = ((0, 2, 0x84),)


def untimed_activity_with_beats(rr_ms: Sequence[int]) -> bytes:
    """An activity whose records carry heart rate but no time (as some recorders write), and
    the strap's beat-to-beat intervals as hrv messages of one interval each."""
    return fit_file(
        [
            (0, FILE_ID, [(4, 1, 2697, 0xFFFFFFFF)]),
            (20, RECORD_HR, [(120 + i % 5,) for i in range(len(rr_ms))]),
            (78, HRV_TIME, [(rr,) for rr in rr_ms]),
        ]
    )


WEIGHT_SCALE: Sequence[Field] = ((253, 4, 0x86), (0, 2, 0x84), (1, 2, 0x84))


def weight_file(weighings: Sequence[tuple[datetime, int]], *, garmin_product: int = 2697) -> bytes:
    """A scale's weight file (type 9): one weight_scale per weighing (time, weight in 1/100
    kg as written, 0xFFFE while calculating), with a body fat of 18.5 % beside it."""
    start = fit_time(weighings[0][0]) if weighings else fit_time(datetime(2025, 3, 1, tzinfo=UTC))
    return fit_file(
        [
            (0, FILE_ID, [(9, 1, garmin_product, start)]),
            (30, WEIGHT_SCALE, [(fit_time(t), raw, 1850) for t, raw in weighings]),
        ]
    )


SLEEP_LEVEL: Sequence[Field] = ((253, 4, 0x86), (0, 1, 0x00))


def sleep_file(levels: Sequence[tuple[datetime, int]], *, garmin_product: int = 2697) -> bytes:
    """A Garmin sleep file (type 49): one sleep_level per change of level (time, level:
    0 unmeasurable, 1 awake, 2 light, 3 deep, 4 rem)."""
    start = fit_time(levels[0][0]) if levels else fit_time(datetime(2025, 3, 1, tzinfo=UTC))
    return fit_file(
        [
            (0, FILE_ID, [(49, 1, garmin_product, start)]),
            (275, SLEEP_LEVEL, [(fit_time(t), level) for t, level in levels]),
        ]
    )
