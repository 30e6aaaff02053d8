"""Personal heatmaps: the point store kept from rides' events, and tiles drawn from it.

A ride's track is stored once as compact chunks (segments/logic/heat.py), so a tile reads only
the chunks of the cells it covers. Rendered tiles are cached in memory, keyed by the rider's
generation (bumped by every ride event of theirs), so an edit or a deletion is never served
stale and a GET never writes.
"""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from PIL import Image
from sqlalchemy import ColumnElement, delete, func, select, tuple_
from sqlalchemy.orm import Session

from bikenode import bikes, rides
from bikenode.errors import NotFound
from bikenode.segments.logic.heat import (
    LEVELS,
    TILE_PX,
    Chunk,
    colour,
    count_zoom,
    counted_pixels,
    level_of,
    place,
    split_chunks,
    tile_cells,
    tile_counts,
    tile_in_range,
    tile_sparse,
    to_store_px,
)
from bikenode.segments.models import HeatChunk, HeatRider, HeatTile

CACHE_BYTES = 64 * 1024 * 1024  # rendered tiles kept per process; older ones are dropped
PERSONAL_CACHE_CONTROL = "private, no-cache"  # revalidate: a 304 costs one small query


@dataclass(frozen=True)
class TileFilter:
    """Which of the rider's rides a personal tile shows: all, one bike's, one year's."""

    bike_id: uuid.UUID | None = None
    year: int | None = None


@dataclass(frozen=True)
class Tile:
    """A tile's ETag and PNG bytes (None: the client's copy, named by its ETag, is fresh)."""

    etag: str
    png: bytes | None


class TileCache:
    """Rendered PNGs by (rider, ETag), least recently used dropped past max_bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._tiles: OrderedDict[tuple[uuid.UUID, str], bytes] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def get(self, owner_id: uuid.UUID, etag: str) -> bytes | None:
        """The cached PNG, or None."""
        with self._lock:
            png = self._tiles.get((owner_id, etag))
            if png is not None:
                self._tiles.move_to_end((owner_id, etag))
            return png

    def put(self, owner_id: uuid.UUID, etag: str, png: bytes) -> None:
        """Keep a PNG, dropping the least recently used past the byte budget."""
        with self._lock:
            old = self._tiles.pop((owner_id, etag), None)
            self._bytes += len(png) - (len(old) if old else 0)
            self._tiles[(owner_id, etag)] = png
            while self._bytes > self._max_bytes and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped)

    def forget(self, owner_id: uuid.UUID) -> int:
        """Drop every cached tile of the rider; how many went."""
        with self._lock:
            keys = [k for k in self._tiles if k[0] == owner_id]
            for key in keys:
                self._bytes -= len(self._tiles.pop(key))
            return len(keys)

    def count(self, owner_id: uuid.UUID) -> int:
        """How many tiles of the rider this process holds."""
        with self._lock:
            return sum(1 for k in self._tiles if k[0] == owner_id)


TILE_CACHE = TileCache(CACHE_BYTES)


def refresh_ride_heat(session: Session, *, ride_id: uuid.UUID) -> int:
    """Replace the ride's chunks and its share of its rider's count tiles with ones from its
    current track (none for a deleted ride or one without positions) and bump the rider's
    generation; flushes only. Returns the chunks stored."""
    _drop_ride(session, ride_id)
    track = rides.ride_track(session, ride_id)
    if track is None:
        return 0
    _bump_generation(session, track.owner_id)
    if track.lat_deg is None or track.lon_deg is None:
        return 0
    x, y = to_store_px(track.lat_deg, track.lon_deg)
    stored = 0
    for level in range(len(LEVELS)):
        chunks = split_chunks(x, y, level)
        _add_counts(session, track.owner_id, level, chunks, sign=1)
        for chunk in chunks:
            session.add(
                HeatChunk(
                    owner_id=track.owner_id,
                    ride_id=ride_id,
                    ride_visibility=track.visibility,
                    started_at=track.started_at,
                    level=level,
                    cell_x=chunk.cell_x,
                    cell_y=chunk.cell_y,
                    point_count=int(chunk.points.shape[0]),
                    points=chunk.points.astype("<u4").tobytes(),
                )
            )
            stored += 1
    session.flush()
    return stored


def forget_ride_heat(session: Session, *, ride_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    """Drop a deleted ride's chunks and its share of the count tiles, and bump its rider's
    generation; flushes only."""
    _drop_ride(session, ride_id)
    _bump_generation(session, owner_id)


def _drop_ride(session: Session, ride_id: uuid.UUID) -> None:
    """Take the ride's stored chunks out of its rider's count tiles, then delete them: the
    same chunks that were added, so the tiles go back exactly."""
    rows = session.execute(
        select(HeatChunk.owner_id, HeatChunk.level, HeatChunk.cell_x, HeatChunk.cell_y)
        .add_columns(HeatChunk.points)
        .where(HeatChunk.ride_id == ride_id)
    ).all()
    by_level: dict[tuple[uuid.UUID, int], list[Chunk]] = {}
    for owner_id, level, cx, cy, points in rows:
        chunk = Chunk(cx, cy, np.frombuffer(points, dtype="<u4").reshape(-1, 2))
        by_level.setdefault((owner_id, level), []).append(chunk)
    for (owner_id, level), chunks in by_level.items():
        _add_counts(session, owner_id, level, chunks, sign=-1)
    session.execute(delete(HeatChunk).where(HeatChunk.ride_id == ride_id))


def _add_counts(
    session: Session, owner_id: uuid.UUID, level: int, chunks: list[Chunk], sign: int
) -> None:
    """Add (sign 1) or take away (-1) the chunks' counts in the rider's count tiles."""
    zoom = count_zoom(level)
    gx, gy = counted_pixels(chunks, zoom, LEVELS[level].chunk_shift)
    sparse_tiles = tile_sparse(gx, gy)
    rows = _count_tiles(session, owner_id, zoom, list(sparse_tiles))
    for (tx, ty), sparse in sparse_tiles.items():
        row = rows.get((tx, ty))
        dense = np.zeros(TILE_PX * TILE_PX, dtype=np.int64)
        if row is not None:
            old = np.frombuffer(row.counts, dtype="<u4").reshape(2, -1)
            dense[old[0]] = old[1]
        dense[sparse[0]] += sign * sparse[1].astype(np.int64)
        np.maximum(dense, 0, out=dense)
        nonzero = np.flatnonzero(dense)
        blob = np.stack([nonzero, dense[nonzero]]).astype("<u4").tobytes()
        if row is None:
            session.add(HeatTile(owner_id=owner_id, zoom=zoom, tile_x=tx, tile_y=ty, counts=blob))
        elif nonzero.size:
            row.counts = blob
        else:
            session.delete(row)
    session.flush()


# Tiles read per query: far below SQLite's and PostgreSQL's limits on bound parameters.
_TILES_PER_QUERY = 400


def _count_tiles(
    session: Session, owner_id: uuid.UUID, zoom: int, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], HeatTile]:
    """The rider's stored count tiles among these (x, y) at one zoom, read in a few queries
    rather than one per tile (a ride touches hundreds of them)."""
    found: dict[tuple[int, int], HeatTile] = {}
    for start in range(0, len(keys), _TILES_PER_QUERY):
        batch = keys[start : start + _TILES_PER_QUERY]
        rows = session.scalars(
            select(HeatTile).where(
                HeatTile.owner_id == owner_id,
                HeatTile.zoom == zoom,
                tuple_(HeatTile.tile_x, HeatTile.tile_y).in_(batch),
            )
        )
        found.update({(row.tile_x, row.tile_y): row for row in rows})
    return found


def _bump_generation(session: Session, owner_id: uuid.UUID) -> None:
    rider = session.get(HeatRider, owner_id)
    if rider is None:
        session.add(HeatRider(owner_id=owner_id, generation=1))
    else:
        rider.generation += 1
    session.flush()


def personal_tile(
    session: Session,
    *,
    owner_id: uuid.UUID,
    z: int,
    x: int,
    y: int,
    tile_filter: TileFilter,
    if_none_match: str | None = None,
) -> Tile:
    """The rider's own heatmap tile (all their rides, whole tracks), from cache when it can.
    NotFound for a tile outside zoom 0 to 18 or its zoom's x/y range."""
    if not tile_in_range(z, x, y):
        raise NotFound(f"no tile {z}/{x}/{y}: expected zoom 0-18 and x, y below 2**zoom")
    generation = session.scalar(select(HeatRider.generation).where(HeatRider.owner_id == owner_id))
    ride_ids = None
    if tile_filter.bike_id is not None:
        ride_ids = bikes.rides_on_bike(session, owner_id=owner_id, bike_id=tile_filter.bike_id)
    etag = _personal_etag(owner_id, generation or 0, tile_filter, ride_ids, (z, x, y))
    if if_none_match is not None and etag in _etags(if_none_match):
        return Tile(etag, None)
    png = TILE_CACHE.get(owner_id, etag)
    if png is None:
        png = encode_png(_draw(session, owner_id, (z, x, y), tile_filter.year, ride_ids))
        TILE_CACHE.put(owner_id, etag, png)
    return Tile(etag, png)


def _draw(
    session: Session,
    owner_id: uuid.UUID,
    zxy: tuple[int, int, int],
    year: int | None,
    ride_ids: list[uuid.UUID] | None,
) -> np.typing.NDArray[np.int64]:
    """Counts for the tile: from the rider's count tiles when unfiltered (up to zoom 16),
    else drawn from the chosen rides' chunks."""
    z, x, y = zxy
    if year is not None or ride_ids is not None or z > count_zoom(0):
        return tile_counts(_load_chunks(session, owner_id, zxy, year, ride_ids), z, x, y)
    zoom = count_zoom(level_of(z))
    shift = zoom - z
    rows = session.execute(
        select(HeatTile.tile_x, HeatTile.tile_y, HeatTile.counts).where(
            HeatTile.owner_id == owner_id,
            HeatTile.zoom == zoom,
            HeatTile.tile_x.between(x << shift, ((x + 1) << shift) - 1),
            HeatTile.tile_y.between(y << shift, ((y + 1) << shift) - 1),
        )
    ).all()
    if not rows:
        return np.zeros((TILE_PX, TILE_PX), dtype=np.int64)
    parts = [np.frombuffer(blob, dtype="<u4").reshape(2, -1) for _, _, blob in rows]
    sizes = [p.shape[1] for p in parts]
    pixels = np.concatenate([p[0] for p in parts]).astype(np.int64)
    counts = np.concatenate([p[1] for p in parts]).astype(np.int64)
    gx = (np.repeat([r[0] for r in rows], sizes) * TILE_PX + (pixels & 255)) >> shift
    gy = (np.repeat([r[1] for r in rows], sizes) * TILE_PX + (pixels >> 8)) >> shift
    return place(gx, gy, counts, z, x, y)


def _personal_etag(
    owner_id: uuid.UUID,
    generation: int,
    tile_filter: TileFilter,
    ride_ids: list[uuid.UUID] | None,
    zxy: tuple[int, int, int],
) -> str:
    digest = hashlib.sha256(f"{owner_id}|{generation}|{tile_filter}|{zxy}".encode())
    for ride_id in sorted(ride_ids or []):  # a bike's rides change without ride events
        digest.update(ride_id.bytes)
    return f'"h{digest.hexdigest()[:32]}"'


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def _load_chunks(
    session: Session,
    owner_id: uuid.UUID,
    zxy: tuple[int, int, int],
    year: int | None,
    ride_ids: list[uuid.UUID] | None,
) -> list[Chunk]:
    min_x, max_x, min_y, max_y = tile_cells(*zxy)
    where: list[ColumnElement[bool]] = [
        HeatChunk.owner_id == owner_id,
        HeatChunk.level == level_of(zxy[0]),
        HeatChunk.cell_x.between(min_x, max_x),
        HeatChunk.cell_y.between(min_y, max_y),
    ]
    if year is not None:
        start = datetime(year, 1, 1, tzinfo=UTC)
        where += [
            HeatChunk.started_at >= start,
            HeatChunk.started_at < start.replace(year=year + 1),
        ]
    if ride_ids is not None:
        where.append(HeatChunk.ride_id.in_(ride_ids))
    rows = session.execute(
        select(HeatChunk.cell_x, HeatChunk.cell_y, HeatChunk.points).where(*where)
    )
    return [
        Chunk(cx, cy, np.frombuffer(points, dtype="<u4").reshape(-1, 2)) for cx, cy, points in rows
    ]


def encode_png(counts: np.typing.NDArray[np.int64] | np.typing.NDArray[np.float64]) -> bytes:
    """The counts as a 256 px RGBA PNG (fast compression: tiles are mostly transparent)."""
    buffer = io.BytesIO()
    Image.fromarray(colour(counts), "RGBA").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def heat_settings(session: Session, *, owner_id: uuid.UUID) -> bool:
    """Whether the rider keeps out of the community heatmap."""
    opt_out = session.scalar(
        select(HeatRider.community_opt_out).where(HeatRider.owner_id == owner_id)
    )
    return bool(opt_out)


def set_community_opt_out(session: Session, *, owner_id: uuid.UUID, opt_out: bool) -> bool:
    """Keep the rider out of (or let them into) the next community releases; commits."""
    rider = session.get(HeatRider, owner_id)
    if rider is None:
        rider = HeatRider(owner_id=owner_id, generation=0)
        session.add(rider)
    rider.community_opt_out = opt_out
    session.commit()
    return opt_out


def heat_store_counts(session: Session, owner_id: uuid.UUID) -> dict[str, int]:
    """What the point store holds of the rider: rides, chunks and points."""
    row = session.execute(
        select(
            func.count(func.distinct(HeatChunk.ride_id)),
            func.count(),
            func.coalesce(func.sum(HeatChunk.point_count), 0),
        ).where(HeatChunk.owner_id == owner_id, HeatChunk.level == 0)
    ).one()
    return {"rides": int(row[0]), "chunks": int(row[1]), "points": int(row[2])}
