"""Battery readings from FIT device_info on real corpus files, checked against fitdecode:
per serial, the first and the last dated reading (status and volts) of the file."""

from __future__ import annotations

import fitdecode
import pytest

from bikenode.rides.formats.fit import parse_fit
from tests.corpus import CORPUS, MISSING

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=MISSING),
]

# Files whose device_info carries battery fields: power meters (Vector 3, Assioma, Saris),
# a radar, straps, speed/cadence sensors, a multisport file, and one without any.
FILES = (
    "muktihari__activity_lowbattery.fit",
    "sportslib__rides-7432332116.fit",
    "sportslib__rides-7445393868.fit",
    "tormoder__garmin.fit",
    "gc__MultiSport-2019-11-24.fit",
    "fitparsers__hrv-activity.fit",
    "gc__aerolab-2018-10-03-07-45-28.fit",
    "fitparse__Edge810-Vector-2013-08-16-15-35-10.fit",
)
Readings = dict[str, list[tuple[float, str | None, float | None]]]


def _fitdecode_batteries(name: str) -> Readings:
    found: Readings = {}
    path = CORPUS / "fit" / name
    with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for frame in reader:
            if not isinstance(frame, fitdecode.FitDataMessage) or frame.name != "device_info":
                continue
            value = {f.name: f.value for f in frame.fields}
            serial, stamp = value.get("serial_number"), value.get("timestamp")
            status, volts = value.get("battery_status"), value.get("battery_voltage")
            volts = volts or None  # 0 V: the meter measured nothing
            status = status if status in {"new", "good", "ok", "low", "critical"} else None
            if not serial or stamp is None or (status is None and volts is None):
                continue
            readings = found.setdefault(str(serial), [])
            reading = (stamp.timestamp(), status, round(volts, 3) if volts else None)
            readings[len(readings[:1]) :] = [reading]  # the first and the latest
    return found


@pytest.mark.parametrize("name", FILES)
def test_battery_readings_match_fitdecode(name: str) -> None:
    ours = parse_fit((CORPUS / "fit" / name).read_bytes()).batteries
    assert ours == _fitdecode_batteries(name)


def test_the_low_battery_file_shows_a_vector_3_going_low_during_the_ride() -> None:
    ours = parse_fit((CORPUS / "fit" / FILES[0]).read_bytes()).batteries
    assert ours["3977231937"] == [(1590758262.0, "ok", 2.66), (1590762237.0, "low", 2.488)]
    assert ours["3974994797"][-1] == (1590762237.0, "ok", 3.785)  # the radar


def test_a_file_without_battery_fields_has_no_readings() -> None:
    data = (CORPUS / "fit" / "fitparse__2013-02-06-12-11-14.fit").read_bytes()
    assert parse_fit(data).batteries == {}
