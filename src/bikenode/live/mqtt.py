"""Devices over MQTT: the topic layout, the position payload and mosquitto's auth files.

Pure: no I/O. A device publishes with QoS 1 to ``bikenode/devices/<device-id>/position``,
signed in to the broker with its device id as user name and its device token as password.
The payload is one JSON object:

- ``lat``, ``lon`` in degrees; ``time`` in seconds or milliseconds since 1970 (a number or
  digits, the OsmAnd rule: below 2**31 - 1 seconds) or ISO 8601;
- optional ``altitude`` m, ``speed`` m/s, ``hr`` bpm, ``power`` W, ``battery`` %.

Heart rate and power are stored (sealed, as a phone's are); speed and battery are checked but
not kept, as over HTTP. Per-device auth is mosquitto's own password and ACL files, written by
BikeNode (``bikenode mqtt-config``): no plugin to build, and mosquitto reloads both on SIGHUP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from bikenode.live.logic import SENSOR_RANGES
from bikenode.live.osmand import BadReport, DeviceFix, checked_fix, parse_timestamp

TOPIC_PREFIX: Final = "bikenode/devices/"
TOPIC_SUFFIX: Final = "/position"
SUBSCRIPTION: Final = TOPIC_PREFIX + "+" + TOPIC_SUFFIX
BRIDGE_USER: Final = "bikenode-bridge"
MAX_PAYLOAD_BYTES: Final = 4096  # one position; mosquitto refuses bigger (message_size_limit)
# mosquitto_passwd's own choice in 2.0 ($7$: PBKDF2-SHA512, 101 rounds, 12-byte salt). The
# token it guards is 24 random bytes, so rounds add nothing against guessing.
PBKDF2_ROUNDS: Final = 101
SALT_BYTES: Final = 12


@dataclass(frozen=True)
class BrokerUser:
    """A line of the broker's password file: a device (its id) or the bridge."""

    name: str
    password_hash: str


def topic_for(device_id: uuid.UUID) -> str:
    """The one topic a device may publish its positions to."""
    return f"{TOPIC_PREFIX}{device_id}{TOPIC_SUFFIX}"


def device_of_topic(topic: str) -> uuid.UUID:
    """The device id in a position topic; BadReport for any other topic."""
    if not (topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX)):
        raise BadReport(f"expected a topic {SUBSCRIPTION}, got {topic[:120]!r}")
    try:
        return uuid.UUID(topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)])
    except ValueError:
        raise BadReport(f"expected a device id in the topic, got {topic[:120]!r}") from None


def parse_position(payload: bytes, *, now_ms: int) -> DeviceFix:
    """The position of one message; BadReport naming what was expected and what came."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BadReport(f"expected at most {MAX_PAYLOAD_BYTES} bytes, got {len(payload)}")
    try:
        root = json.loads(payload)
    except (ValueError, RecursionError):
        raise BadReport("expected a JSON object, got invalid JSON") from None
    if not isinstance(root, dict):
        raise BadReport(f"expected a JSON object, got {type(root).__name__}")
    for name in ("speed", "battery"):
        _optional(root, name)
    altitude = _optional(root, "altitude")
    fix = checked_fix(
        time_ms=_time_ms(root.get("time")),
        lat=_required(root, "lat"),
        lon=_required(root, "lon"),
        elevation_m=altitude,
        now_ms=now_ms,
    )
    return DeviceFix(
        fix.time_ms,
        fix.lat,
        fix.lon,
        fix.elevation_m,
        hr_bpm=_sensor(root, "hr", "hr"),
        power_w=_sensor(root, "power", "pwr"),
    )


def _time_ms(value: object) -> int:
    if isinstance(value, bool) or value is None:
        raise BadReport(f"expected 'time' as seconds, milliseconds or ISO 8601, got {value!r}")
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        value = int(value)
    if isinstance(value, int) and value >= 0:
        value = str(value)
    if not isinstance(value, str):
        raise BadReport(f"expected 'time' as seconds, milliseconds or ISO 8601, got {value!r}")
    return parse_timestamp(value)


def _required(root: dict[str, Any], name: str) -> float:
    value = _optional(root, name)
    if value is None:
        raise BadReport(f"expected a number in '{name}', got none")
    return value


def _optional(root: dict[str, Any], name: str) -> float | None:
    value = root.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadReport(f"expected a number in '{name}', got {value!r}")
    return float(value)


def _sensor(root: dict[str, Any], name: str, key: str) -> int | None:
    value = _optional(root, name)
    if value is None:
        return None
    low, high = SENSOR_RANGES[key]
    if not low <= value <= high:
        raise BadReport(f"expected '{name}' from {low} to {high}, got {value:g}")
    return round(value)


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """The password as mosquitto 2.0's password file holds it (``$7$`` PBKDF2-SHA512)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ROUNDS)
    return (
        f"$7${PBKDF2_ROUNDS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    )


def password_file(users: Iterable[BrokerUser]) -> str:
    """mosquitto's password file: one ``name:hash`` line per user."""
    return "".join(f"{user.name}:{user.password_hash}\n" for user in users)


def acl_file() -> str:
    """mosquitto's ACL: each device writes only its own topic (user name = device id), the
    bridge reads them all; nobody else reads or writes anything."""
    return (
        f"user {BRIDGE_USER}\n"
        f"topic read {SUBSCRIPTION}\n"
        "\n"
        "# Every other user is a device, signed in with its id: its own topic only.\n"
        f"pattern write {TOPIC_PREFIX}%u{TOPIC_SUFFIX}\n"
    )


def broker_config(*, directory: str, host: str, port: int) -> str:
    """A mosquitto.conf for BikeNode's devices, using the password and ACL files beside it."""
    return (
        "# Written by `bikenode mqtt-config`; run it again after adding or revoking a device,\n"
        "# then send mosquitto SIGHUP to reload the password and ACL files.\n"
        "per_listener_settings false\n"
        f"listener {port} {host}\n"
        "allow_anonymous false\n"
        f"password_file {directory}/passwd\n"
        f"acl_file {directory}/acl\n"
        # A position and its topic; bigger packets are refused by the broker itself.
        f"max_packet_size {MAX_PAYLOAD_BYTES + 512}\n"
        "# The bridge's session (and the positions queued for it) outlives a restart of either.\n"
        "persistence true\n"
        f"persistence_location {directory}/\n"
        "max_queued_messages 100000\n"
    )
