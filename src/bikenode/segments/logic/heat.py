"""Heatmap rasters: tracks as web-mercator pixels, chunked by coarse cells, drawn as counts.

Units: a stored point is a web-mercator pixel at zoom 18 (STORE_ZOOM; 2**26 pixels around the
world, about 0.6 m at the equator), two uint32 per point. A ride's points are split into
chunks, one per chunk cell (a zoom-13 tile, about 4.9 km at the equator): a tile reads only
the chunks of the cells it overlaps. Each run of points inside a cell keeps the point before
it and the one after it, so the segments that cross the cell's edge are drawn; the renderer
keeps only the samples inside the chunk's own cell, so such a segment is counted once.
Runs inside a chunk are separated by a pen-up row (SENTINEL, SENTINEL).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

STORE_ZOOM = 18
TILE_PX = 256
WORLD_PX = TILE_PX << STORE_ZOOM  # 2**26 stored pixels around the world
CHUNK_ZOOM = 13
CHUNK_SHIFT = 8 + STORE_ZOOM - CHUNK_ZOOM  # stored pixel >> CHUNK_SHIFT = chunk cell index
SENTINEL = np.uint32(0xFFFFFFFF)
MAX_ZOOM = 18
MAX_JUMP_PX = 2_000  # ~1.2 km at the equator: a longer step is a GPS jump, not a road
SAMPLE_STEP_PX = 0.5  # samples per segment: two per tile pixel, so no pixel is skipped
MAX_LAT_DEG = 85.05112878  # web mercator's edge

U32 = NDArray[np.uint32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Chunk:
    """A ride's points inside one chunk cell: (n, 2) uint32 stored pixels with pen-ups."""

    cell_x: int
    cell_y: int
    points: U32


def to_store_px(lat_deg: F64, lon_deg: F64) -> tuple[U32, U32]:
    """Stored pixels (zoom 18 web mercator) of the positioned points; NaNs dropped."""
    ok = np.isfinite(lat_deg) & np.isfinite(lon_deg)
    lat = np.clip(lat_deg[ok], -MAX_LAT_DEG, MAX_LAT_DEG)
    lon = np.clip(lon_deg[ok], -180.0, 180.0)
    x = (lon + 180.0) / 360.0 * WORLD_PX
    sin = np.sin(np.radians(lat))
    y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * WORLD_PX
    top = WORLD_PX - 1
    return (
        np.clip(x, 0, top).astype(np.uint32),
        np.clip(y, 0, top).astype(np.uint32),
    )


def from_store_px(x: U32, y: U32) -> tuple[F64, F64]:
    """Latitude and longitude (degrees) of stored pixels: the inverse of to_store_px."""
    lon = x.astype(np.float64) / WORLD_PX * 360.0 - 180.0
    n = math.pi - 2.0 * math.pi * y.astype(np.float64) / WORLD_PX
    lat = np.degrees(np.arctan(np.sinh(n)))
    return lat, lon


def split_chunks(x: U32, y: U32) -> list[Chunk]:
    """The track's points grouped by chunk cell, each run padded with its neighbours."""
    if x.shape[0] < 2:
        return []
    cx = (x >> CHUNK_SHIFT).astype(np.int64)
    cy = (y >> CHUNK_SHIFT).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, (cx[1:] != cx[:-1]) | (cy[1:] != cy[:-1])])
    ends = np.r_[starts[1:], x.shape[0]]
    runs: dict[tuple[int, int], list[U32]] = {}
    pen_up = np.array([[SENTINEL, SENTINEL]], dtype=np.uint32)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        lo, hi = max(start - 1, 0), min(end + 1, x.shape[0])
        run = np.stack([x[lo:hi], y[lo:hi]], axis=1)
        parts = runs.setdefault((int(cx[start]), int(cy[start])), [])
        if parts:
            parts.append(pen_up)
        parts.append(run)
    return [Chunk(c[0], c[1], np.concatenate(parts)) for c, parts in runs.items()]


def tile_cells(z: int, x: int, y: int) -> tuple[int, int, int, int]:
    """The chunk cells a tile overlaps: min_x, max_x, min_y, max_y, inclusive."""
    if z >= CHUNK_ZOOM:
        shift = z - CHUNK_ZOOM
        return x >> shift, x >> shift, y >> shift, y >> shift
    span = 1 << (CHUNK_ZOOM - z)
    return x * span, (x + 1) * span - 1, y * span, (y + 1) * span - 1


def tile_in_range(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names an XYZ tile of the zoom levels served (0 to MAX_ZOOM)."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def tile_counts(chunks: Sequence[Chunk], z: int, x: int, y: int) -> NDArray[np.int64]:
    """A (256, 256) count grid: how many track samples fell into each pixel of the tile.

    Segments are sampled every half pixel (so a line never skips a pixel); pen-ups and steps
    longer than MAX_JUMP_PX are not drawn; samples outside their chunk's cell are dropped."""
    grid = np.zeros(TILE_PX * TILE_PX, dtype=np.int64)
    if not chunks:
        return grid.reshape(TILE_PX, TILE_PX)
    points = np.concatenate([c.points for c in chunks]).astype(np.int64)
    owner = np.repeat(np.arange(len(chunks)), [c.points.shape[0] for c in chunks])
    cells = np.array([[c.cell_x, c.cell_y] for c in chunks], dtype=np.int64)
    a, b = points[:-1], points[1:]
    keep = (owner[:-1] == owner[1:]) & (a[:, 0] != int(SENTINEL)) & (b[:, 0] != int(SENTINEL))
    keep &= np.abs(b - a).max(axis=1) <= MAX_JUMP_PX
    scale = float(1 << (STORE_ZOOM - z))
    origin = np.array([x * TILE_PX, y * TILE_PX], dtype=np.float64)
    ua, ub = a / scale - origin, b / scale - origin
    keep &= ~((ua < 0) & (ub < 0)).any(axis=1) & ~((ua >= TILE_PX) & (ub >= TILE_PX)).any(axis=1)
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return grid.reshape(TILE_PX, TILE_PX)
    ua, ub, seg_cell = ua[idx], ub[idx], cells[owner[idx]]
    steps = np.ceil(np.hypot(*(ub - ua).T) / SAMPLE_STEP_PX).astype(np.int64) + 1
    which = np.repeat(np.arange(idx.size), steps)
    first = np.cumsum(steps) - steps
    t = (np.arange(which.size) - first[which]) / np.maximum(steps[which] - 1, 1)
    u = ua[which] + (ub[which] - ua[which]) * t[:, None]
    # Stored-pixel position of each sample, to keep only those inside the chunk's own cell.
    g = ((u + origin) * scale).astype(np.int64) >> CHUNK_SHIFT
    inside = (g == seg_cell[which]).all(axis=1) & (u >= 0).all(axis=1) & (u < TILE_PX).all(axis=1)
    px = u[inside].astype(np.int64)
    grid += np.bincount(px[:, 1] * TILE_PX + px[:, 0], minlength=TILE_PX * TILE_PX)
    return grid.reshape(TILE_PX, TILE_PX)


def _ramp() -> NDArray[np.uint8]:
    """256 RGBA colours from a faint deep red through orange and yellow to white."""
    stops = np.array(
        [
            [0.0, 120, 0, 20, 90],
            [0.35, 220, 30, 30, 170],
            [0.7, 255, 170, 0, 220],
            [1.0, 255, 255, 220, 255],
        ],
        dtype=np.float64,
    )
    level = np.linspace(0.0, 1.0, 256)
    channels = [np.interp(level, stops[:, 0], stops[:, i]) for i in range(1, 5)]
    return np.stack(channels, axis=1).round().astype(np.uint8)


RAMP = _ramp()


def colour(counts: NDArray[np.int64] | NDArray[np.float64]) -> NDArray[np.uint8]:
    """(256, 256, 4) RGBA pixels: log-scaled counts (relative to the tile's highest) on the
    ramp; transparent where the count is zero."""
    values = np.asarray(counts, dtype=np.float64)
    top = float(values.max()) if values.size else 0.0
    if top <= 0:
        return np.zeros((*values.shape, 4), dtype=np.uint8)
    level = np.log1p(np.maximum(values, 0)) / math.log1p(top)
    pixels = RAMP[np.clip((level * 255).astype(np.int64), 0, 255)]
    pixels[values <= 0] = 0
    return pixels
