"""Heatmaps: a personal heatmap tile drawn at a cache miss over N stored rides of one rider,
on SQLite (a file, as `bikenode serve` runs it).

Measured, median and p95 over the runs, per zoom (tiles over the busiest part of town):

- store: what GET /api/v1/heatmaps/me/{z}/{x}/{y}.png does at a cache miss — the rider's
  generation, the indexed chunk query on the tile's cells, drawing, colouring, PNG encoding;
  target (issue 19): < 50 ms with 5,000 rides;
- naive (zooms 12 and 16): the same tile from every ride's whole track (read from a table of per-ride
  latitude/longitude blobs, as rides' streams are stored) drawn with Pillow ImageDraw
  lines, one layer per ride summed, coloured the same way; ratio = naive / store;
- hit and 304: the same tile from the in-memory cache, and a revalidation by ETag.

N rides: generated one-hour rides (3,600 one-second samples at 8 m/s, about 29 km) from
homes near the centre of a 30 km town, wandering on smooth bends; 300 distinct routes,
ridden again and again past that (each ride stored on its own).

Run: PYTHONPATH=src:. .venv/bin/python bench/heatmaps.py [--rides 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from sqlalchemy import Column, LargeBinary, MetaData, Table, Uuid, insert, select
from sqlalchemy.orm import Session

from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.segments.heatmaps import TILE_CACHE, TileFilter, encode_png, personal_tile
from bikenode.segments.logic.heat import (
    LEVELS,
    Chunk,
    count_zoom,
    counted_pixels,
    split_chunks,
    tile_sparse,
    to_store_px,
)
from bikenode.segments.models import HeatRider, HeatTile

LAT0, LON0 = 46.05, 14.50
M_PER_DEG = math.radians(1.0) * 6_371_008.8
TOWN_M = 30_000.0
ROUTES = 300
ZOOMS = (10, 12, 14, 16)
NAIVE_ZOOMS = (12, 16)  # the peer reads every track each time: seconds a tile at 5,000
NAIVE = Table(
    "bench_naive_tracks",
    MetaData(),
    Column("ride_id", Uuid, primary_key=True),
    Column("lat_lon", LargeBinary),
)


def one_hour_ride(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes of a ride from a home near the centre, on smooth bends."""
    n, step_m = 3_600, 8.0
    heading = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0.0, 0.02, n))
    xy = np.cumsum(np.column_stack((np.cos(heading), np.sin(heading))) * step_m, axis=0)
    xy += rng.normal(TOWN_M / 2, TOWN_M / 12, 2)
    xy = np.clip(xy, 0.0, TOWN_M) + rng.normal(0.0, 3.0, xy.shape)  # GPS noise
    lat = LAT0 + xy[:, 1] / M_PER_DEG
    lon = LON0 + xy[:, 0] / (M_PER_DEG * math.cos(math.radians(LAT0)))
    return lat, lon


def fill(session: Session, owner_id: uuid.UUID, rides: int, seed: int = 1) -> None:
    """Store the rider's count tiles for N rides (as the subscriber leaves them) and every
    ride's whole track for the peer. Riders repeat their routes: ride k follows route
    k % ROUTES, so the setup stays short. The per-ride chunks (read only by zoom 17-18 and
    filtered tiles) are not stored: the tiles measured never read them."""
    rng = np.random.default_rng(seed)
    routes: list[tuple[bytes, list[tuple[int, Chunk]]]] = []
    for _ in range(min(rides, ROUTES)):
        lat, lon = one_hour_ride(rng)
        x, y = to_store_px(lat, lon)
        chunks = [(level, c) for level in range(len(LEVELS)) for c in split_chunks(x, y, level)]
        routes.append((np.stack([lat, lon]).tobytes(), chunks))
    connection = session.connection()
    for batch in range(0, rides, 500):
        tracks = [
            {"ride_id": uuid.uuid4(), "lat_lon": routes[k % len(routes)][0]}
            for k in range(batch, min(batch + 500, rides))
        ]
        connection.execute(insert(NAIVE), tracks)
    connection.execute(insert(HeatTile), count_tiles(owner_id, [c for _, c in routes], rides))
    session.add(HeatRider(owner_id=owner_id, generation=1))
    session.commit()


def count_tiles(
    owner_id: uuid.UUID, routes: list[list[tuple[int, Chunk]]], rides: int
) -> list[dict[str, object]]:
    """The rider's count tiles, as the subscriber adds them ride by ride: each route's
    counts times the rides that followed it."""
    dense: dict[tuple[int, int, int], np.ndarray] = {}
    for r, chunks in enumerate(routes):
        times = len(range(r, rides, len(routes)))
        for level in range(len(LEVELS)):
            mine = [c for lv, c in chunks if lv == level]
            zoom = count_zoom(level)
            gx, gy = counted_pixels(mine, zoom, LEVELS[level].chunk_shift)
            for (tx, ty), sparse in tile_sparse(gx, gy).items():
                grid = dense.setdefault((zoom, tx, ty), np.zeros(65_536, dtype=np.int64))
                grid[sparse[0]] += times * sparse[1].astype(np.int64)
    rows: list[dict[str, object]] = []
    for (zoom, tx, ty), grid in dense.items():
        nonzero = np.flatnonzero(grid)
        blob = np.stack([nonzero, grid[nonzero]]).astype("<u4").tobytes()
        rows.append(
            {"owner_id": owner_id, "zoom": zoom, "tile_x": tx, "tile_y": ty, "counts": blob}
        )
    return rows


def naive_tile(session: Session, z: int, x: int, y: int) -> bytes:
    """The peer: every track read whole, each drawn with ImageDraw lines, layers summed."""
    counts = np.zeros((256, 256), dtype=np.int64)
    scale = 256 * 2**z
    for (blob,) in session.execute(select(NAIVE.c.lat_lon)):
        lat, lon = np.frombuffer(blob, dtype=np.float64).reshape(2, -1)
        px = (lon + 180.0) / 360.0 * scale - x * 256
        sin = np.sin(np.radians(lat))
        py = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale - y * 256
        if px.max() < 0 or px.min() >= 256 or py.max() < 0 or py.min() >= 256:
            continue
        layer = Image.new("L", (256, 256))
        ImageDraw.Draw(layer).line(list(zip(px.tolist(), py.tolist(), strict=True)), fill=1)
        counts += np.asarray(layer, dtype=np.int64)
    return encode_png(counts)


def busiest_tile(z: int) -> tuple[int, int]:
    """The tile over the town's centre at zoom z."""
    x, y = to_store_px(
        np.array([LAT0 + TOWN_M / 2 / M_PER_DEG]),
        np.array([LON0 + TOWN_M / 2 / (M_PER_DEG * math.cos(math.radians(LAT0)))]),
    )
    return int(x[0]) >> (26 - z), int(y[0]) >> (26 - z)


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and p95 (nearest rank) in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1_000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, math.ceil(0.95 * runs) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rides", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--naive-runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = create_db_engine(url)
        upgrade_to_head(engine)
        NAIVE.create(engine)
        sessions = make_session_factory(engine)
        owner_id = uuid.uuid4()
        started = time.perf_counter()
        with sessions() as session:
            fill(session, owner_id, args.rides)
        print(f"{args.rides} rides stored in {time.perf_counter() - started:.1f} s\n")
        print(f"{'zoom':>4} {'px':>7} {'store ms (med/p95)':>19} {'naive ms (med/p95)':>19}")
        print(f"{'':>4} {'':>7} {'':>19} {'':>19} {'ratio':>6} {'hit ms':>7} {'304 ms':>7}")
        for z in ZOOMS:
            measure(sessions, owner_id, z, args)
        engine.dispose()


def measure(sessions: Callable[[], Session], owner_id: uuid.UUID, z: int, args: object) -> None:
    x, y = busiest_tile(z)
    runs, naive_runs = args.runs, args.naive_runs  # type: ignore[attr-defined]
    with sessions() as session:

        def miss() -> bytes | None:
            TILE_CACHE.forget(owner_id)
            tile = personal_tile(
                session, owner_id=owner_id, z=z, x=x, y=y, tile_filter=TileFilter()
            )
            return tile.png

        png = miss() or b""
        lit = int((np.asarray(Image.open(io.BytesIO(png)))[..., 3] > 0).sum())
        store = timed(miss, runs)
        naive = (math.nan, math.nan)
        if z in NAIVE_ZOOMS:
            naive = timed(lambda: naive_tile(session, z, x, y), naive_runs)
        etag = personal_tile(
            session, owner_id=owner_id, z=z, x=x, y=y, tile_filter=TileFilter()
        ).etag
        hit = timed(
            lambda: personal_tile(
                session, owner_id=owner_id, z=z, x=x, y=y, tile_filter=TileFilter()
            ),
            runs,
        )
        revalidate = timed(
            lambda: personal_tile(
                session,
                owner_id=owner_id,
                z=z,
                x=x,
                y=y,
                tile_filter=TileFilter(),
                if_none_match=etag,
            ),
            runs,
        )
    peer = f"{naive[0]:>9.1f}/{naive[1]:<9.1f}" if z in NAIVE_ZOOMS else f"{'-':>19}"
    ratio = f"{naive[0] / store[0]:>6.0f}" if z in NAIVE_ZOOMS else f"{'-':>6}"
    print(
        f"{z:>4} {lit:>7} {store[0]:>9.1f}/{store[1]:<9.1f} {peer} {ratio}"
        f" {hit[0]:>7.2f} {revalidate[0]:>7.2f}"
    )


if __name__ == "__main__":
    main()
