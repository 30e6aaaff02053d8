"""A ride that starts and ends inside a privacy zone, read by others on every output path."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import gpxpy
import numpy as np
import pytest
from fastapi.testclient import TestClient

from bikenode.rides.formats import parse_activity
from bikenode.rides.logic.geo import EARTH_RADIUS_M
from bikenode.rides.logic.privacy import MIN_EXTRA_RADIUS_M
from tests.factories import signed_in, upload_files

HOME = (45.1885, 5.7245)
ZONE_RADIUS_M = 300.0
SPEED_MPS = 8.0


def _haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Written out here rather than imported: the test must not share the code it checks."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def _loop_from_home(start: datetime) -> bytes:
    """A GPX loop leaving home east, 2.5 km out, 1 km north, back west and south to home."""
    legs_m = [(0.0, 2500.0), (1000.0, 0.0), (0.0, -2500.0), (-1000.0, 0.0)]
    north_m = east_m = 0.0
    points = [(0.0, 0.0)]
    for d_north, d_east in legs_m:
        steps = int(math.hypot(d_north, d_east) / SPEED_MPS)
        for _ in range(steps):
            north_m += d_north / steps
            east_m += d_east / steps
            points.append((north_m, east_m))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">',
        "<trk><name>Commute</name><trkseg>",
    ]
    for i, (n_m, e_m) in enumerate(points):
        lat = HOME[0] + math.degrees(n_m / EARTH_RADIUS_M)
        lon = HOME[1] + math.degrees(e_m / (EARTH_RADIUS_M * math.cos(math.radians(HOME[0]))))
        when = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{200 + n_m / 20:.1f}</ele>'
            f"<time>{when}</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>"
            f"{110 + i % 40}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>"
        )
    lines.append("</trkseg></trk></gpx>")
    return "\n".join(lines).encode()


@pytest.fixture
def zoned_ride(client: TestClient) -> dict[str, Any]:
    """A public ride from home and back, its owner with a zone around home, and a stranger."""
    _, owner = signed_in(client)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    [upload] = upload_files(client, owner, [("loop.gpx", _loop_from_home(started))])
    ride_id = upload["items"][0]["ride_id"]
    response = client.post(
        "/api/v1/privacy-zones",
        json={"name": "home", "lat_deg": HOME[0], "lon_deg": HOME[1], "radius_m": ZONE_RADIUS_M},
        headers=owner,
    )
    assert response.status_code == 201, response.text
    client.patch(f"/api/v1/rides/{ride_id}", json={"visibility": "public"}, headers=owner)
    _, stranger = signed_in(client)
    return {"id": ride_id, "owner": owner, "stranger": stranger, "started": started}


def _assert_nothing_near_home(lat: Any, lon: Any) -> None:
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    assert lat.size > 100
    nearest_m = float(np.min(_haversine_m(HOME[0], HOME[1], lat, lon)))
    assert nearest_m > ZONE_RADIUS_M + MIN_EXTRA_RADIUS_M, nearest_m


def _full_streams(client: TestClient, ride_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/api/v1/rides/{ride_id}/streams", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["streams"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_ride_and_streams_seen_by_others_are_cut_and_consistent(
    client: TestClient, zoned_ride: dict[str, Any], who: str
) -> None:
    headers = zoned_ride["stranger"] if who == "stranger" else {}
    streams = _full_streams(client, zoned_ride["id"], headers)
    lat, lon = np.array(streams["lat_deg"]), np.array(streams["lon_deg"])
    time_s = np.array(streams["time_s"])
    _assert_nothing_near_home(lat, lon)
    ride = client.get(f"/api/v1/rides/{zoned_ride['id']}", headers=headers).json()
    summary = ride["summary"]
    along_m = float(np.sum(_haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])))
    assert ride["distance_m"] == pytest.approx(along_m, abs=1.0)
    assert summary["distance_m"] == pytest.approx(along_m, abs=1.0)
    assert ride["elapsed_time_s"] == pytest.approx(time_s[-1] - time_s[0])
    assert datetime.fromisoformat(ride["started_at"]).timestamp() == pytest.approx(time_s[0])
    assert ride["started_at"] != zoned_ride["started"].isoformat()
    assert (summary["start_lat_deg"], summary["start_lon_deg"]) == pytest.approx((lat[0], lon[0]))
    box = summary["bounding_box"]
    assert (box["min_lat_deg"], box["max_lon_deg"]) == pytest.approx((lat.min(), lon.max()))
    assert ride["point_count"] == lat.size
    # The owner sees the whole ride: the cut really removed the start and the end.
    own = client.get(f"/api/v1/rides/{zoned_ride['id']}", headers=zoned_ride["owner"]).json()
    assert own["distance_m"] > ride["distance_m"] + 2 * ZONE_RADIUS_M
    assert own["summary"]["start_lat_deg"] == pytest.approx(HOME[0], abs=1e-6)


def test_the_owner_can_see_their_streams_as_others_see_them(
    client: TestClient, zoned_ride: dict[str, Any]
) -> None:
    url = f"/api/v1/rides/{zoned_ride['id']}/streams?keys=lat_deg,lon_deg"
    as_others = client.get(f"{url}&view=public", headers=zoned_ride["owner"]).json()
    as_stranger = client.get(url, headers=zoned_ride["stranger"]).json()
    assert as_others["streams"] == as_stranger["streams"]
    _assert_nothing_near_home(as_others["streams"]["lat_deg"], as_others["streams"]["lon_deg"])
    own = client.get(url, headers=zoned_ride["owner"]).json()
    assert own["point_count"] > as_others["point_count"]
    # A stranger asking for "own" still gets the cut streams, never the owner's.
    assert client.get(f"{url}&view=own", headers=zoned_ride["stranger"]).json() == as_stranger


@pytest.mark.parametrize("fmt", ["gpx", "tcx", "fit"])
def test_exports_for_others_are_cut(
    client: TestClient, zoned_ride: dict[str, Any], fmt: str
) -> None:
    response = client.get(
        f"/api/v1/rides/{zoned_ride['id']}/export?format={fmt}", headers=zoned_ride["stranger"]
    )
    assert response.status_code == 200, response.text
    if fmt == "gpx":  # read by an independent parser
        gpx = gpxpy.parse(io.StringIO(response.text))
        points = [p for t in gpx.tracks for s in t.segments for p in s.points]
        lat: Any = [p.latitude for p in points]
        lon: Any = [p.longitude for p in points]
    else:
        parsed = parse_activity(response.content, f"ride.{fmt}")
        lat, lon = parsed.streams["lat_deg"], parsed.streams["lon_deg"]
    _assert_nothing_near_home(lat, lon)
    owners = client.get(
        f"/api/v1/rides/{zoned_ride['id']}/export?format={fmt}", headers=zoned_ride["owner"]
    )
    assert len(owners.content) > len(response.content)


def test_public_list_and_stats_use_the_cut_figures(
    client: TestClient, zoned_ride: dict[str, Any]
) -> None:
    streams = _full_streams(client, zoned_ride["id"], {})
    lat, lon = np.array(streams["lat_deg"]), np.array(streams["lon_deg"])
    cut_m = float(np.sum(_haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])))
    owner = zoned_ride["owner"]
    [item] = client.get("/api/v1/rides?view=public", headers=owner).json()["items"]
    assert item["distance_m"] == pytest.approx(cut_m, abs=1.0)
    [own_item] = client.get("/api/v1/rides", headers=owner).json()["items"]
    assert own_item["distance_m"] > cut_m + 2 * ZONE_RADIUS_M
    stats = client.get("/api/v1/rides/stats?view=public", headers=owner).json()
    weekly_m = sum(week["distance_m"] for week in stats["weeks"])
    assert weekly_m == pytest.approx(cut_m, abs=1.0)
    private = client.patch(
        f"/api/v1/rides/{zoned_ride['id']}", json={"visibility": "private"}, headers=owner
    )
    assert private.status_code == 200
    assert client.get("/api/v1/rides?view=public", headers=owner).json()["items"] == []


def test_zones_are_private_and_hold_no_secret(
    client: TestClient, zoned_ride: dict[str, Any]
) -> None:
    [zone] = client.get("/api/v1/privacy-zones", headers=zoned_ride["owner"]).json()
    assert set(zone) == {"id", "name", "lat_deg", "lon_deg", "radius_m", "created_at"}
    assert client.get("/api/v1/privacy-zones", headers=zoned_ride["stranger"]).json() == []
    gone = client.delete(f"/api/v1/privacy-zones/{zone['id']}", headers=zoned_ride["stranger"])
    assert gone.status_code == 404
    assert (
        client.delete(
            f"/api/v1/privacy-zones/{zone['id']}", headers=zoned_ride["owner"]
        ).status_code
        == 204
    )
    # Without the zone, others see the whole ride again (the cache follows the zones).
    streams = _full_streams(client, zoned_ride["id"], {})
    assert streams["lat_deg"][0] == pytest.approx(HOME[0], abs=1e-6)


def test_zone_radius_outside_limits_is_refused(client: TestClient) -> None:
    _, headers = signed_in(client)
    for radius_m in (10.0, 50_000.0):
        response = client.post(
            "/api/v1/privacy-zones",
            json={"name": "x", "lat_deg": 1.0, "lon_deg": 1.0, "radius_m": radius_m},
            headers=headers,
        )
        assert response.status_code == 422
