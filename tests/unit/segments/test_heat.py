"""Heatmap rasters: stored pixels, chunks and their edges, tile ranges, the colour ramp."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bikenode.segments.logic.heat import (
    CHUNK_SHIFT,
    LEVELS,
    SENTINEL,
    Chunk,
    colour,
    counted_pixels,
    from_store_px,
    level_of,
    split_chunks,
    tile_cells,
    tile_counts,
    tile_in_range,
    tile_sparse,
    to_store_px,
)


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    x, y = to_store_px(np.array([lat]), np.array([lon]))
    return int(x[0]) >> (8 + 18 - z), int(y[0]) >> (8 + 18 - z)


def one_chunk(x: np.ndarray, y: np.ndarray) -> list[Chunk]:
    """The whole track as one chunk of the first point's cell."""
    cell_x, cell_y = int(x[0]) >> CHUNK_SHIFT, int(y[0]) >> CHUNK_SHIFT
    return [Chunk(cell_x, cell_y, np.stack([x, y], axis=1).astype(np.uint32))]


def reference_counts(x: np.ndarray, y: np.ndarray, z: int, tx: int, ty: int) -> np.ndarray:
    """Segment by segment, with no chunks: each point once in its pixel, and for a step of
    more than a pixel its interior samples every half pixel or less."""
    grid = np.zeros((256, 256), dtype=np.int64)
    shift = 18 - z
    for px, py in zip((x >> shift).tolist(), (y >> shift).tolist(), strict=True):
        if 0 <= px - tx * 256 < 256 and 0 <= py - ty * 256 < 256:
            grid[py - ty * 256, px - tx * 256] += 1
    u = np.stack([x / float(1 << shift), y / float(1 << shift)], axis=1)
    for i, (a, b) in enumerate(itertools.pairwise(u)):
        if (
            max(
                abs(int(x[i + 1] >> shift) - int(x[i] >> shift)),
                abs(int(y[i + 1] >> shift) - int(y[i] >> shift)),
            )
            <= 1
        ):
            continue
        steps = int(np.ceil(np.hypot(*(b - a)) / 0.5))
        for k in range(1, steps):
            px, py = (a + (b - a) * (k / steps)).astype(np.int64)
            if 0 <= px - tx * 256 < 256 and 0 <= py - ty * 256 < 256:
                grid[py - ty * 256, px - tx * 256] += 1
    return grid


@given(
    st.floats(-85.0, 85.0, allow_nan=False),
    st.floats(-179.999, 179.999, allow_nan=False),
)
def test_stored_pixels_round_trip_within_a_metre(lat: float, lon: float) -> None:
    x, y = to_store_px(np.array([lat]), np.array([lon]))
    back_lat, back_lon = from_store_px(x, y)
    assert back_lat[0] == pytest.approx(lat, abs=1e-5)
    assert back_lon[0] == pytest.approx(lon, abs=1e-5)


def test_positions_missing_are_dropped_not_drawn_at_null_island() -> None:
    x, _ = to_store_px(np.array([45.0, np.nan, 45.1]), np.array([6.0, 6.0, np.nan]))
    assert x.shape == (1,)


def test_a_line_crossing_chunk_cells_is_drawn_once_and_whole() -> None:
    # A straight road 1.5 km west to east, a sample every 5 m: it crosses zoom-16 cells.
    lon = np.linspace(6.0, 6.02, 300)
    x, y = to_store_px(np.full(lon.shape, 45.0), lon)
    chunks = split_chunks(x, y)
    assert len(chunks) >= 3
    z = 15  # level 0 (whole tracks), a tile of four zoom-16 cells: several chunks read
    tx, ty = tile_of(45.0, 6.01, z)
    split = tile_counts(chunks, z, tx, ty)
    assert split.sum() > 0
    assert np.array_equal(split, reference_counts(x, y, z, tx, ty))


def test_a_chunk_keeps_pen_ups_between_its_runs() -> None:
    # Out of a cell and back: one chunk with two runs, no straight line across the gap.
    lon = np.r_[np.linspace(6.0, 6.2, 500), np.linspace(6.2, 6.0, 500)]
    lat = np.r_[np.full(500, 45.0), np.full(500, 45.001)]
    x, y = to_store_px(lat, lon)
    first = split_chunks(x, y)[0]
    assert (first.points[:, 0] == SENTINEL).sum() >= 1


def test_gps_jumps_are_not_drawn() -> None:
    x, y = to_store_px(np.array([45.0, 45.0]), np.array([6.0, 6.3]))
    z = 10
    tx, ty = tile_of(45.0, 6.15, z)
    assert tile_counts(one_chunk(x, y), z, tx, ty).sum() == 0


@settings(max_examples=40)
@given(st.integers(0, 18), st.data())
def test_a_tile_reads_only_cells_it_overlaps(z: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(0, (1 << z) - 1))
    y = data.draw(st.integers(0, (1 << z) - 1))
    min_x, max_x, min_y, max_y = tile_cells(z, x, y)
    span = 1 << (18 - z + 8)  # the tile's width in stored pixels
    shift = LEVELS[level_of(z)].chunk_shift
    assert min_x << shift <= x * span < (x + 1) * span <= (max_x + 1) << shift
    assert min_y << shift <= y * span < (y + 1) * span <= (max_y + 1) << shift
    if z >= LEVELS[level_of(z)].chunk_zoom:
        assert (min_x, min_y) == (max_x, max_y)


@pytest.mark.parametrize(("z", "x", "y"), [(-1, 0, 0), (19, 0, 0), (2, 4, 0), (2, 0, -1)])
def test_tiles_out_of_range_are_refused(z: int, x: int, y: int) -> None:
    assert not tile_in_range(z, x, y)


def test_colour_is_transparent_where_no_ride_went_and_brighter_where_more_did() -> None:
    counts = np.zeros((256, 256), dtype=np.int64)
    counts[10, 10], counts[20, 20] = 1, 100
    pixels = colour(counts)
    assert pixels[0, 0, 3] == 0
    assert 0 < pixels[10, 10, 3] < pixels[20, 20, 3]
    assert colour(np.zeros((256, 256)))[..., 3].max() == 0


def test_count_tiles_hold_what_the_chunks_draw() -> None:
    lon = np.linspace(6.0, 6.05, 800)
    x, y = to_store_px(45.0 + 0.01 * np.sin(lon * 300), lon)
    z = 14
    chunks = split_chunks(x, y, level_of(z))
    gx, gy = counted_pixels(chunks, z, LEVELS[level_of(z)].chunk_shift)
    sparse = tile_sparse(gx, gy)
    for (tx, ty), pixels in sparse.items():
        grid = tile_counts(chunks, z, tx, ty).ravel()
        assert np.array_equal(np.flatnonzero(grid), pixels[0])
        assert np.array_equal(grid[pixels[0]], pixels[1])
