"""FIT health data: RR intervals of hrv messages and the daily resting heart rate of
monitoring files, each checked against what fitdecode (a peer parser) reads of the same bytes."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import fitdecode
import numpy as np
import pytest

from bikenode.health import rmssd_ms
from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.fit_health import (
    WEIGHT_CALCULATING,
    NotMonitoring,
    fit_rr_intervals_ms,
    parse_fit_monitoring,
)
from tests.fit_builder import monitoring_file, sleep_file, weight_file

HRV_FILES = ("fitparsers__hrv-activity.fit", "gc__IpBike-HRV-Data.fit")


def _peer_messages(data: bytes) -> list[Any]:
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        return [frame for frame in reader if isinstance(frame, fitdecode.FitDataMessage)]


def _peer_rr_ms(data: bytes) -> list[float]:
    """fitdecode's hrv.time values (seconds, None for 0xFFFF) as milliseconds."""
    rr: list[float] = []
    for message in _peer_messages(data):
        if message.global_mesg_num == 78:
            value = message.get_value("time")
            values = value if isinstance(value, tuple) else (value,)
            rr += [round(v * 1000) for v in values if v is not None]
    return rr


@pytest.mark.parametrize("name", HRV_FILES)
def test_rr_intervals_are_those_the_peer_parser_reads(corpus: Path, name: str) -> None:
    data = (corpus / "fit" / name).read_bytes()
    ours = fit_rr_intervals_ms(data)
    peer = _peer_rr_ms(data)
    assert ours.size == len(peer) > 2000
    np.testing.assert_array_equal(ours, peer)
    # Beats of a ride, in ms: every one a plausible heartbeat or an artefact the filter drops.
    result = rmssd_ms(ours)
    assert result.rmssd_ms is not None and 1.0 < result.rmssd_ms < 50.0


def test_slots_without_a_beat_are_left_out(corpus: Path) -> None:
    # The Edge 530 writes 5-slot arrays and fills the unused slots with 0xFFFF.
    data = (corpus / "fit" / "fitparsers__hrv-activity.fit").read_bytes()
    slots = sum(len(m.get_value("time")) for m in _peer_messages(data) if m.global_mesg_num == 78)
    ours = fit_rr_intervals_ms(data)
    assert slots > ours.size and not (ours == 0xFFFF).any()


def test_a_file_with_more_beats_than_a_day_holds_is_refused(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bikenode.rides.formats import fit_health

    data = (corpus / "fit" / "gc__IpBike-HRV-Data.fit").read_bytes()
    monkeypatch.setattr(fit_health, "MAX_RR_INTERVALS", 1000)
    with pytest.raises(ParseError, match="at most 1000 RR intervals"):
        fit_rr_intervals_ms(data)


def test_a_file_without_hrv_messages_has_no_intervals(corpus: Path) -> None:
    data = (corpus / "fit" / "fitparse__MonitoringFile.fit").read_bytes()
    assert fit_rr_intervals_ms(data).size == 0


def test_resting_heart_rate_per_local_day_matches_the_peer() -> None:
    late_evening = datetime(2025, 3, 2, 3, 0, tzinfo=UTC)  # 22:00 on the 1st at UTC-5
    readings = [
        (late_evening, 55, 50),
        (late_evening + timedelta(hours=9), 55, 49),  # the 2nd, locally
        (late_evening + timedelta(hours=12), 54, 48),  # a later reading of the 2nd wins
    ]
    data = monitoring_file(readings, utc_offset_s=-5 * 3600)
    parsed = parse_fit_monitoring(data)
    assert [(d.day, d.resting_hr_bpm) for d in parsed.days] == [
        (date(2025, 3, 1), 50.0),
        (date(2025, 3, 2), 48.0),
    ]
    assert parsed.device == "Garmin Fenix 5"
    peer = [m for m in _peer_messages(data) if m.name == "monitoring_hr_data"]
    assert [m.get_value("current_day_resting_heart_rate") for m in peer] == [50, 49, 48]
    # The 7-day average (field 0) is not a day's value: never taken.
    assert {m.get_value("resting_heart_rate") for m in peer} == {54, 55}


def test_the_corpus_monitoring_file_gives_its_days_steps_as_the_peer_reads_them(
    corpus: Path,
) -> None:
    data = (corpus / "fit" / "fitparse__MonitoringFile.fit").read_bytes()
    parsed = parse_fit_monitoring(data)
    peer = _peer_messages(data)
    assert parsed.device == "Garmin Vivofit"
    assert parsed.message_counts[55] == sum(1 for m in peer if m.global_mesg_num == 55) == 337
    # The Vivofit records no heart rate at all, as fitdecode also finds.
    peer_fields = {f.name for m in peer for f in m.fields}
    assert not peer_fields & {"heart_rate", "resting_heart_rate", "current_day_resting_heart_rate"}
    # Its whole-day summaries (walking and running), written at the local midnight ending
    # 2014-12-27 (06:00 UTC: the wearer is at UTC-6, by monitoring_info).
    summaries = [
        m for m in peer if m.name == "monitoring" and m.get_value("duration_min", fallback=None)
    ]
    assert {m.get_value("duration_min") for m in summaries} == {1440}
    assert {m.get_value("timestamp") for m in summaries} == {datetime(2014, 12, 28, 6, tzinfo=UTC)}
    peer_steps = sum(m.get_value("steps") for m in summaries)
    assert peer_steps == 3142 + 31
    assert [(d.day, d.resting_hr_bpm, d.steps) for d in parsed.days] == [
        (date(2014, 12, 27), None, float(peer_steps))
    ]


def test_an_activity_file_is_not_a_monitoring_file(corpus: Path) -> None:
    data = (corpus / "fit" / "fitparsers__hrv-activity.fit").read_bytes()
    with pytest.raises(NotMonitoring, match=r"activity \(type 4\)"):
        parse_fit_monitoring(data)


def test_unreadable_bytes_are_a_parse_error() -> None:
    with pytest.raises(NotMonitoring, match="no file type and no monitoring messages"):
        parse_fit_monitoring(b"\x0e\x20\x54\x08\x10\x00\x00\x00.FIT" + bytes(range(256)) * 4)
    with pytest.raises(ParseError, match=r"'\.FIT'"):
        parse_fit_monitoring(b"not a fit file at all")
    with pytest.raises(ParseError):
        fit_rr_intervals_ms(b"")


def test_damage_is_reported_beside_what_could_be_read() -> None:
    noon = datetime(2025, 3, 1, 12, tzinfo=UTC)
    data = monitoring_file([(noon + timedelta(days=i), 50, 47) for i in range(5)])
    parsed = parse_fit_monitoring(data[:-8])  # the last reading and the CRC cut off
    assert parsed.warnings and len(parsed.days) == 4


def test_a_far_off_utc_offset_is_read_as_utc_and_zero_readings_are_skipped() -> None:
    noon = datetime(2025, 3, 1, 12, tzinfo=UTC)
    data = monitoring_file([(noon, 50, 0), (noon, 50, 47)], utc_offset_s=3 * 86_400)
    parsed = parse_fit_monitoring(data)
    assert [(d.day, d.resting_hr_bpm) for d in parsed.days] == [(date(2025, 3, 1), 47.0)]


def test_the_profile_numbers_are_those_of_the_peers_profile() -> None:
    import fitdecode.profile as peer

    from bikenode.rides.formats.fit_profile import (
        FILE_TYPE_WEIGHT,
        FILE_TYPES,
        FILE_TYPES_MONITORING,
        Hrv,
        Mesg,
        Monitoring,
        MonitoringHrData,
        MonitoringInfo,
        SleepLevel,
        WeightScale,
    )

    def field(message: int, number: int) -> str:
        name: str = peer.MESSAGE_TYPES[message].fields[number].name
        return name

    assert peer.MESSAGE_TYPES[Mesg.HRV].name == "hrv"
    assert peer.MESSAGE_TYPES[Mesg.MONITORING].name == "monitoring"
    assert peer.MESSAGE_TYPES[Mesg.MONITORING_INFO].name == "monitoring_info"
    assert peer.MESSAGE_TYPES[Mesg.MONITORING_HR_DATA].name == "monitoring_hr_data"
    assert field(Mesg.HRV, Hrv.TIME) == "time"
    assert field(Mesg.MONITORING, Monitoring.CYCLES) == "cycles"
    assert field(Mesg.MONITORING, Monitoring.ACTIVITY_TYPE) == "activity_type"
    assert field(Mesg.MONITORING, Monitoring.DURATION_MIN) == "duration_min"
    assert field(Mesg.MONITORING_INFO, MonitoringInfo.LOCAL_TIMESTAMP) == "local_timestamp"
    assert field(Mesg.MONITORING_HR_DATA, MonitoringHrData.RESTING_HEART_RATE) == (
        "resting_heart_rate"
    )
    assert field(Mesg.MONITORING_HR_DATA, MonitoringHrData.CURRENT_DAY_RESTING_HEART_RATE) == (
        "current_day_resting_heart_rate"
    )
    assert field(Mesg.WEIGHT_SCALE, WeightScale.WEIGHT) == "weight"
    assert peer.MESSAGE_TYPES[Mesg.WEIGHT_SCALE].fields[WeightScale.WEIGHT].scale == 100
    assert peer.FIELD_TYPES["weight"].enum == {WEIGHT_CALCULATING: "calculating"}
    assert field(Mesg.SLEEP_LEVEL, SleepLevel.LEVEL) == "sleep_level"
    sleep_levels: dict[int, str] = peer.FIELD_TYPES["sleep_level"].enum
    assert {sleep_levels[level] for level in SleepLevel.ASLEEP} == {"light", "deep", "rem"}
    assert FILE_TYPES[FILE_TYPE_WEIGHT] == "weight"
    assert {FILE_TYPES[t] for t in FILE_TYPES_MONITORING} == {
        "monitoring_a",
        "monitoring_daily",
        "monitoring_b",
    }
    steps = next(
        sub
        for sub in peer.MESSAGE_TYPES[Mesg.MONITORING].fields[Monitoring.CYCLES].subfields
        if sub.name == "steps"
    )
    activity_types: dict[int, str] = peer.FIELD_TYPES["activity_type"].enum
    walking_running = {
        number for number, name in activity_types.items() if name in ("walking", "running")
    }
    assert {ref.raw_value for ref in steps.ref_fields} == walking_running
    assert set(Monitoring.STEP_ACTIVITY_TYPES) == walking_running


def test_a_days_weight_is_its_last_weighing_as_the_peer_reads_it() -> None:
    morning = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    data = weight_file(
        [
            (morning, 7250),
            (morning + timedelta(hours=12), 7310),  # the evening's weighing wins the day
            (morning + timedelta(days=1), 0xFFFE),  # still calculating: no reading
            (morning + timedelta(days=2), 7195),
        ]
    )
    parsed = parse_fit_monitoring(data)
    assert [(d.day, d.weight_kg) for d in parsed.days] == [
        (date(2025, 3, 1), 73.1),
        (date(2025, 3, 3), 71.95),
    ]
    peer = [m for m in _peer_messages(data) if m.name == "weight_scale"]
    assert [m.get_value("weight") for m in peer] == [72.5, 73.1, "calculating", 71.95]
    assert {m.get_value("percent_fat") for m in peer} == {18.5}  # not a metric: not read
    # A scale writes no UTC offset: days are the rider's, in the zone the caller gives.
    in_tokyo = parse_fit_monitoring(data, timezone="Asia/Tokyo")
    assert [d.day for d in in_tokyo.days] == [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]


def _night(bed: datetime, plan: list[tuple[int, int]]) -> list[tuple[datetime, int]]:
    """Sleep levels from (minutes in it, level) pairs starting at `bed`, then the wake-up."""
    levels, at = [], bed
    for minutes, level in plan:
        levels.append((at, level))
        at += timedelta(minutes=minutes)
    return [*levels, (at, 1)]


def test_a_nights_sleep_counts_light_deep_and_rem_on_the_wake_up_day() -> None:
    bed = datetime(2025, 3, 1, 22, 40, tzinfo=UTC)
    # 20 min awake, 3 h light, 90 min deep, 10 min unmeasurable, 2 h rem, 15 min awake, 1 h light
    first = _night(bed, [(20, 1), (180, 2), (90, 3), (10, 0), (120, 4), (15, 1), (60, 2)])
    nap = _night(datetime(2025, 3, 2, 13, 0, tzinfo=UTC), [(30, 2)])
    second = _night(datetime(2025, 3, 2, 23, 0, tzinfo=UTC), [(300, 2), (100, 3)])
    data = sleep_file([*first, *nap, *second])
    parsed = parse_fit_monitoring(data)
    assert [(d.day, d.sleep_h) for d in parsed.days] == [
        (date(2025, 3, 2), (180 + 90 + 120 + 60 + 30) / 60),  # the night and the nap
        (date(2025, 3, 3), 400 / 60),
    ]
    peer = [m for m in _peer_messages(data) if m.global_mesg_num == 275]
    assert len(peer) == len(first) + len(nap) + len(second)
    assert [m.get_value("sleep_level") for m in peer[:8]] == [
        "awake",
        "light",
        "deep",
        "unmeasurable",
        "rem",
        "awake",
        "light",
        "awake",
    ]
    peer_asleep_s = sum(
        (b.get_value("timestamp") - a.get_value("timestamp")).total_seconds()
        for a, b in itertools.pairwise(peer[: len(first)])
        if a.get_value("sleep_level") in ("light", "deep", "rem")
    )
    assert peer_asleep_s / 3600 == (180 + 90 + 120 + 60) / 60


def test_weight_and_sleep_files_are_health_files_and_others_are_not(corpus: Path) -> None:
    assert parse_fit_monitoring(weight_file([])).days == []
    assert parse_fit_monitoring(sleep_file([])).days == []
    with pytest.raises(NotMonitoring, match=r"a sleep file \(49\), got activity \(type 4\)"):
        parse_fit_monitoring((corpus / "fit" / "fitparsers__hrv-activity.fit").read_bytes())
