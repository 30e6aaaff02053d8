"""Match a ride's track against a segment: the efforts (passes) it holds, timed at the gates.

The rules (after Strava's published ones, with geo-activity-playground's tolerance):

- the ride must cross the start gate, a line perpendicular to the segment's first metres,
  at most GATE_HALF_WIDTH_M either side of the start, moving in the segment's direction;
- then pass every point of the segment, densified to DENSE_STEP_M, within TOLERANCE_M of the
  ride's polyline (its samples joined by straight lines, so 5 s recordings match), in order;
- then cross the end gate the same way; no two consecutive samples inside the effort may be
  more than MAX_GAP_M apart (a recording gap hides where the rider went);
- start and end times are interpolated where the ride's line crosses each gate: the start
  is when the rider last leaves the start gate, the end when they first reach the end gate.

Several passes give several efforts (laps); passes never overlap, and of two starts that
reach the same end the later one counts. Out-and-back and loop segments follow from the
order rule: the same place is passed twice, each pass at its own position in the order.
Times are seconds (epoch or any origin), distances metres, positions degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bikenode.segments.logic.geometry import FloatArray, project

TOLERANCE_M = 20.0
GATE_HALF_WIDTH_M = 25.0
DENSE_STEP_M = 20.0
MAX_GAP_M = 250.0
GATE_DIRECTION_M = 15.0  # how far along the path the gate's direction is taken
MOVING_SPEED_MPS = 0.5  # below this between samples the rider counts as stopped
_ROWS_PER_CHUNK = 32
_WINDOW_FACTOR = 3.0  # a pass may ride at most ~3x the segment (plus 1 km) before its end


@dataclass(frozen=True)
class SegmentPath:
    """A segment prepared for matching: its dense points and gates in its own plane."""

    lat0: float
    lon0: float
    dense: FloatArray  # (k, 2) metres
    length_m: float
    start_dir: FloatArray
    end_dir: FloatArray
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


@dataclass(frozen=True)
class Track:
    """A ride's usable samples: finite time and position, time strictly increasing."""

    time_s: FloatArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    index: npt.NDArray[np.int64]  # each sample's index in the ride's own streams
    power_w: FloatArray | None = None
    hr_bpm: FloatArray | None = None


@dataclass(frozen=True)
class Match:
    """One effort: when it started (the ride's time base), elapsed and moving seconds, the
    ride sample indices bracketing it, and mean power and heart rate of the samples inside."""

    start_s: float
    elapsed_s: float
    moving_s: float
    start_index: int
    end_index: int
    avg_power_w: float | None
    avg_hr_bpm: float | None


def prepare_segment(lat_deg: FloatArray, lon_deg: FloatArray) -> SegmentPath:
    """The segment's dense points (every DENSE_STEP_M at most) and its two gate directions."""
    lat, lon = np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    xy = project(float(lat[0]), float(lon[0]), lat, lon)
    dense = _densify(xy, DENSE_STEP_M)
    steps = np.hypot(*np.diff(dense, axis=0).T)
    along = np.concatenate(([0.0], np.cumsum(steps)))
    length = float(along[-1])
    start_dir = _unit(dense[_first_beyond(along, GATE_DIRECTION_M)] - dense[0])
    back = np.searchsorted(along, length - GATE_DIRECTION_M, side="right") - 1
    end_dir = _unit(dense[-1] - dense[max(int(back), 0)])
    margin = (TOLERANCE_M + GATE_HALF_WIDTH_M) / 111_000.0
    lon_margin = margin / max(math.cos(math.radians(float(np.abs(lat).max()))), 1e-6)
    return SegmentPath(
        float(lat[0]),
        float(lon[0]),
        dense,
        length,
        start_dir,
        end_dir,
        float(lat.min()) - margin,
        float(lat.max()) + margin,
        float(lon.min()) - lon_margin,
        float(lon.max()) + lon_margin,
    )


def clean_track(
    time_s: FloatArray,
    lat_deg: FloatArray,
    lon_deg: FloatArray,
    power_w: FloatArray | None = None,
    hr_bpm: FloatArray | None = None,
) -> Track:
    """The samples a matcher may use: finite time and position, each later than the last."""
    time, lat, lon = (np.asarray(a, dtype=np.float64) for a in (time_s, lat_deg, lon_deg))
    ok = np.isfinite(time) & np.isfinite(lat) & np.isfinite(lon)
    index = np.flatnonzero(ok)
    keep = np.ones(len(index), dtype=bool)
    if len(index) > 1:
        # A sample not after the previous kept one is a device glitch: drop it.
        keep[1:] = time[index][1:] > np.maximum.accumulate(time[index])[:-1]
    index = index[keep]

    def pick(values: FloatArray | None) -> FloatArray | None:
        return None if values is None else np.asarray(values, dtype=np.float64)[index]

    return Track(time[index], lat[index], lon[index], index, pick(power_w), pick(hr_bpm))


def match_segment(track: Track, segment: SegmentPath) -> list[Match]:
    """Every effort of the ride on the segment, in time order (none if it never passes)."""
    near = _near_mask(track, segment)
    if near.sum() < 2:
        return []
    lo, hi = _span(near)
    xy = project(segment.lat0, segment.lon0, track.lat_deg[lo:hi], track.lon_deg[lo:hi])
    starts = _gate_crossings(xy, segment.dense[0], segment.start_dir, leaving=True)
    ends = _gate_crossings(xy, segment.dense[-1], segment.end_dir, leaving=False)
    if not len(starts) or not len(ends):
        return []
    seg_len = np.hypot(*np.diff(xy, axis=0).T)
    cum = np.concatenate(([0.0], np.cumsum(seg_len)))
    by_end: dict[int, tuple[int, float, int, float]] = {}
    for start_i, start_f in starts:
        found = _pass_from(xy, cum, seg_len, segment, int(start_i), ends)
        if found is not None:
            end_i, end_f = found
            by_end[end_i] = (int(start_i), float(start_f), end_i, end_f)  # later start wins
    chosen, last_end = [], -1
    for start_i, start_f, end_i, end_f in sorted(by_end.values()):
        if start_i >= last_end:
            chosen.append(_effort(track, lo, start_i, start_f, end_i, end_f))
            last_end = end_i
    return chosen


def _near_mask(track: Track, segment: SegmentPath) -> npt.NDArray[np.bool_]:
    return (
        (track.lat_deg >= segment.min_lat)
        & (track.lat_deg <= segment.max_lat)
        & (track.lon_deg >= segment.min_lon)
        & (track.lon_deg <= segment.max_lon)
    )


def _span(near: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """The index range holding every sample near the segment, one sample wider each side
    (a gate crossing needs the sample before it)."""
    where = np.flatnonzero(near)
    return max(int(where[0]) - 1, 0), min(int(where[-1]) + 2, len(near))


def _gate_crossings(
    xy: FloatArray, centre: FloatArray, direction: FloatArray, *, leaving: bool
) -> list[tuple[int, float]]:
    """(i, f): the ride's line i→i+1 crosses the gate at fraction f, moving forward.
    leaving: the last moment at the gate (a ≤ 0 < a'); else the first (a < 0 ≤ a')."""
    rel = xy - centre
    along = rel @ direction
    lateral = rel @ np.array([-direction[1], direction[0]])
    a0, a1 = along[:-1], along[1:]
    hit = (a0 <= 0) & (a1 > 0) if leaving else (a0 < 0) & (a1 >= 0)
    out = []
    for i in np.flatnonzero(hit):
        f = float(-a0[i] / (a1[i] - a0[i]))
        side = lateral[i] + f * (lateral[i + 1] - lateral[i])
        if abs(side) <= GATE_HALF_WIDTH_M:
            out.append((int(i), f))
    return out


def _pass_from(
    xy: FloatArray,
    cum: FloatArray,
    seg_len: FloatArray,
    segment: SegmentPath,
    start_i: int,
    ends: list[tuple[int, float]],
) -> tuple[int, float] | None:
    """The end crossing of a pass begun at start_i, or None if the ride leaves the path."""
    limit = cum[start_i] + _WINDOW_FACTOR * segment.length_m + 1000.0
    stop = int(np.searchsorted(cum, limit, side="right"))
    stop = max(min(stop, len(xy)), start_i + 2)
    a, b = xy[start_i : stop - 1], xy[start_i + 1 : stop]
    inner = segment.dense[1:-1]
    column = 0
    # Rows in chunks, each first against the stretch of ride a steady pass would use (far
    # fewer columns), then against the whole window if that finds no place for a row.
    for first in range(0, len(inner), _ROWS_PER_CHUNK):
        rows = inner[first : first + _ROWS_PER_CHUNK]
        reach = cum[start_i + column] + _WINDOW_FACTOR * len(rows) * DENSE_STEP_M + 500.0
        near_end = int(np.searchsorted(cum, reach, side="right")) - start_i
        offset = _ordered_hits(rows, a[column:near_end], b[column:near_end])
        if offset is None and near_end < len(a):
            offset = _ordered_hits(rows, a[column:], b[column:])
        if offset is None:
            return None
        column += offset
    reached = start_i + column
    for end_i, end_f in ends:
        if end_i >= reached and end_i < stop - 1:
            if seg_len[start_i : end_i + 1].max(initial=0.0) > MAX_GAP_M:
                return None
            return end_i, end_f
    return None


def _ordered_hits(rows: FloatArray, a: FloatArray, b: FloatArray) -> int | None:
    """The column of the last row's hit when each row finds a ride line within tolerance at
    or after the previous row's (greedy earliest: if any ordered placement exists, this finds
    one); None if some row finds none."""
    if not len(a):
        return None
    near = _within(rows, a, b)
    columns = near.shape[1]
    # For each row and column, the first column at or after it where the row hits (or
    # `columns`): the greedy walk is then one lookup per row.
    hit_at = np.where(near, np.arange(columns), columns)
    next_hit = np.minimum.accumulate(hit_at[:, ::-1], axis=1)[:, ::-1]
    offset = 0
    for row in range(len(next_hit)):
        offset = int(next_hit[row, offset])
        if offset == columns:
            return None
    return offset


def _within(points: FloatArray, a: FloatArray, b: FloatArray) -> npt.NDArray[np.bool_]:
    """(k, m): whether point k lies within TOLERANCE_M of the ride's line a[m]→b[m]."""
    abx, aby = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    length2 = abx * abx + aby * aby
    length2[length2 == 0.0] = 1.0
    px = points[:, :1] - a[:, 0]
    py = points[:, 1:2] - a[:, 1]
    t = np.clip((px * abx + py * aby) / length2, 0.0, 1.0)
    dx, dy = px - t * abx, py - t * aby
    return np.asarray(dx * dx + dy * dy <= TOLERANCE_M**2)


def _effort(track: Track, lo: int, start_i: int, start_f: float, end_i: int, end_f: float) -> Match:
    """The effort between the two crossings (indices relative to lo), timed at the gates."""
    time = track.time_s[lo:]
    t0 = time[start_i] + start_f * (time[start_i + 1] - time[start_i])
    t1 = time[end_i] + end_f * (time[end_i + 1] - time[end_i])
    moving = _moving_s(track, lo + start_i, lo + end_i + 1, t0, t1)
    inside = slice(lo + start_i + 1, lo + end_i + 1)
    return Match(
        start_s=float(t0),
        elapsed_s=float(t1 - t0),
        moving_s=moving,
        start_index=int(track.index[lo + start_i]),
        end_index=int(track.index[lo + end_i + 1]),
        avg_power_w=_mean(track.power_w, inside),
        avg_hr_bpm=_mean(track.hr_bpm, inside),
    )


def _moving_s(track: Track, first: int, last: int, t0: float, t1: float) -> float:
    """Elapsed seconds less those between samples closer than MOVING_SPEED_MPS (stopped)."""
    time = track.time_s[first : last + 1]
    xy = project(
        float(track.lat_deg[first]),
        float(track.lon_deg[first]),
        track.lat_deg[first : last + 1],
        track.lon_deg[first : last + 1],
    )
    dt = np.diff(time)
    speed = np.hypot(*np.diff(xy, axis=0).T) / dt
    stopped = float(dt[speed < MOVING_SPEED_MPS].sum())
    return max(float(t1 - t0) - stopped, 0.0)


def _mean(values: FloatArray | None, inside: slice) -> float | None:
    if values is None:
        return None
    part = values[inside]
    part = part[np.isfinite(part)]
    return round(float(part.mean()), 1) if len(part) else None


def _densify(xy: FloatArray, step_m: float) -> FloatArray:
    """The polyline with points added so none is more than step_m from the next."""
    edges = np.diff(xy, axis=0)
    pieces = np.maximum(np.ceil(np.hypot(*edges.T) / step_m), 1).astype(np.int64)
    edge = np.repeat(np.arange(len(edges)), pieces)
    # Fraction along each edge: 1/p, 2/p, ..., 1 for an edge cut into p pieces.
    offsets = np.arange(len(edge)) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 1
    fraction = offsets / pieces[edge]
    return np.vstack((xy[:1], xy[edge] + fraction[:, None] * edges[edge]))


def _first_beyond(along: FloatArray, distance_m: float) -> int:
    index = int(np.searchsorted(along, distance_m, side="left"))
    return min(max(index, 1), len(along) - 1)


def _unit(vector: FloatArray) -> FloatArray:
    norm = float(np.hypot(*vector))
    return vector / norm if norm > 0 else np.array([1.0, 0.0])
