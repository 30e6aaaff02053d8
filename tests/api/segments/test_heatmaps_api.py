"""Heatmaps over HTTP: one's own tiles (only one's own rides, cached, revalidated, dropped
with the ride), the refusals, and community releases from generated riders: zones cut, lone
riders unseen, opt-outs honoured, tiles drawn from released counts only."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from bikenode.geo import haversine_m
from bikenode.segments.community_heat import release_week, week_start_of
from bikenode.segments.logic.heat import (
    LEVELS,
    Chunk,
    count_zoom,
    counted_pixels,
    from_store_px,
    tile_sparse,
    to_store_px,
)
from bikenode.segments.logic.heat_privacy import COMMUNITY_SHIFT, ReleasePolicy
from bikenode.segments.models import HeatChunk, HeatReleasedCell, HeatTile
from tests.factories import signed_in, upload_files
from tests.segment_tools import along, gpx_of, ride, to_degrees, winding_road

T0 = 1_780_000_000.0  # Thursday 2026-05-28
WEEK1 = week_start_of(datetime.fromtimestamp(T0, UTC))
AFTER = WEEK1 + timedelta(days=21)
# Loose, so that six riders show: the bounds the tests check hold for any policy.
SMALL_TOWN = ReleasePolicy(epsilon=200.0, delta=0.4, max_cells=100, min_riders=3)


class Rider:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.headers = signed_in(client)

    def upload(self, shift_m: float = 0.0, t0: float = T0, visibility: str = "public") -> str:
        road = winding_road() + np.array([shift_m, 0.0])
        [upload] = upload_files(self.client, self.headers, [("r.gpx", gpx_of(ride(road, t0=t0)))])
        ride_id = str(upload["items"][0]["ride_id"])
        answer = self.client.patch(
            f"/api/v1/rides/{ride_id}", json={"visibility": visibility}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        self.client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
        return ride_id

    def tile(self, path: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
        answer = self.client.get(f"/api/v1/heatmaps/{path}", headers=self.headers | headers)
        return answer.status_code, answer.content, dict(answer.headers)


def tile_at(lat: float, lon: float, z: int) -> str:
    x, y = to_store_px(np.array([lat]), np.array([lon]))
    return f"{z}/{int(x[0]) >> (26 - z)}/{int(y[0]) >> (26 - z)}.png"


def lit_pixels(png: bytes) -> int:
    image = Image.open(io.BytesIO(png))
    assert image.size == (256, 256) and image.mode == "RGBA"
    return int((np.asarray(image)[..., 3] > 0).sum())


def road_point(distance_m: float) -> tuple[float, float]:
    lat, lon = to_degrees(along(winding_road(), np.array([distance_m])))
    return float(lat[0]), float(lon[0])


MIDDLE = road_point(3_000.0)


def test_a_riders_tile_shows_their_rides_and_never_anothers(client: TestClient) -> None:
    a, b = Rider(client), Rider(client)
    a.upload()
    b.upload(shift_m=30_000.0)  # another town: B's own tiles there, none here
    path = f"me/{tile_at(*MIDDLE, 14)}"
    status, png, headers = a.tile(path)
    assert status == 200 and headers["content-type"] == "image/png"
    assert lit_pixels(png) > 100
    status, png, _ = b.tile(path)
    assert status == 200 and lit_pixels(png) == 0
    assert client.get(f"/api/v1/heatmaps/{path}").status_code == 401
    assert client.get(f"/api/v1/heatmaps/community/{tile_at(*MIDDLE, 14)}").status_code == 401


def test_a_tile_revalidates_with_its_etag_and_changes_when_the_ride_goes(
    client: TestClient,
) -> None:
    a = Rider(client)
    ride_id = a.upload()
    path = f"me/{tile_at(*MIDDLE, 13)}"
    status, png, headers = a.tile(path)
    assert status == 200 and lit_pixels(png) > 0
    assert headers["cache-control"] == "private, no-cache"
    status, _, again = a.tile(path, **{"If-None-Match": headers["etag"]})
    assert status == 304 and again["etag"] == headers["etag"]
    renamed = client.patch(f"/api/v1/rides/{ride_id}", json={"name": "x"}, headers=a.headers)
    assert renamed.status_code == 200
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    assert a.tile(path, **{"If-None-Match": headers["etag"]})[0] == 304  # a rename: same heat
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=a.headers).status_code == 204
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    status, png, after = a.tile(path, **{"If-None-Match": headers["etag"]})
    assert status == 200 and after["etag"] != headers["etag"] and lit_pixels(png) == 0


def test_filters_keep_other_years_and_other_bikes_out(client: TestClient) -> None:
    a = Rider(client)
    a.upload()
    path = f"me/{tile_at(*MIDDLE, 14)}"
    assert lit_pixels(a.tile(f"{path}?year=2026")[1]) > 0
    assert lit_pixels(a.tile(f"{path}?year=2025")[1]) == 0
    assert lit_pixels(a.tile(f"{path}?bike={uuid.uuid4()}")[1]) == 0


def test_tiles_out_of_range_or_malformed_are_refused(client: TestClient) -> None:
    a = Rider(client)
    for path in ("me/19/0/0.png", "me/2/4/0.png", "me/2/0/4.png", "community/3/8/1.png"):
        assert a.tile(path)[0] == 404, path
    for path in ("me/a/0/0.png", "me/1/0/0.png?year=99999", "me/1/0/0.png?bike=nope"):
        assert a.tile(path)[0] == 422, path


def _released(client: TestClient, week: datetime) -> dict[tuple[int, int], int]:
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        rows = session.execute(
            select(HeatReleasedCell.cell_x, HeatReleasedCell.cell_y, HeatReleasedCell.riders).where(
                HeatReleasedCell.week_start == week
            )
        ).all()
    return {(cx, cy): n for cx, cy, n in rows}


def _release(client: TestClient, week: datetime, noise: float) -> dict[tuple[int, int], int]:
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        release_week(
            session,
            week_start=week,
            key=b"test key" * 4,
            now=AFTER,
            policy=SMALL_TOWN,
            noise=lambda cells: np.full(len(cells), noise),
        )
    return _released(client, week)


def _cell_centre(cell: tuple[int, int]) -> tuple[float, float]:
    half = 1 << (COMMUNITY_SHIFT - 1)
    x = np.array([(cell[0] << COMMUNITY_SHIFT) + half], dtype=np.uint32)
    y = np.array([(cell[1] << COMMUNITY_SHIFT) + half], dtype=np.uint32)
    lat, lon = from_store_px(x, y)
    return float(lat[0]), float(lon[0])


def test_community_releases_cut_zones_hide_lone_riders_and_honour_opt_outs(
    client: TestClient,
) -> None:
    riders = [Rider(client) for _ in range(6)]
    home = {"name": "home", "lat_deg": MIDDLE[0], "lon_deg": MIDDLE[1], "radius_m": 200.0}
    made = client.post("/api/v1/privacy-zones", json=home, headers=riders[0].headers)
    assert made.status_code == 201, made.text
    for rider in riders:
        rider.upload()
    riders[1].upload(t0=T0 + 3_600, visibility="private")  # private rides never count
    loner = Rider(client)
    loner.upload(shift_m=30_000.0)

    week1 = _release(client, WEEK1, noise=0.0)
    assert 5 in week1.values() and 6 in week1.values()
    # The zone's owner is cut from every cell whose whole square lies within radius + 100 m
    # of their home (100 m: the least random buffer); elsewhere all six count.
    for cell, riders_seen in week1.items():
        distance_m = float(haversine_m(*MIDDLE, *_cell_centre(cell)))
        if distance_m < 200.0 + 100.0 - 80.0:  # 80 m: half a cell's diagonal at 46°N
            assert riders_seen == 5, (cell, distance_m)
        elif distance_m > 200.0 + 1_000.0:  # past the zone's fuzz, extra radius and buffer
            assert riders_seen == 6, (cell, distance_m)
    far = [c for c in week1 if haversine_m(*MIDDLE, *_cell_centre(c)) > 15_000.0]
    assert far == []  # the lone rider's road, 30 km east: nothing of it shows

    # Week 2: everyone rides again; one rider has opted out; noise pushes every count up by
    # 10 riders (noise comes in units of sigma), still the lone rider's road never lights.
    opt_out = {"community_opt_out": True}
    answer = client.put("/api/v1/heatmaps/settings", json=opt_out, headers=riders[5].headers)
    assert answer.status_code == 200 and answer.json() == opt_out
    week2_t0 = T0 + 7 * 86_400
    for rider in riders[1:]:  # the zone's owner sits this one out: no zone effect
        rider.upload(t0=week2_t0)
    loner.upload(shift_m=30_000.0, t0=week2_t0)
    week2 = _release(client, WEEK1 + timedelta(days=7), noise=10.0 / SMALL_TOWN.sigma)
    assert week2 and set(week2.values()) == {4 + 10}
    assert not [c for c in week2 if haversine_m(*MIDDLE, *_cell_centre(c)) > 15_000.0]
    assert _release(client, WEEK1 + timedelta(days=7), noise=0.0) == week2  # released once

    status, png, headers = riders[0].tile(f"community/{tile_at(*MIDDLE, 12)}")
    assert status == 200 and lit_pixels(png) > 0
    assert headers["cache-control"].startswith("public")
    status, png, _ = riders[0].tile(f"community/{tile_at(MIDDLE[0], MIDDLE[1] + 3.0, 12)}")
    assert status == 200 and lit_pixels(png) == 0


def _count_tiles(client: TestClient, owner: uuid.UUID) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The rider's count tiles as stored, and as a rebuild from the rides' stored chunks."""
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        stored = {
            (t.zoom, t.tile_x, t.tile_y): np.frombuffer(t.counts, dtype="<u4").reshape(2, -1)
            for t in session.scalars(select(HeatTile).where(HeatTile.owner_id == owner))
        }
        chunks: dict[tuple[uuid.UUID, int], list[Chunk]] = {}
        for c in session.scalars(select(HeatChunk).where(HeatChunk.owner_id == owner)):
            points = np.frombuffer(c.points, dtype="<u4").reshape(-1, 2)
            chunks.setdefault((c.ride_id, c.level), []).append(Chunk(c.cell_x, c.cell_y, points))
    dense: dict[Any, np.ndarray] = {}
    for (_, level), parts in chunks.items():
        zoom = count_zoom(level)
        gx, gy = counted_pixels(parts, zoom, LEVELS[level].chunk_shift)
        for (tx, ty), sparse in tile_sparse(gx, gy).items():
            grid = dense.setdefault((zoom, tx, ty), np.zeros(65_536, dtype=np.int64))
            grid[sparse[0]] += sparse[1]
    rebuilt = {k: np.stack([np.flatnonzero(g), g[np.flatnonzero(g)]]) for k, g in dense.items()}
    return stored, rebuilt


def test_count_tiles_always_equal_a_rebuild_as_rides_come_change_and_go(
    client: TestClient,
) -> None:
    a = Rider(client)
    owner = uuid.UUID(client.get("/api/v1/me", headers=a.headers).json()["id"])
    rides = [a.upload(shift_m=500.0 * k, t0=T0 + 86_400 * k) for k in range(3)]
    renamed = client.patch(f"/api/v1/rides/{rides[1]}", json={"name": "x"}, headers=a.headers)
    assert renamed.status_code == 200
    for ride_id in (rides[0], None, rides[1], rides[2]):
        if ride_id is not None:
            assert client.delete(f"/api/v1/rides/{ride_id}", headers=a.headers).status_code == 204
        client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
        stored, rebuilt = _count_tiles(client, owner)
        assert stored.keys() == rebuilt.keys()
        for key, pixels in stored.items():
            assert np.array_equal(pixels, rebuilt[key]), key
    assert stored == {}
