"""Heatmap rasters: tracks as web-mercator pixels, chunked by coarse cells, drawn as counts.

Units: a stored point is a web-mercator pixel at zoom 18 (STORE_ZOOM; 2**26 pixels around the
world, about 0.6 m at the equator), two uint32 per point. A ride is stored at three levels of
detail (LEVELS): whole for tiles of zoom 15 and up, thinned to one point per pixel of a
coarser zoom for the tiles below, so a tile reads about as many points as it has pixels
to draw, not every sample. Each level's points are split into chunks, one per chunk
cell (a tile of the level's chunk zoom): a tile reads only the chunks of the cells it overlaps. Each run of points inside a cell keeps the point before
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


@dataclass(frozen=True)
class Level:
    """A level of detail: the tile zooms it serves, the zoom whose pixels thin its points
    (None: kept whole) and the zoom of its chunk cells."""

    min_zoom: int
    thin_zoom: int | None
    chunk_zoom: int

    @property
    def chunk_shift(self) -> int:
        """Stored pixel >> chunk_shift = chunk cell index."""
        return 8 + STORE_ZOOM - self.chunk_zoom


# Each level serves a band of zooms; its points are thinned to its top zoom's pixels and
# chunked by tiles of that zoom, so a tile reads about its own area's points.
LEVELS = (
    Level(15, None, 16),
    Level(13, 14, 14),
    Level(11, 12, 12),
    Level(8, 10, 10),
    Level(0, 7, 7),
)
CHUNK_ZOOM = LEVELS[0].chunk_zoom
CHUNK_SHIFT = LEVELS[0].chunk_shift
SENTINEL = np.uint32(0xFFFFFFFF)
MAX_ZOOM = 18
MAX_JUMP_PX = 2_000  # ~1.2 km at the equator: a longer step is a GPS jump, not a road
SAMPLE_STEP_PX = 0.5  # samples along a long step: two per tile pixel, so none is skipped
MAX_LAT_DEG = 85.05112878  # web mercator's edge

U32 = NDArray[np.uint32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Chunk:
    """A ride's points inside one chunk cell: (n, 2) uint32 stored pixels with pen-ups."""

    cell_x: int
    cell_y: int
    points: U32


def level_of(z: int) -> int:
    """The index in LEVELS of the level that draws tiles of zoom z."""
    return next(i for i, level in enumerate(LEVELS) if z >= level.min_zoom)


def count_zoom(level: int) -> int:
    """The zoom of the rider's count tiles built from a level's chunks: its thinning zoom,
    or its chunk zoom for the level kept whole."""
    return LEVELS[level].thin_zoom or LEVELS[level].chunk_zoom


def thin(x: U32, y: U32, zoom: int | None) -> tuple[U32, U32]:
    """The points without those in the same pixel of `zoom` as the point before (None:
    all); the last point is kept so the track ends where it ended."""
    if zoom is None or x.shape[0] < 3:
        return x, y
    shift = STORE_ZOOM - zoom  # stored pixel >> shift = pixel of that zoom
    px, py = x >> shift, y >> shift
    keep = np.r_[True, (px[1:] != px[:-1]) | (py[1:] != py[:-1])]
    keep[-1] = True
    return x[keep], y[keep]


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


def split_chunks(x: U32, y: U32, level: int = 0) -> list[Chunk]:
    """The track's points at this level, grouped by chunk cell, each run padded with its
    neighbours."""
    x, y = thin(x, y, LEVELS[level].thin_zoom)
    if x.shape[0] < 2:
        return []
    shift = LEVELS[level].chunk_shift
    cx = (x >> shift).astype(np.int64)
    cy = (y >> shift).astype(np.int64)
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
    """The cells of its level's chunks a tile overlaps: min_x, max_x, min_y, max_y."""
    chunk_zoom = LEVELS[level_of(z)].chunk_zoom
    if z >= chunk_zoom:
        shift = z - chunk_zoom
        return x >> shift, x >> shift, y >> shift, y >> shift
    span = 1 << (chunk_zoom - z)
    return x * span, (x + 1) * span - 1, y * span, (y + 1) * span - 1


def tile_in_range(z: int, x: int, y: int) -> bool:
    """Whether z/x/y names an XYZ tile of the zoom levels served (0 to MAX_ZOOM)."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def tile_counts(chunks: Sequence[Chunk], z: int, x: int, y: int) -> NDArray[np.int64]:
    """A (256, 256) count grid of the tile from chunks of its level (level_of(z)): each
    point counts once in its pixel, and a step longer than a pixel adds samples every half
    pixel between its ends, so lines never break. Points and samples count only inside
    their chunk's own cell (the runs' padding is drawn by the neighbouring chunk); pen-ups
    and steps longer than MAX_JUMP_PX are not drawn."""
    gx, gy = counted_pixels(chunks, z, LEVELS[level_of(z)].chunk_shift)
    return place(gx, gy, np.ones(gx.shape[0], dtype=np.int64), z, x, y)


def place(
    gx: NDArray[np.int64], gy: NDArray[np.int64], counts: NDArray[np.int64], z: int, x: int, y: int
) -> NDArray[np.int64]:
    """A (256, 256) grid of the tile z/x/y from counts at global pixels of zoom z."""
    px, py = gx - x * TILE_PX, gy - y * TILE_PX
    ok = (px >= 0) & (px < TILE_PX) & (py >= 0) & (py < TILE_PX)
    grid = np.bincount(py[ok] * TILE_PX + px[ok], weights=counts[ok], minlength=TILE_PX**2)
    return grid.astype(np.int64).reshape(TILE_PX, TILE_PX)


def counted_pixels(
    chunks: Sequence[Chunk], z: int, cell_shift: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The global pixels (zoom z) of every point and long-step sample the chunks count."""
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    xs, ys, owner_x, owner_y = _gather(chunks, cell_shift)
    shift = STORE_ZOOM - z
    own = (xs >> cell_shift == owner_x) & (ys >> cell_shift == owner_y) & (xs != SENTINEL)
    sx, sy = _long_steps(xs, ys, owner_x, owner_y, z, cell_shift)
    gx = np.concatenate([(xs[own] >> shift).astype(np.int64), sx])
    gy = np.concatenate([(ys[own] >> shift).astype(np.int64), sy])
    return gx, gy


def _gather(chunks: Sequence[Chunk], cell_shift: int) -> tuple[U32, U32, U32, U32]:
    """All chunks' points end to end, with each point's chunk cell (a pen-up between)."""
    pen_up = np.array([[SENTINEL, SENTINEL]], dtype=np.uint32)
    points = np.concatenate([p for c in chunks for p in (c.points, pen_up)])
    sizes = [c.points.shape[0] + 1 for c in chunks]
    cells = np.array([[c.cell_x, c.cell_y] for c in chunks], dtype=np.uint32)
    owner = np.repeat(cells, sizes, axis=0)
    return points[:, 0], points[:, 1], owner[:, 0], owner[:, 1]


def _long_steps(
    xs: U32, ys: U32, owner_x: U32, owner_y: U32, z: int, cell_shift: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    shift = STORE_ZOOM - z
    dx = (xs[1:] >> shift).astype(np.int64) - (xs[:-1] >> shift).astype(np.int64)
    dy = (ys[1:] >> shift).astype(np.int64) - (ys[:-1] >> shift).astype(np.int64)
    drawn = (xs[1:] != SENTINEL) & (xs[:-1] != SENTINEL)
    jump = np.maximum(
        np.abs(xs[1:].astype(np.int64) - xs[:-1]), np.abs(ys[1:].astype(np.int64) - ys[:-1])
    )
    idx = np.flatnonzero(drawn & ((np.abs(dx) > 1) | (np.abs(dy) > 1)) & (jump <= MAX_JUMP_PX))
    if idx.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    scale = float(1 << shift)
    ax, ay = xs[idx] / scale, ys[idx] / scale
    bx, by = xs[idx + 1] / scale, ys[idx + 1] / scale
    steps = np.ceil(np.hypot(bx - ax, by - ay) / SAMPLE_STEP_PX).astype(np.int64)
    which = np.repeat(np.arange(idx.size), steps - 1)  # interior samples only
    k = np.arange(which.size) - (np.cumsum(steps - 1) - (steps - 1))[which] + 1
    t = k / steps[which]
    sx = ax[which] + (bx - ax)[which] * t
    sy = ay[which] + (by - ay)[which] * t
    seg = idx[which]
    ok = ((sx * scale).astype(np.int64) >> cell_shift == owner_x[seg]) & (
        (sy * scale).astype(np.int64) >> cell_shift == owner_y[seg]
    )
    return sx[ok].astype(np.int64), sy[ok].astype(np.int64)


def tile_sparse(
    gx: NDArray[np.int64], gy: NDArray[np.int64]
) -> dict[tuple[int, int], NDArray[np.uint32]]:
    """Counts at global pixels grouped by tile: {(tile x, tile y): (2, n) pixel index
    (row * 256 + column) and count}, for the rider's pre-drawn count tiles."""
    if gx.size == 0:
        return {}
    key = ((gx >> 8) << 40) | ((gy >> 8) << 16) | ((gy & 255) << 8) | (gx & 255)
    keys, counts = np.unique(key, return_counts=True)
    tiles = keys >> 16
    out: dict[tuple[int, int], NDArray[np.uint32]] = {}
    starts = np.flatnonzero(np.r_[True, tiles[1:] != tiles[:-1]])
    for lo, hi in zip(starts.tolist(), [*starts[1:].tolist(), keys.size], strict=True):
        tile = int(tiles[lo])
        pixels = (keys[lo:hi] & 0xFFFF).astype(np.uint32)
        out[(tile >> 24, tile & 0xFFFFFF)] = np.stack([pixels, counts[lo:hi].astype(np.uint32)])
    return out


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
