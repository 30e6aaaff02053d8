"""GET /api/v1/sensors on real corpus files: each sensor's battery as its rides' FIT
device_info gave it (cross-checked with fitdecode), owner only, gone with the ride, in the
GDPR export and erased with the rider."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import fitdecode
from fastapi.testclient import TestClient

from bikenode.bikes.models import SensorReading
from tests.api.bikes.test_reminders import Rider
from tests.factories import STRONG_PASSWORD, upload_files

LOW = "muktihari__activity_lowbattery.fit"  # a Vector 3 going low, a strap, a radar
FIRST, SECOND = "sportslib__rides-7432332116.fit", "sportslib__rides-7445393868.fit"


def _upload(rider: Rider, corpus: Path, name: str) -> str:
    [upload] = upload_files(
        rider.client, rider.headers, [(name, (corpus / "fit" / name).read_bytes())]
    )
    rider.drain()
    return str(upload["items"][0]["ride_id"])


def _last_readings(path: Path) -> dict[str, tuple[str, float, str]]:
    """fitdecode's last battery reading per serial: (status, volts, ISO time)."""
    last: dict[str, tuple[str, float, str]] = {}
    with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "device_info":
                value = {f.name: f.value for f in frame.fields}
                if value.get("serial_number") and value.get("battery_voltage"):
                    stamp = value["timestamp"].isoformat().replace("+00:00", "Z")
                    last[str(value["serial_number"])] = (
                        value["battery_status"],
                        round(value["battery_voltage"], 3),
                        stamp,
                    )
    return last


def _sensors(rider: Rider) -> dict[str, dict[str, Any]]:
    return {s["serial"]: s for s in rider.call("GET", "/sensors")["items"]}


def test_each_sensor_shows_its_last_battery_reading_and_a_low_power_meter_warns(
    client: TestClient, corpus: Path
) -> None:
    rider = Rider(client)
    bike = rider.call(
        "POST", "/bikes", {"name": "Tarmac", "type": "road", "default_for_sports": ["cycling"]}, 201
    )
    _upload(rider, corpus, LOW)
    sensors = _sensors(rider)
    expected = _last_readings(corpus / "fit" / LOW)
    assert set(sensors) == set(expected) == {"3971073944", "3977231937", "3974994797"}
    for serial, (status, volts, seen) in expected.items():
        battery = sensors[serial]["battery"]
        assert (battery["status"], battery["voltage_v"]) == (status, volts)
        assert battery["last_seen_at"].replace("+00:00", "Z") == seen
        assert sensors[serial]["bike_id"] == bike["id"]
    meter = sensors["3977231937"]
    assert meter["kind"] == "power_meter" and meter["bike_name"] == "Tarmac"
    assert meter["battery"]["low"] is True
    assert meter["battery"]["low_reason"] == "the sensor reports its battery low"
    assert sensors["3974994797"]["kind"] == "radar" and not sensors["3974994797"]["battery"]["low"]
    assert sensors["3971073944"]["kind"] == "heart_rate"


def test_a_sensor_seen_on_two_rides_shows_the_later_and_the_ride_deleted_takes_its_readings(
    client: TestClient, corpus: Path
) -> None:
    rider = Rider(client)
    _upload(rider, corpus, FIRST)
    second = _upload(rider, corpus, SECOND)
    meter = _sensors(rider)["600772547"]  # an Assioma Duo: Li-ion, 4.2 V full
    assert meter["bike_id"] is None  # no bike in the garage
    assert meter["battery"]["voltage_v"] == _last_readings(corpus / "fit" / SECOND)["600772547"][1]
    assert meter["battery"]["last_charged_at"] is None  # 4.199 V to 4.113 V: no charge
    rider.call("PATCH", f"/rides/{second}", {"name": "Edited"})  # RideChanged: readings replaced
    rider.drain()
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert db.query(SensorReading).filter_by(serial="600772547").count() == 4
    rider.call("DELETE", f"/rides/{second}", expect=204)
    rider.drain()
    meter = _sensors(rider)["600772547"]
    assert meter["battery"]["voltage_v"] == _last_readings(corpus / "fit" / FIRST)["600772547"][1]
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert db.query(SensorReading).filter_by(serial="600772547").count() == 2


def test_only_the_owner_sees_their_sensors(client: TestClient, corpus: Path) -> None:
    rider, other = Rider(client), Rider(client)
    _upload(rider, corpus, LOW)
    assert other.call("GET", "/sensors") == {"items": []}
    assert client.get("/api/v1/sensors").status_code == 401


def test_the_readings_are_exported_and_erased_with_the_rider(
    client: TestClient, corpus: Path
) -> None:
    rider = Rider(client)
    ride_id = _upload(rider, corpus, LOW)
    exported = client.get("/api/v1/me/export", headers=rider.headers)
    assert exported.status_code == 200, exported.text
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    readings = json.loads(archive.read("bikes/sensor_readings.json"))
    assert len(readings) == 6 and {r["ride_id"] for r in readings} == {ride_id}
    low = [(r["serial"], r["voltage_v"]) for r in readings if r["status"] == "low"]
    assert low == [("3977231937", 2.488)]
    assert "bikes/sensor_readings.json" in archive.read("README.txt").decode()
    done = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=rider.headers,
    )
    assert done.status_code == 200, done.text
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert db.query(SensorReading).count() == 0
