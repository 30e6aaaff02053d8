"""Pure live-tracking rules: batch decoding and checks, resume plans, rate limits, backoff.

No I/O here. Group-ride geometry lives in ``bikenode.live.groups``.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from bikenode.geo import haversine_m

# Earliest plausible position time: 2000-01-01 (GPS week rollovers produce 1980s and 2019s).
EARLIEST_TIME_MS: Final = 946_684_800_000
# A phone clock may run ahead a little; more than this is a bad clock, not a ride.
MAX_FUTURE_MS: Final = 5 * 60 * 1000
DELTA_KEYS: Final = ("t", "lat", "lon", "ele")  # first value absolute, the others deltas
ABSOLUTE_KEYS: Final = ("hr", "pwr", "cad")  # each value absolute, null when unknown
# Plausible ranges of the absolute sensor values (bpm, W, rpm) and elevation (dm).
SENSOR_RANGES: Final = {"hr": (20, 260), "pwr": (0, 3000), "cad": (0, 250)}
ELEVATION_RANGE_DM: Final = (-5_000, 90_000)
FloatArray = npt.NDArray[np.float64]


class BadFrame(ValueError):
    """A frame the server refuses; ``code`` is the machine-readable reason in the error frame."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Batch:
    """One decoded position batch: absolute integer columns (ms, 1e-7 degree, dm, ...)."""

    batch_no: int
    columns: dict[str, list[int | None]]

    @property
    def point_count(self) -> int:
        """Number of points in the batch."""
        return len(self.columns["t"])

    @property
    def first_time_ms(self) -> int:
        """Time of the first point, ms since the Unix epoch."""
        return int(self.columns["t"][0] or 0)

    @property
    def last_time_ms(self) -> int:
        """Time of the last point, ms since the Unix epoch."""
        return int(self.columns["t"][-1] or 0)


def parse_frame(text: str, *, max_bytes: int) -> dict[str, Any]:
    """The JSON object in a text frame; BadFrame if it is too large, not JSON or not an object."""
    size = len(text.encode())
    if size > max_bytes:
        raise BadFrame("too_large", f"expected a frame of at most {max_bytes} bytes, got {size}")
    try:
        value = json.loads(text)
    except ValueError as error:
        raise BadFrame("malformed", f"expected a JSON object, got invalid JSON ({error})") from None
    except RecursionError:
        raise BadFrame("malformed", "expected a JSON object, got one nested too deep") from None
    if not isinstance(value, dict):
        raise BadFrame("malformed", f"expected a JSON object, got {type(value).__name__}")
    if not isinstance(value.get("type"), str):
        raise BadFrame("malformed", "expected a string field 'type'")
    return value


def decode_batch(
    frame: dict[str, Any], *, max_points: int, after_time_ms: int | None, now_ms: int
) -> Batch:
    """A checked, absolute batch from a rider's delta-encoded batch frame.

    Raises BadFrame for a bad shape, a value out of range or a time that goes back (not after
    ``after_time_ms``, the last stored point of the session).
    """
    batch_no = frame.get("batch")
    if not isinstance(batch_no, int) or isinstance(batch_no, bool) or not 0 < batch_no < 2**31:
        raise BadFrame("malformed", f"expected 'batch' as an integer from 1, got {batch_no!r}")
    times = frame.get("t")
    if not isinstance(times, list) or not 0 < len(times) <= max_points:
        got = len(times) if isinstance(times, list) else type(times).__name__
        raise BadFrame("malformed", f"expected 't' with 1 to {max_points} values, got {got}")
    count = len(times)
    columns: dict[str, list[int | None]] = {}
    for key in DELTA_KEYS:
        if key in frame:
            columns[key] = list(_undelta(key, frame[key], count))
    for key in ABSOLUTE_KEYS:
        if key in frame:
            columns[key] = _absolute(key, frame[key], count)
    if ("lat" in columns) != ("lon" in columns):
        raise BadFrame("malformed", "expected both 'lat' and 'lon', or neither")
    _check_ranges(columns, after_time_ms=after_time_ms, now_ms=now_ms)
    return Batch(batch_no=batch_no, columns=columns)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _undelta(key: str, raw: object, count: int) -> list[int]:
    if not isinstance(raw, list) or len(raw) != count:
        got = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise BadFrame("malformed", f"expected '{key}' with {count} integers, got {got}")
    values: list[int] = []
    total = 0
    for item in raw:
        if not _is_int(item) or abs(item) > 2**53:
            raise BadFrame("malformed", f"expected integers in '{key}', got {item!r}")
        total += item
        values.append(total)
    return values


def _absolute(key: str, raw: object, count: int) -> list[int | None]:
    if not isinstance(raw, list) or len(raw) != count:
        got = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise BadFrame("malformed", f"expected '{key}' with {count} values, got {got}")
    low, high = SENSOR_RANGES[key]
    for item in raw:
        if item is None:
            continue
        if not _is_int(item):
            raise BadFrame("malformed", f"expected integers or null in '{key}', got {item!r}")
        if not low <= item <= high:
            raise BadFrame("out_of_range", f"expected '{key}' from {low} to {high}, got {item}")
    return list(raw)


def _check_ranges(
    columns: dict[str, list[int | None]], *, after_time_ms: int | None, now_ms: int
) -> None:
    times = [int(t or 0) for t in columns["t"]]
    if times[0] < EARLIEST_TIME_MS or times[-1] > now_ms + MAX_FUTURE_MS:
        raise BadFrame(
            "out_of_range",
            f"expected times from 2000-01-01 to now (ms {now_ms}), got {times[0]}..{times[-1]}",
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(times)):
        raise BadFrame("time_backwards", "expected strictly increasing times within the batch")
    if after_time_ms is not None and times[0] <= after_time_ms:
        raise BadFrame(
            "time_backwards",
            f"expected the first time after the last stored point ({after_time_ms} ms), "
            f"got {times[0]} ms",
        )
    for key, limit in (("lat", 900_000_000), ("lon", 1_800_000_000)):
        for value in columns.get(key, ()):
            if value is None or abs(value) > limit:
                raise BadFrame(
                    "out_of_range", f"expected '{key}' within ±{limit / 1e7:g} degrees, got {value}"
                )
    low, high = ELEVATION_RANGE_DM
    for value in columns.get("ele", ()):
        if value is None or not low <= value <= high:
            raise BadFrame("out_of_range", f"expected 'ele' from {low} to {high} dm, got {value}")


def positions_payload(
    session_id: str, batch_no: int, columns: dict[str, list[int | None]]
) -> bytes:
    """The channel message for a batch: absolute values in display units, encoded once.

    ``columns`` may have fewer points than the batch (privacy zones cut), even none.
    """
    body: dict[str, Any] = {"kind": "positions", "session": session_id, "batch": batch_no}
    body.update(batch_display_columns(columns))
    return json.dumps(body, separators=(",", ":")).encode()


def last_position(
    columns: dict[str, list[int | None]],
) -> tuple[float, float, int, float | None] | None:
    """The batch's last point with a position: (lat, lon, time ms, speed m/s or None)."""
    if "lat" not in columns or "lon" not in columns:
        return None
    fixes = [
        (lat * 1e-7, lon * 1e-7, int(t or 0))
        for lat, lon, t in zip(columns["lat"], columns["lon"], columns["t"], strict=True)
        if lat is not None and lon is not None
    ]
    if not fixes:
        return None
    lat, lon, time_ms = fixes[-1]
    speed = None
    if len(fixes) > 1 and time_ms > fixes[-2][2]:
        step_m = float(haversine_m(fixes[-2][0], fixes[-2][1], lat, lon))
        speed = round(step_m / ((time_ms - fixes[-2][2]) / 1000), 2)
    return round(lat, 7), round(lon, 7), time_ms, speed


def batch_display_columns(columns: dict[str, list[int | None]]) -> dict[str, list[Any]]:
    """Columns in wire units: t in ms, lat/lon in degrees (7 decimals), ele in m, sensors as is."""
    shown: dict[str, list[Any]] = {"t": columns.get("t", [])}
    for key in ("lat", "lon"):
        if key in columns:
            shown[key] = [round(int(v or 0) / 1e7, 7) for v in columns[key]]
    if "ele" in columns:
        shown["ele"] = [round(int(v or 0) / 10, 1) for v in columns["ele"]]
    for key in ABSOLUTE_KEYS:
        if key in columns:
            shown[key] = columns[key]
    return shown


def encode_batch(batch_no: int, columns: dict[str, list[int | None]]) -> dict[str, Any]:
    """The rider's frame for absolute integer columns (the inverse of decode_batch)."""
    frame: dict[str, Any] = {"type": "batch", "batch": batch_no}
    for key, values in columns.items():
        if key in DELTA_KEYS:
            ints = [int(v or 0) for v in values]
            frame[key] = [ints[0], *(b - a for a, b in itertools.pairwise(ints))]
        else:
            frame[key] = list(values)
    return frame


def message_frame(seq: int, data: bytes) -> str:
    """A sequenced channel message as viewers receive it, built once for every subscriber."""
    return f'{{"type":"msg","seq":{seq},"data":{data.decode()}}}'


ResumeKind = Literal["live", "resume", "gap", "new_epoch"]


@dataclass(frozen=True)
class ResumePlan:
    """What a (re)connecting subscriber gets before live messages.

    ``replay_from`` is the first sequence number to replay (None: nothing to replay);
    ``missed`` is the inclusive range the history no longer holds (an explicit gap notice).
    """

    kind: ResumeKind
    replay_from: int | None
    missed: tuple[int, int] | None = None


def plan_resume(
    *,
    client_epoch: str | None,
    client_last_seq: int | None,
    epoch: str,
    first_seq: int,
    last_seq: int,
) -> ResumePlan:
    """How to bring a subscriber from its last sequence number up to the channel's last one.

    ``first_seq``..``last_seq`` is what the history window holds (first_seq > last_seq when
    it is empty). A client without a last sequence starts live; one from another epoch gets a
    new-epoch notice and the whole window; one whose gap is older than the window gets a gap
    notice naming the missed range, then the window.
    """
    if client_last_seq is None:
        return ResumePlan("live", None)
    if client_epoch != epoch:
        return ResumePlan("new_epoch", first_seq if first_seq <= last_seq else None)
    wanted = client_last_seq + 1
    if wanted > last_seq:
        return ResumePlan("resume", None)
    if wanted >= first_seq:
        return ResumePlan("resume", wanted)
    return ResumePlan("gap", first_seq, missed=(wanted, first_seq - 1))


def reconnect_delay_s(
    attempt: int, *, base_s: float = 0.5, cap_s: float = 30.0, jitter: float = 1.0
) -> float:
    """The documented client backoff: full jitter over min(cap, base * 2**attempt).

    ``jitter`` is a uniform random number in [0, 1] supplied by the caller.
    """
    ceiling = min(cap_s, base_s * math.pow(2, max(0, attempt)))
    return ceiling * min(1.0, max(0.0, jitter))


STREAM_OF_COLUMN: Final = {
    "t": ("time_s", 1e-3),
    "lat": ("lat_deg", 1e-7),
    "lon": ("lon_deg", 1e-7),
    "ele": ("elevation_m", 0.1),
    "hr": ("hr_bpm", 1.0),
    "pwr": ("power_w", 1.0),
    "cad": ("cadence_rpm", 1.0),
}


def streams_from_batches(batches: list[dict[str, list[int | None]]]) -> dict[str, FloatArray]:
    """A ride's streams (the rides domain's names and units) from stored batch columns in order.

    A column a batch lacks becomes NaN for that batch's points.
    """
    total = sum(len(b["t"]) for b in batches)
    present = {key for b in batches for key in b}
    streams: dict[str, FloatArray] = {}
    for key, (name, scale) in STREAM_OF_COLUMN.items():
        if key not in present:
            continue
        values = np.full(total, np.nan)
        start = 0
        for batch in batches:
            count = len(batch["t"])
            column = batch.get(key)
            if column is not None:
                values[start : start + count] = [np.nan if v is None else v for v in column]
            start += count
        streams[name] = values * scale
    return streams


def trail(batches: list[dict[str, list[int | None]]], *, max_points: int) -> dict[str, list[Any]]:
    """The track so far in wire units, thinned evenly to at most ``max_points`` (last kept)."""
    merged: dict[str, list[int | None]] = {}
    for batch in batches:
        for key in ("t", "lat", "lon"):
            if key in batch:
                merged.setdefault(key, []).extend(batch[key])
    count = len(merged.get("t", []))
    if count > max_points > 1:
        step = (count - 1) / (max_points - 1)
        keep = [round(i * step) for i in range(max_points)]
        merged = {key: [values[i] for i in keep] for key, values in merged.items()}
    return batch_display_columns(merged) if merged else {}
