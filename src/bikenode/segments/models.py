"""Tables owned by segments: segments (simplified shape, grid cells) and matched efforts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, LargeBinary, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class Segment(Base):
    """A stretch of road riders are timed on. points: [[lat, lon, elevation or null], ...],
    simplified (segments/logic/geometry.py). start_cell and end_cell are the candidate grid's
    keys of its two ends: a ride is matched only against segments whose both ends lie in
    cells it passes (an index look-up that works the same on SQLite and PostgreSQL)."""

    __tablename__ = "segments"
    __table_args__ = (
        Index("ix_segments_owner_id", "owner_id"),
        Index("ix_segments_start_cell", "start_cell"),
        Index("ix_segments_start_lat_start_lon", "start_lat", "start_lon"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    name: Mapped[str] = mapped_column(String(200))
    sport: Mapped[str] = mapped_column(String(40), default="cycling")
    visibility: Mapped[str] = mapped_column(String(16), default="public")  # public, private
    source_ride_id: Mapped[uuid.UUID | None]
    points: Mapped[list[Any]] = mapped_column(JSON)
    distance_m: Mapped[float]
    elevation_gain_m: Mapped[float | None]
    avg_grade_pct: Mapped[float | None]
    start_lat: Mapped[float]
    start_lon: Mapped[float]
    end_lat: Mapped[float]
    end_lon: Mapped[float]
    start_cell: Mapped[int] = mapped_column(BigInteger)
    end_cell: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Effort(Base):
    """One pass of a ride over a segment. ride_visibility copies the ride's at matching time
    (re-matched on every RideChanged) so that a board is one indexed query."""

    __tablename__ = "segments_efforts"
    __table_args__ = (
        Index("ix_segments_efforts_segment_id_elapsed_s", "segment_id", "elapsed_s"),
        Index("ix_segments_efforts_ride_id", "ride_id"),
        Index("ix_segments_efforts_owner_id", "owner_id"),
        # a rider's fastest efforts on one segment (their next best when the best is hidden)
        Index("ix_segments_efforts_segment_owner_elapsed", "segment_id", "owner_id", "elapsed_s"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    segment_id: Mapped[uuid.UUID]
    ride_id: Mapped[uuid.UUID]
    owner_id: Mapped[uuid.UUID]
    ride_visibility: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    elapsed_s: Mapped[float]
    moving_s: Mapped[float]
    avg_power_w: Mapped[float | None]
    avg_hr_bpm: Mapped[float | None]
    start_index: Mapped[int]
    end_index: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Best(Base):
    """A rider's best effort on a segment for one board, kept as efforts change (the board
    is then one indexed range read). scope: "public" (others may see it) or "all" (the
    rider's own view); period: "all", "y2026" or "m2026-12"."""

    __tablename__ = "segments_bests"
    __table_args__ = (
        Index(
            "ix_segments_bests_board",
            "segment_id",
            "scope",
            "period",
            "elapsed_s",
            "started_at",
            "effort_id",
        ),
        Index("ix_segments_bests_owner_id", "owner_id"),
    )

    segment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    period: Mapped[str] = mapped_column(String(12), primary_key=True)
    effort_id: Mapped[uuid.UUID]
    elapsed_s: Mapped[float]
    started_at: Mapped[datetime]


class HeatChunk(Base):
    """A ride's track at one level of detail inside one chunk cell, for heatmap tiles:
    stored pixels at zoom 18 as little-endian uint32 pairs (segments/logic/heat.py). Rebuilt
    from the ride on each of its events; started_at and visibility copied for filters."""

    __tablename__ = "segments_heat_chunks"
    __table_args__ = (
        Index("ix_segments_heat_chunks_owner_cell", "owner_id", "level", "cell_x", "cell_y"),
        Index("ix_segments_heat_chunks_ride_id", "ride_id"),
        Index("ix_segments_heat_chunks_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    owner_id: Mapped[uuid.UUID]
    ride_id: Mapped[uuid.UUID]
    ride_visibility: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None]
    level: Mapped[int] = mapped_column(SmallInteger)
    cell_x: Mapped[int]
    cell_y: Mapped[int]
    point_count: Mapped[int]
    points: Mapped[bytes] = mapped_column(LargeBinary)


class HeatTile(Base):
    """A rider's heat at one zoom inside one tile of that zoom, summed over all their rides
    (added and taken away as rides come, change and go): (2, n) little-endian uint32, pixel
    index (row * 256 + column) and count. Unfiltered tiles up to zoom 16 read these alone."""

    __tablename__ = "segments_heat_tiles"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    zoom: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    tile_x: Mapped[int] = mapped_column(primary_key=True)
    tile_y: Mapped[int] = mapped_column(primary_key=True)
    counts: Mapped[bytes] = mapped_column(LargeBinary)


class HeatRider(Base):
    """A rider's heatmap state: the generation their cached tiles are keyed by (bumped by
    every ride event) and whether they keep out of the community heatmap."""

    __tablename__ = "segments_heat_riders"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)
    community_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HeatRelease(Base):
    """One week's community release: made once, so no rider-week is ever noised twice."""

    __tablename__ = "segments_heat_releases"

    week_start: Mapped[datetime] = mapped_column(primary_key=True)
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    epsilon: Mapped[float]
    delta: Mapped[float]
    max_cells: Mapped[int]
    min_riders: Mapped[int]
    cells: Mapped[int]


class HeatReleasedCell(Base):
    """A community cell's released (noisy, thresholded, rounded) rider count for one week;
    community tiles are drawn from these rows alone."""

    __tablename__ = "segments_heat_released"
    __table_args__ = (Index("ix_segments_heat_released_cell", "cell_x", "cell_y", "week_start"),)

    week_start: Mapped[datetime] = mapped_column(primary_key=True)
    cell_x: Mapped[int] = mapped_column(primary_key=True)
    cell_y: Mapped[int] = mapped_column(primary_key=True)
    riders: Mapped[int]


class HeatClubRelease(Base):
    """One week's release of one club's heatmap: made once per club and week, like the
    instance's, so no rider-week is noised twice for the same club."""

    __tablename__ = "segments_heat_club_releases"

    club_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # social's; no foreign key
    week_start: Mapped[datetime] = mapped_column(primary_key=True)
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    epsilon: Mapped[float]
    delta: Mapped[float]
    max_cells: Mapped[int]
    min_riders: Mapped[int]
    members: Mapped[int]  # active members counted (not opted out), for the operator
    cells: Mapped[int]


class HeatClubReleasedCell(Base):
    """A club cell's released (noisy, thresholded, rounded) rider count for one week; the
    club's tiles are drawn from these rows alone."""

    __tablename__ = "segments_heat_club_released"
    __table_args__ = (
        Index("ix_segments_heat_club_released_cell", "club_id", "cell_x", "cell_y", "week_start"),
    )

    club_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    week_start: Mapped[datetime] = mapped_column(primary_key=True)
    cell_x: Mapped[int] = mapped_column(primary_key=True)
    cell_y: Mapped[int] = mapped_column(primary_key=True)
    riders: Mapped[int]
