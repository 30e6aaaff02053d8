"""The OsmAnd tracking protocol as Traccar reads it: a device's positions from one request.

Pure: no I/O. The rules follow Traccar's ``OsmAndProtocolDecoder`` so that any app set up for
a Traccar server (OsmAnd, Traccar Client, GPSLogger, routers) works here unchanged:

- the query string, or a form body when the query string is empty: ``id`` (or ``deviceid``)
  is the device token; ``lat`` and ``lon`` in degrees, or ``location=lat,lon``;
  ``timestamp`` in seconds since the epoch (values below 2**31 - 1) or milliseconds, or ISO
  8601 (with a ``T``), or ``yyyy-MM-dd HH:mm:ss`` (read as UTC); no timestamp: now;
  ``altitude`` in metres; ``speed`` in knots, ``bearing``/``heading``, ``accuracy``, ``hdop``,
  ``batt`` are numbers; ``valid=false`` (or 0) marks a fix the device itself does not trust;
- a JSON body (``Content-Type: application/json``, Traccar Client 9 and later):
  ``{"device_id": ..., "location": {...}}`` or ``"locations": [...]``, each with an ISO
  ``timestamp`` and ``coords`` (``latitude``, ``longitude``, ``altitude`` m, ``speed`` m/s).

Where Traccar falls back to the device's last known place (no coordinates), BikeNode refuses
the request: a live track has no use for a position it did not receive. Speed, bearing, hdop
and battery are checked but not stored: a live batch keeps time, position and elevation, and
the speed shown to viewers comes from the positions, as for a phone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl

from bikenode.live.logic import EARLIEST_TIME_MS, ELEVATION_RANGE_DM, MAX_FUTURE_MS

MAX_FIXES: Final = 1000  # positions in one JSON body (Traccar Client sends its buffer so)
MAX_TOKEN_CHARS: Final = 200
MAX_FIELDS: Final = 100
# Traccar's rule: a whole number below this is seconds, from it on milliseconds.
SECONDS_BELOW: Final = 2**31 - 1
NUMBER_FIELDS: Final = ("speed", "bearing", "heading", "accuracy", "hdop", "batt")


class BadReport(ValueError):
    """A request the ingest refuses; the message says what was expected and what came."""


@dataclass(frozen=True)
class DeviceFix:
    """One position: time in ms since the epoch, degrees, elevation in metres (or None), and
    heart rate and power when a device measures them (MQTT; OsmAnd sends neither)."""

    time_ms: int
    lat: float
    lon: float
    elevation_m: float | None
    hr_bpm: int | None = None
    power_w: int | None = None


@dataclass(frozen=True)
class DeviceReport:
    """What one request carries: the device token and its positions (oldest first)."""

    token: str
    fixes: list[DeviceFix]


def parse_request(
    *, query: str, body: bytes, content_type: str | None, now_ms: int
) -> DeviceReport:
    """The device token and positions of one request, in any of the protocol's forms."""
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        return parse_json(body, now_ms=now_ms)
    params = _pairs(query)
    if not params and body:
        try:
            text = body.decode("ascii")
        except UnicodeDecodeError:
            raise BadReport("expected a form body in ASCII (URL-encoded)") from None
        params = _pairs(text)
    return parse_params(params, now_ms=now_ms)


def _pairs(text: str) -> dict[str, str]:
    # Traccar reads every value of a repeated name in turn: the last one wins.
    try:
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS))
    except ValueError:
        raise BadReport(f"expected at most {MAX_FIELDS} parameters") from None


def parse_params(params: dict[str, str], *, now_ms: int) -> DeviceReport:
    """The report of the query-string form (OsmAnd, Traccar Client before 9)."""
    token = _token(params.get("id") or params.get("deviceid"))
    for name in NUMBER_FIELDS:
        if name in params and params[name] != "":
            _number(name, params[name])
    if "location" in params:
        parts = params["location"].split(",")
        if len(parts) != 2:
            raise BadReport(f"expected 'location' as lat,lon, got {params['location']!r}")
        lat_text, lon_text = parts
    elif "lat" in params and "lon" in params:
        lat_text, lon_text = params["lat"], params["lon"]
    else:
        raise BadReport("expected 'lat' and 'lon' (or 'location=lat,lon'), got neither")
    stamp = params.get("timestamp")
    time_ms = now_ms if stamp in (None, "") else parse_timestamp(stamp)
    altitude = params.get("altitude")
    fix = checked_fix(
        time_ms=time_ms,
        lat=_number("lat", lat_text),
        lon=_number("lon", lon_text),
        elevation_m=None if altitude in (None, "") else _number("altitude", altitude),
        now_ms=now_ms,
    )
    valid = params.get("valid", "true").lower() in ("true", "1")
    return DeviceReport(token, [fix] if valid else [])


def parse_json(body: bytes, *, now_ms: int) -> DeviceReport:
    """The report of the JSON form (Traccar Client 9 and later)."""
    try:
        root = json.loads(body)
    except (ValueError, RecursionError):
        raise BadReport("expected a JSON object, got invalid JSON") from None
    if not isinstance(root, dict):
        raise BadReport(f"expected a JSON object, got {type(root).__name__}")
    token = _token(root.get("device_id"))
    one, many = root.get("location"), root.get("locations")
    if (one is None) == (many is None):
        raise BadReport("expected either 'location' or 'locations'")
    items = [one] if one is not None else many
    if not isinstance(items, list) or not 0 < len(items) <= MAX_FIXES:
        raise BadReport(f"expected 'locations' as a list of 1 to {MAX_FIXES} objects")
    return DeviceReport(token, [_json_fix(item, now_ms=now_ms) for item in items])


def _json_fix(item: Any, *, now_ms: int) -> DeviceFix:
    if not isinstance(item, dict) or not isinstance(item.get("coords"), dict):
        raise BadReport("expected a location object with 'coords'")
    stamp = item.get("timestamp")
    if not isinstance(stamp, str):
        raise BadReport(f"expected an ISO 8601 'timestamp' in a location, got {stamp!r}")
    coords = item["coords"]
    altitude = coords.get("altitude")
    return checked_fix(
        time_ms=parse_timestamp(stamp),
        lat=_json_number("latitude", coords.get("latitude")),
        lon=_json_number("longitude", coords.get("longitude")),
        elevation_m=None if altitude is None else _json_number("altitude", altitude),
        now_ms=now_ms,
    )


def parse_timestamp(value: str) -> int:
    """Milliseconds since the epoch from seconds, milliseconds, ISO 8601 or 'yyyy-MM-dd HH:mm:ss'."""
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= 16:
        number = int(text)
        return number * 1000 if number < SECONDS_BELOW else number
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
        else:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 (UTC below)
    except ValueError:
        raise BadReport(
            "expected 'timestamp' as seconds or milliseconds since 1970, ISO 8601 or "
            f"'yyyy-MM-dd HH:mm:ss', got {value[:40]!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Traccar reads its server's zone; ours is UTC
    return int(moment.timestamp() * 1000)


def checked_fix(
    *, time_ms: int, lat: float, lon: float, elevation_m: float | None, now_ms: int
) -> DeviceFix:
    """The position if every value is plausible; BadReport naming the first that is not."""
    if not EARLIEST_TIME_MS <= time_ms <= now_ms + MAX_FUTURE_MS:
        raise BadReport(f"expected a time from 2000-01-01 to now (ms {now_ms}), got {time_ms} ms")
    if not -90 <= lat <= 90:
        raise BadReport(f"expected 'lat' from -90 to 90 degrees, got {lat}")
    if not -180 <= lon <= 180:
        raise BadReport(f"expected 'lon' from -180 to 180 degrees, got {lon}")
    low, high = ELEVATION_RANGE_DM
    if elevation_m is not None and not low <= elevation_m * 10 <= high:
        raise BadReport(
            f"expected 'altitude' from {low / 10:g} to {high / 10:g} m, got {elevation_m}"
        )
    return DeviceFix(time_ms, lat, lon, elevation_m)


def fix_columns(fixes: list[DeviceFix]) -> dict[str, list[int | None]]:
    """Live batch columns (ms, 1e-7 degree, dm, bpm, W) of positions, as a phone's hold them."""
    columns: dict[str, list[int | None]] = {
        "t": [fix.time_ms for fix in fixes],
        "lat": [round(fix.lat * 1e7) for fix in fixes],
        "lon": [round(fix.lon * 1e7) for fix in fixes],
    }
    if any(fix.elevation_m is not None for fix in fixes):
        # A batch's elevation is a delta column without gaps: a missing one repeats the last.
        elevations: list[int | None] = []
        last = next(round(f.elevation_m * 10) for f in fixes if f.elevation_m is not None)
        for fix in fixes:
            last = last if fix.elevation_m is None else round(fix.elevation_m * 10)
            elevations.append(last)
        columns["ele"] = elevations
    # Absolute columns, null where unknown; heart rate is sealed when the batch is stored.
    for key, values in (
        ("hr", [fix.hr_bpm for fix in fixes]),
        ("pwr", [fix.power_w for fix in fixes]),
    ):
        if any(value is not None for value in values):
            columns[key] = values
    return columns


def _token(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise BadReport("expected the device token in 'id' (JSON: 'device_id')")
    if len(value) > MAX_TOKEN_CHARS:
        raise BadReport(f"expected a device token of at most {MAX_TOKEN_CHARS} characters")
    return value


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadReport(f"expected a number in '{name}', got {text[:40]!r}") from None
    if not math.isfinite(value):
        raise BadReport(f"expected a finite number in '{name}', got {text[:40]!r}")
    return value


def _json_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadReport(f"expected a number in '{name}', got {value!r}")
    if not math.isfinite(value):
        raise BadReport(f"expected a finite number in '{name}', got {value!r}")
    return float(value)
