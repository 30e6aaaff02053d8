"""The FIT reader on small files built byte by byte here, following the FIT protocol."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bikenode.rides.formats import NotAnActivity, ParseError, parse_activity
from bikenode.rides.formats.fit import parse_fit
from bikenode.rides.formats.fit_crc import crc16, crc16_py

# Numbers from the FIT profile, written out here so the tests do not trust our own tables.
FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z
ENUM, SINT8, UINT8, SINT16, UINT16 = 0x00, 0x01, 0x02, 0x83, 0x84
SINT32, UINT32, STRING, UINT32Z, BYTE = 0x85, 0x86, 0x07, 0x8C, 0x0D
FILE_ID, SPORT, SESSION, LAP, RECORD, EVENT, DEVICE_INFO = 0, 12, 18, 19, 20, 21, 23
TIMESTAMP = 253
LAT, LON, ALT, HR, CAD, DIST, SPEED, POWER, PACKED, TEMP = 0, 1, 2, 3, 4, 5, 6, 7, 8, 13
ENH_SPEED, ENH_ALT = 73, 78
GARMIN, EDGE_500 = 1, 1036
T0 = 1_000_000_000  # a FIT timestamp: 2021-09-08T01:46:40Z

RECORD_FIELDS = [
    (TIMESTAMP, 4, UINT32),
    (LAT, 4, SINT32),
    (LON, 4, SINT32),
    (ALT, 2, UINT16),
    (HR, 1, UINT8),
    (CAD, 1, UINT8),
    (DIST, 4, UINT32),
    (SPEED, 2, UINT16),
    (POWER, 2, UINT16),
    (TEMP, 1, SINT8),
]
FILE_ID_FIELDS = [(0, 1, ENUM), (1, 2, UINT16), (2, 2, UINT16), (3, 4, UINT32Z), (4, 4, UINT32)]
SESSION_FIELDS = [
    (TIMESTAMP, 4, UINT32),
    (2, 4, UINT32),  # start_time
    (5, 1, ENUM),  # sport
    (6, 1, ENUM),  # sub_sport
    (7, 4, UINT32),  # total_elapsed_time, ms
    (9, 4, UINT32),  # total_distance, cm
    (11, 2, UINT16),  # total_calories
]
LAP_FIELDS = [(TIMESTAMP, 4, UINT32), (2, 4, UINT32), (7, 4, UINT32), (9, 4, UINT32)]
EVENT_FIELDS = [(TIMESTAMP, 4, UINT32), (0, 1, ENUM), (1, 1, ENUM), (3, 4, UINT32)]

_FORMATS = {ENUM: "B", SINT8: "b", UINT8: "B", SINT16: "h", UINT16: "H", SINT32: "i"}
_FORMATS |= {UINT32: "I", UINT32Z: "I", 0x88: "f"}
_INVALID = {ENUM: 0xFF, SINT8: 0x7F, UINT8: 0xFF, SINT16: 0x7FFF, UINT16: 0xFFFF}
_INVALID |= {SINT32: 0x7FFFFFFF, UINT32: 0xFFFFFFFF, UINT32Z: 0}

_NIBBLES = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401]
_NIBBLES += [0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]


def spec_crc(data: bytes) -> int:
    """The CRC exactly as the FIT protocol document computes it, a nibble at a time."""
    crc = 0
    for byte in data:
        for nibble in (byte & 0x0F, byte >> 4):
            tmp = _NIBBLES[crc & 0x0F]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ _NIBBLES[nibble]
    return crc


@dataclass
class _Layout:
    fields: list[tuple[int, int, int]]
    order: str
    dev_size: int


@dataclass
class FitBuilder:
    """Writes FIT messages one by one; ``starts`` keeps each message's offset in the data."""

    body: bytearray = field(default_factory=bytearray)
    layouts: dict[int, _Layout] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)

    def define(
        self,
        local: int,
        global_num: int,
        fields: list[tuple[int, int, int]],
        *,
        big_endian: bool = False,
        dev_fields: tuple[tuple[int, int, int], ...] = (),
    ) -> FitBuilder:
        order = ">" if big_endian else "<"
        header = 0x40 | local | (0x20 if dev_fields else 0)
        message = bytes([header, 0, int(big_endian)]) + struct.pack(order + "H", global_num)
        message += bytes([len(fields)]) + b"".join(bytes(f) for f in fields)
        if dev_fields:
            message += bytes([len(dev_fields)]) + b"".join(bytes(f) for f in dev_fields)
        self.layouts[local] = _Layout(fields, order, sum(f[1] for f in dev_fields))
        return self.raw(message)

    def data(
        self,
        local: int,
        values: dict[int, object] | None = None,
        *,
        time_offset: int | None = None,
        dev: bytes = b"",
    ) -> FitBuilder:
        layout = self.layouts[local]
        assert len(dev) == layout.dev_size
        header = local if time_offset is None else 0x80 | local << 5 | time_offset
        message = bytes([header])
        for num, size, base in layout.fields:
            message += _encode((values or {}).get(num), size, base, layout.order)
        return self.raw(message + dev)

    def raw(self, message: bytes) -> FitBuilder:
        self.starts.append(len(self.body))
        self.body += message
        return self

    def file(self, *, header_size: int = 14, data_size: int | None = None) -> bytes:
        size = len(self.body) if data_size is None else data_size
        header = struct.pack("<BBHI4s", header_size, 0x20, 2132, size, b".FIT")
        if header_size == 14:
            header += struct.pack("<H", spec_crc(header))
        content = header + bytes(self.body)
        return content + struct.pack("<H", spec_crc(content))


def _encode(value: object, size: int, base: int, order: str) -> bytes:
    if base == STRING:
        return str(value or "").encode().ljust(size, b"\0")[:size]
    if base == BYTE:
        return bytes(value) if isinstance(value, bytes) else b"\xff" * size
    fmt = order + _FORMATS[base]
    count = size // struct.calcsize(fmt)
    raw = _INVALID[base] if value is None else value
    return struct.pack(order + _FORMATS[base] * count, *([raw] * count))


def record(i: int, **overrides: object) -> dict[int, object]:
    """Raw field values of the i-th record of a steady ride (1 s, ~5 m apart)."""
    values: dict[int, object] = {
        TIMESTAMP: T0 + i,
        LAT: 500_000_000 + 1000 * i,
        LON: -10_000_000 - 500 * i,
        ALT: 2600 + i,  # (2600 / 5) - 500 = 20 m
        HR: 120 + i % 7,
        CAD: 85,
        DIST: 500 * i,  # 5 m per record, in cm
        SPEED: 5000,  # 5 m/s in mm/s
        POWER: 200 + i,
        TEMP: -3,
    }
    values.update({int(k.removeprefix("f")): v for k, v in overrides.items()})
    return values


def activity(
    n_records: int = 5,
    *,
    big_endian: bool = False,
    file_type: int = 4,
    sub_sport: int = 7,
    with_session: bool = True,
) -> FitBuilder:
    """An Edge 500 road ride: file_id, timer events with one pause, records, a lap, a session."""
    b = FitBuilder()
    b.define(0, FILE_ID, FILE_ID_FIELDS, big_endian=big_endian)
    b.data(0, {0: file_type, 1: GARMIN, 2: EDGE_500, 3: 12345, 4: T0 - 5})
    b.define(1, EVENT, EVENT_FIELDS, big_endian=big_endian)
    b.data(1, {TIMESTAMP: T0, 0: 0, 1: 0})  # timer start
    b.define(2, RECORD, RECORD_FIELDS, big_endian=big_endian)
    for i in range(n_records):
        if i == 2:
            b.data(1, {TIMESTAMP: T0 + 1, 0: 0, 1: 4})  # timer stop_all
            b.data(1, {TIMESTAMP: T0 + 2, 0: 0, 1: 0})  # timer start
        b.data(2, record(i))
    end = T0 + n_records
    b.define(3, LAP, LAP_FIELDS, big_endian=big_endian)
    b.data(3, {TIMESTAMP: end, 2: T0, 7: n_records * 1000, 9: 500 * n_records})
    if with_session:
        b.define(4, SESSION, SESSION_FIELDS, big_endian=big_endian)
        b.data(4, {TIMESTAMP: end, 2: T0, 5: 2, 6: sub_sport, 7: 5000, 9: 2000, 11: 321})
    return b


def test_crc_matches_the_protocol_document_on_any_length() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the published CRC-16/ARC check value
    for size in (0, 1, 31, 32, 33, 255, 256, 257, 1000, 4097, 65_537):
        data = os.urandom(size)
        assert crc16(data) == spec_crc(data) == crc16_py(data), size


def test_reads_the_streams_of_a_ride_in_their_units() -> None:
    parsed = parse_fit(activity(5).file())
    s = parsed.streams
    assert parsed.format == "fit" and parsed.point_count == 5
    assert s["time_s"].tolist() == [FIT_EPOCH_S + T0 + i for i in range(5)]
    assert s["lat_deg"][1] == pytest.approx(500_001_000 * 180 / 2**31)
    assert s["lon_deg"][4] == pytest.approx(-10_002_000 * 180 / 2**31)
    assert s["elevation_m"].tolist() == pytest.approx([20.0, 20.2, 20.4, 20.6, 20.8])
    assert s["distance_m"].tolist() == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert s["speed_mps"].tolist() == [5.0] * 5
    assert s["hr_bpm"].tolist() == [120, 121, 122, 123, 124]
    assert s["cadence_rpm"].tolist() == [85] * 5
    assert s["power_w"].tolist() == [200, 201, 202, 203, 204]
    assert s["temperature_c"].tolist() == [-3] * 5
    assert all(a.dtype == np.float64 for a in s.values())
    assert parsed.warnings == []


def test_reads_session_lap_pauses_and_device() -> None:
    parsed = parse_fit(activity(5).file())
    assert parsed.sport == "cycling" and parsed.sub_sport == "road"
    assert parsed.device == "Garmin Edge 500"
    assert parsed.started_at == datetime.fromtimestamp(FIT_EPOCH_S + T0, tz=UTC)
    assert parsed.device_distance_m == 20.0 and parsed.device_calories_kcal == 321.0
    start = FIT_EPOCH_S + T0
    assert [(lap.start_s, lap.end_s, lap.distance_m) for lap in parsed.laps] == [
        (start, start + 5, 25.0)
    ]
    assert parsed.pauses == [(start + 1.0, start + 2.0)]


def test_big_endian_definitions_read_the_same_values() -> None:
    little = parse_fit(activity(6).file())
    big = parse_fit(activity(6, big_endian=True).file())
    assert big.streams.keys() == little.streams.keys()
    for name, values in little.streams.items():
        np.testing.assert_array_equal(big.streams[name], values)
    assert (big.sport, big.device, big.pauses) == (little.sport, little.device, little.pauses)


def test_invalid_values_become_nan_and_empty_streams_are_left_out() -> None:
    b = activity(0)
    b.data(2, record(0, f3=0xFF, f0=0x7FFFFFFF, f1=0x7FFFFFFF, f13=0x7F))
    b.data(2, record(1, f3=0xFF, f0=0x7FFFFFFF, f1=0x7FFFFFFF, f13=0x7F))
    s = parse_fit(b.file()).streams
    assert "hr_bpm" not in s and "lat_deg" not in s and "temperature_c" not in s
    assert s["power_w"].tolist() == [200, 201]


def test_enhanced_speed_and_altitude_win_over_the_plain_fields() -> None:
    b = activity(0)
    fields = [(TIMESTAMP, 4, UINT32), (SPEED, 2, UINT16), (ENH_SPEED, 4, UINT32)]
    fields += [(ALT, 2, UINT16), (ENH_ALT, 4, UINT32)]
    b.define(5, RECORD, fields)
    b.data(5, {TIMESTAMP: T0, SPEED: 4000, ENH_SPEED: 70_000, ALT: 3000, ENH_ALT: 20_000})
    b.data(5, {TIMESTAMP: T0 + 1, SPEED: 4000, ALT: 3000})  # enhanced fields invalid
    s = parse_fit(b.file()).streams
    assert s["speed_mps"].tolist() == [70.0, 4.0]
    assert s["elevation_m"].tolist() == [3500.0, 100.0]


def test_local_types_redefined_mid_file_keep_every_record_in_order() -> None:
    b = activity(2)
    b.define(2, EVENT, EVENT_FIELDS)  # local 2 no longer means record
    b.data(2, {TIMESTAMP: T0 + 2, 0: 0, 1: 4})
    b.define(2, RECORD, [(TIMESTAMP, 4, UINT32), (HR, 1, UINT8)])
    b.data(2, {TIMESTAMP: T0 + 3, HR: 150})
    b.define(0, RECORD, RECORD_FIELDS)  # and the same layout again, under another number
    b.data(0, record(4))
    b.data(2, {TIMESTAMP: T0 + 5, HR: 155})
    s = parse_fit(b.file()).streams
    assert s["time_s"].tolist() == [FIT_EPOCH_S + T0 + i for i in (0, 1, 3, 4, 5)]
    assert s["hr_bpm"].tolist() == [120, 121, 150, 124, 155]
    assert np.isnan(s["power_w"][[2, 4]]).all() and s["power_w"][3] == 204


def test_developer_fields_are_skipped_by_their_size() -> None:
    b = activity(0)
    b.define(5, RECORD, [(TIMESTAMP, 4, UINT32), (HR, 1, UINT8)], dev_fields=((0, 1, 0), (1, 4, 0)))
    b.data(5, {TIMESTAMP: T0, HR: 101}, dev=b"\x05\x00\x00\x80\x3f")
    b.data(5, {TIMESTAMP: T0 + 1, HR: 102}, dev=b"\x06\x00\x00\x00\x40")
    s = parse_fit(b.file()).streams
    assert s["hr_bpm"].tolist() == [101, 102]


def test_compressed_timestamp_headers_roll_over_from_the_last_full_time() -> None:
    b = activity(0)
    base = T0 - T0 % 32 + 30  # low 5 bits 30: the next offsets wrap past 31
    b.define(2, RECORD, [(TIMESTAMP, 4, UINT32), (HR, 1, UINT8)])
    b.data(2, {TIMESTAMP: base, HR: 100})
    b.define(3, RECORD, [(HR, 1, UINT8)])
    for offset in (31, 1, 4):  # +1 s, +2 s (wrapped), +3 s
        b.data(3, {HR: 101}, time_offset=offset)
    s = parse_fit(b.file()).streams
    expected = [base, base + 1, base + 34 - 30 - 1, base + 6]
    assert s["time_s"].tolist() == [FIT_EPOCH_S + t for t in expected]


def test_compressed_speed_and_distance_accumulate_across_the_12_bit_wrap() -> None:
    b = activity(0)
    b.define(5, RECORD, [(TIMESTAMP, 4, UINT32), (PACKED, 3, BYTE)])
    counters = [4000, 4090, 10, 50]  # 1/16 m, wrapping at 4096
    for i, counter in enumerate(counters):
        packed = (250 | counter << 12).to_bytes(3, "little")  # speed 2.5 m/s
        b.data(5, {TIMESTAMP: T0 + i, PACKED: packed})
    s = parse_fit(b.file()).streams
    assert s["speed_mps"].tolist() == [2.5] * 4
    assert s["distance_m"].tolist() == [4000 / 16, 4090 / 16, (4096 + 10) / 16, (4096 + 50) / 16]


def test_chained_files_are_read_as_one_activity() -> None:
    first = activity(3).file()
    second = FitBuilder().define(7, RECORD, [(TIMESTAMP, 4, UINT32), (HR, 1, UINT8)])
    second.data(7, {TIMESTAMP: T0 + 10, HR: 90}).data(7, {TIMESTAMP: T0 + 11, HR: 91})
    parsed = parse_fit(first + second.file(header_size=12))
    assert parsed.streams["hr_bpm"].tolist() == [120, 121, 122, 90, 91]
    assert parsed.warnings == []


def test_a_bad_crc_is_a_warning_when_the_data_decodes() -> None:
    data = bytearray(activity(4).file())
    data[-1] ^= 0xFF
    parsed = parse_fit(bytes(data))
    assert parsed.point_count == 4
    assert any("CRC" in w and str(len(data) - 2) in w for w in parsed.warnings)


def test_a_truncated_file_keeps_the_records_before_the_cut() -> None:
    b = activity(6)
    third_record = [s for s in b.starts if b.body[s] == 2][2]
    data = b.file()[: 14 + third_record + 7]  # cut inside the third record
    parsed = parse_fit(data)
    assert parsed.point_count == 2
    assert any("cut short" in w and str(14 + third_record) in w for w in parsed.warnings)


def test_an_unfinished_recording_with_data_size_zero_is_decoded() -> None:
    data = activity(4, with_session=False).file(data_size=0)
    parsed = parse_fit(data)
    assert parsed.point_count == 4
    assert any("data size of 0" in w for w in parsed.warnings)


def test_a_stray_byte_between_messages_is_skipped() -> None:
    b = activity(5)
    fourth = [s for s in b.starts if b.body[s] == 2][3]
    b.body[fourth:fourth] = b"\x3b"  # a data header for an undefined local type
    parsed = parse_fit(b.file())
    assert parsed.streams["hr_bpm"].tolist() == [120, 121, 122, 123, 124]
    assert any(f"byte {14 + fourth}" in w and "undefined local" in w for w in parsed.warnings)


def test_a_record_that_lost_a_byte_is_dropped_and_the_rest_recovered() -> None:
    b = activity(8)
    fourth = [s for s in b.starts if b.body[s] == 2][3]
    del b.body[fourth + 5]  # inside the fourth record, as the Strava app does
    # Its declared end now falls on the fifth record's time, whose low byte (4) names a local
    # type not yet defined: the damage shows there.
    assert b.body[fourth + 26] == (T0 + 4) & 0xFF == 4
    parsed = parse_fit(b.file())
    assert parsed.streams["hr_bpm"].tolist() == [120, 121, 122, 124, 125, 126, 120]
    assert any(f"dropped the message at byte {14 + fourth}" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "expected a FIT file header of 12 or 14 bytes, got 0"),
        (b"\x0e\x10\x00", "expected a FIT file header of 12 or 14 bytes, got 3"),
        (b"<gpx><trk></trk></gpx>", "expected '.FIT'"),
        (b"\x05" + bytes(20), "header size of 5"),
    ],
)
def test_garbage_and_empty_input_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_fit(data)


def test_a_course_file_is_not_an_activity() -> None:
    with pytest.raises(NotAnActivity, match=r"got a course file \(type 6\)"):
        parse_fit(activity(3, file_type=6).file())


def test_an_activity_file_with_nothing_to_import_is_rejected() -> None:
    only_file_id = FitBuilder().define(0, FILE_ID, FILE_ID_FIELDS).data(0, {0: 4, 1: GARMIN})
    with pytest.raises(NotAnActivity, match="got 0 record"):
        parse_fit(only_file_id.file())


def test_an_unknown_sub_sport_is_kept_by_number_with_a_warning() -> None:
    parsed = parse_fit(activity(3, sub_sport=252).file())
    assert parsed.sub_sport == "sub_sport_252"
    assert any("252" in w for w in parsed.warnings)


def test_the_dispatcher_routes_fit_bytes_here() -> None:
    assert parse_activity(activity(3).file()).point_count == 3


_VALID = activity(12).file()


@settings(
    max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    cut=st.integers(min_value=0, max_value=len(_VALID)),
    flips=st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_files_raise_only_parse_errors(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(_VALID)
    for at, value in flips:
        data[at] = value
    try:
        parsed = parse_fit(bytes(data[:cut]))
    except ParseError:
        return
    assert parsed.point_count <= 12 + len(flips)
    assert all(a.shape == (parsed.point_count,) for a in parsed.streams.values())


def test_a_bad_header_crc_is_a_warning() -> None:
    data = bytearray(activity(3).file())
    data[12] ^= 0x01
    parsed = parse_fit(bytes(data))
    assert parsed.point_count == 3
    assert any("header CRC at byte 12" in w for w in parsed.warnings)


def test_zero_padding_after_the_file_is_ignored_and_other_bytes_are_reported() -> None:
    data = activity(3).file()
    assert parse_fit(data + bytes(100)).warnings == []
    parsed = parse_fit(data + b"not a fit file at all")
    assert parsed.point_count == 3
    assert any(f"from byte {len(data)}" in w and ".FIT" in w for w in parsed.warnings)


def test_records_without_a_timestamp_are_points_with_nan_time() -> None:
    b = activity(2)
    b.define(5, RECORD, [(HR, 1, UINT8), (DIST, 4, UINT32)])
    b.data(5, {HR: 99, DIST: 2500})
    parsed = parse_fit(b.file())
    assert parsed.point_count == 3
    assert np.isnan(parsed.streams["time_s"][2]) and parsed.streams["hr_bpm"][2] == 99
    assert any("1 of 3 records carry no timestamp" in w for w in parsed.warnings)


def test_sessions_of_several_sports_make_a_multisport_activity() -> None:
    b = activity(3)
    b.data(4, {TIMESTAMP: T0 + 9, 2: T0 + 5, 5: 1, 6: 0, 9: 1000, 11: 79})  # a run
    parsed = parse_fit(b.file())
    assert (parsed.sport, parsed.sub_sport) == ("multisport", None)
    assert parsed.device_distance_m == 30.0 and parsed.device_calories_kcal == 400.0


def test_the_device_comes_from_device_info_when_file_id_lacks_it() -> None:
    b = FitBuilder().define(0, FILE_ID, [(0, 1, ENUM)]).data(0, {0: 4})
    b.define(1, DEVICE_INFO, [(0, 1, UINT8), (2, 2, UINT16), (4, 2, UINT16)])
    b.data(1, {0: 1, 2: 32, 4: 7}).data(1, {0: 0, 2: GARMIN, 4: EDGE_500})
    b.define(2, RECORD, RECORD_FIELDS).data(2, record(0)).data(2, record(1))
    assert parse_fit(b.file()).device == "Garmin Edge 500"


def test_a_start_time_counted_from_power_up_is_not_taken_as_a_date() -> None:
    b = activity(3, with_session=False)
    b.define(4, SESSION, SESSION_FIELDS).data(4, {2: 1000, 5: 2})  # 1000 s after power-up
    parsed = parse_fit(b.file())
    assert parsed.started_at == datetime.fromtimestamp(FIT_EPOCH_S + T0, tz=UTC)


def _rich_file() -> bytes:
    """Big-endian and compressed-timestamp records, developer fields and a chained file."""
    b = activity(6, big_endian=True)
    b.define(5, RECORD, [(TIMESTAMP, 4, UINT32), (HR, 1, UINT8)], dev_fields=((0, 2, 0),))
    b.data(5, {TIMESTAMP: T0 + 7, HR: 101}, dev=b"\x01\x02")
    b.define(1, RECORD, [(HR, 1, UINT8), (PACKED, 3, BYTE)])
    b.data(1, {HR: 102, PACKED: b"\x10\x20\x30"}, time_offset=(T0 + 8) % 32)
    second = FitBuilder().define(0, RECORD, RECORD_FIELDS).data(0, record(9)).data(0, record(10))
    return b.file() + second.file(header_size=12)


_RICH = _rich_file()


@settings(max_examples=200, deadline=1000, derandomize=True)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "set"]),
            st.integers(0, len(_RICH) - 1),
            st.binary(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_inserted_and_deleted_bytes_raise_only_parse_errors(
    edits: list[tuple[str, int, bytes]],
) -> None:
    data = bytearray(_RICH)
    for kind, at, payload in edits:
        at = min(at, len(data))
        if kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        else:
            data[at : at + len(payload)] = payload
    try:
        parsed = parse_fit(bytes(data))
    except ParseError as exc:
        assert str(exc)
        return
    assert all(a.shape == (parsed.point_count,) for a in parsed.streams.values())


def test_the_rich_file_reads_whole() -> None:
    parsed = parse_fit(_RICH)
    assert parsed.point_count == 10
    assert parsed.streams["hr_bpm"][6:].tolist() == [101, 102, 120 + 9 % 7, 120 + 10 % 7]
    assert parsed.streams["time_s"][7] == FIT_EPOCH_S + T0 + 8
    assert parsed.warnings == []


def test_enum_names_are_those_of_the_garmin_fit_sdk_profile() -> None:
    sdk = pytest.importorskip("garmin_fit_sdk", reason="the SDK is a bench extra")
    from bikenode.rides.formats import fit_profile

    types = sdk.Profile["types"]
    assert types["file"] == fit_profile.FILE_TYPES
    assert types["sport"] == fit_profile.SPORTS
    assert types["sub_sport"] == fit_profile.SUB_SPORTS
    assert types["manufacturer"] == fit_profile.MANUFACTURERS
    assert types["garmin_product"] == fit_profile.GARMIN_PRODUCTS


def test_device_relative_times_are_dated_by_timestamp_correlation() -> None:
    b = FitBuilder()
    b.define(0, FILE_ID, FILE_ID_FIELDS)
    b.data(0, {0: 4, 1: GARMIN, 2: EDGE_500, 3: 1, 4: T0})
    b.define(2, RECORD, RECORD_FIELDS)
    for i in range(3):
        b.data(2, record(i, f253=2 + i))  # seconds since the device powered up
    b.define(5, 162, [(TIMESTAMP, 4, UINT32), (1, 4, UINT32)])  # timestamp_correlation
    b.data(5, {TIMESTAMP: T0 + 100, 1: 102})  # absolute T0 + 100 was device time 102
    parsed = parse_fit(b.file())
    expected = [FIT_EPOCH_S + T0 + 100 - 102 + 2 + i for i in range(3)]
    assert parsed.streams["time_s"].tolist() == expected
    assert any("timestamp_correlation" in w for w in parsed.warnings)
