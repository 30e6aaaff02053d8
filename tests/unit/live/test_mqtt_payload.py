"""The MQTT topic layout, position payload and mosquitto's files: what is read, what is refused."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.live import mqtt, osmand
from bikenode.live.mqtt_bridge import BadBrokerUrl, parse_broker_url

NOW_MS = 1_765_000_000_000  # 2025-12-06
SECONDS = NOW_MS // 1000 - 60
ISO = datetime.fromtimestamp(SECONDS, UTC).isoformat()


def _parse(payload: dict[str, Any]) -> osmand.DeviceFix:
    return mqtt.parse_position(json.dumps(payload).encode(), now_ms=NOW_MS)


@pytest.mark.parametrize("time", [SECONDS, SECONDS * 1000, str(SECONDS), ISO, float(SECONDS)])
def test_time_is_read_as_seconds_milliseconds_or_iso(time: object) -> None:
    fix = _parse({"lat": 52.5, "lon": 13.4, "time": time})
    assert fix.time_ms == SECONDS * 1000


def test_sensor_values_are_kept_and_speed_and_battery_checked() -> None:
    fix = _parse(
        {"lat": 52.5, "lon": 13.4, "time": SECONDS, "altitude": 34.5, "speed": 8.3, "hr": 141.4}
        | {"power": 230, "battery": 80}
    )
    assert (fix.elevation_m, fix.hr_bpm, fix.power_w) == (34.5, 141, 230)
    columns = osmand.fix_columns([fix, _parse({"lat": 52.5, "lon": 13.4, "time": SECONDS + 1})])
    assert columns["hr"] == [141, None] and columns["pwr"] == [230, None]


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"[1, 2]", "expected a JSON object, got list"),
        (b"{lat: 1}", "expected a JSON object, got invalid JSON"),
        (b'{"lon": 1, "time": 1765000000}', "expected a number in 'lat', got none"),
        (b'{"lat": true, "lon": 1, "time": 1765000000}', "expected a number in 'lat'"),
        (b'{"lat": 1, "lon": 1}', "expected 'time' as seconds"),
        (b'{"lat": 91, "lon": 1, "time": 1765000000}', "expected 'lat' from -90 to 90"),
        (b'{"lat": 1, "lon": 1, "time": 1765000000, "hr": 400}', "expected 'hr' from 20 to 260"),
        (b'{"lat": 1, "lon": 1, "time": 1765000000, "speed": "x"}', "expected a number in 'speed'"),
        (b'{"lat": 1, "lon": 1, "time": 1}', "expected a time from 2000-01-01"),
        (b" " * 5000, "expected at most 4096 bytes, got 5000"),
    ],
)
def test_bad_payloads_are_refused_saying_what_was_expected(payload: bytes, detail: str) -> None:
    with pytest.raises(osmand.BadReport, match=detail):
        mqtt.parse_position(payload, now_ms=NOW_MS)


@given(st.binary(max_size=300))
def test_any_payload_is_read_or_refused_never_crashes(payload: bytes) -> None:
    with contextlib.suppress(osmand.BadReport):
        mqtt.parse_position(payload, now_ms=NOW_MS)


def test_a_topic_names_one_device_and_others_are_refused() -> None:
    device = uuid.uuid4()
    assert mqtt.device_of_topic(mqtt.topic_for(device)) == device
    for topic in ("bikenode/devices/x/position", f"bikenode/devices/{device}/hr", "other"):
        with pytest.raises(osmand.BadReport):
            mqtt.device_of_topic(topic)


def test_password_hash_is_mosquitto_2s_pbkdf2_sha512_format() -> None:
    # Checked the way mosquitto checks it: $7$rounds$salt$hash, both base64.
    line = mqtt.password_hash("bnd_token", salt=b"0123456789ab")
    _, kind, rounds, salt, digest = line.split("$")
    assert (kind, rounds, base64.b64decode(salt)) == ("7", "101", b"0123456789ab")
    expected = hashlib.pbkdf2_hmac("sha512", b"bnd_token", b"0123456789ab", 101)
    assert base64.b64decode(digest) == expected
    assert mqtt.password_hash("bnd_token") != mqtt.password_hash("bnd_token")  # salted


def test_the_acl_lets_a_device_write_its_own_topic_and_the_bridge_read_all() -> None:
    acl = mqtt.acl_file()
    assert "pattern write bikenode/devices/%u/position" in acl
    assert "user bikenode-bridge\ntopic read bikenode/devices/+/position" in acl
    assert "readwrite" not in acl and "#" not in acl.replace("# Every", "")


def test_broker_urls() -> None:
    assert parse_broker_url("mqtt://127.0.0.1:1884").port == 1884
    assert parse_broker_url("mqtt://broker").username == "bikenode-bridge"
    assert parse_broker_url("mqtt://me:p%40ss@broker").password == "p@ss"
    for url in ("http://broker", "mqtt://", "mqtt://broker:99999"):
        with pytest.raises(BadBrokerUrl):
            parse_broker_url(url)
