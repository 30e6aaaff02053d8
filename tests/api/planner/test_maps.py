"""Maps over HTTP: directions over the imported graph, route files, the tile proxy, the CSP."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import fitdecode
import gpxpy
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import OSM_TILE_URL, Settings
from bikenode.planner.routing.store import import_extract
from tests.factories import signed_in
from tests.osm_extract import ESPLANADI, PITKASILTA, osm_extract
from tests.tile_server import TILE, TileServer, tile_server


def _points(*points: tuple[float, float]) -> dict[str, Any]:
    return {"points": [{"lat_deg": lat, "lon_deg": lon} for lat, lon in points]}


@pytest.fixture
def routed(app: FastAPI, settings: Settings) -> FastAPI:
    """The app with the Helsinki extract imported as its routing graph."""
    import_extract(settings.data_dir, osm_extract())
    return app


def test_directions_follow_the_imported_graph(routed: FastAPI, client: TestClient) -> None:
    _, headers = signed_in(client)
    response = client.post(
        "/api/v1/maps/directions", json=_points(ESPLANADI, PITKASILTA), headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "embedded"
    (leg,) = body["legs"]
    assert leg["routed"] is True and leg["notice"] == ""
    assert len(leg["path"]) > 20
    assert leg["path"][0] == list(ESPLANADI) and leg["path"][-1] == list(PITKASILTA)
    assert 1300 < body["distance_m"] < 2100
    assert body["duration_s"] == pytest.approx(body["distance_m"] / 5, rel=1e-3)
    assert sum(body["surfaces_m"].values()) == pytest.approx(body["distance_m"], abs=150)
    assert "cycleway" in body["highways_m"]
    assert body["ascent_m"] is None and "no elevation" in body["elevation_notice"]


def test_directions_without_a_graph_are_straight_lines_with_a_notice(client: TestClient) -> None:
    _, headers = signed_in(client)
    body = client.post(
        "/api/v1/maps/directions", json=_points(ESPLANADI, PITKASILTA), headers=headers
    ).json()
    assert body["engine"] == "none"
    assert body["legs"][0]["routed"] is False
    assert "bikenode maps import" in body["legs"][0]["notice"]
    assert len(body["legs"][0]["path"]) == 2


def test_a_leg_set_straight_on_purpose_stays_straight(routed: FastAPI, client: TestClient) -> None:
    _, headers = signed_in(client)
    body = {**_points(ESPLANADI, PITKASILTA, ESPLANADI), "straight_legs": [1]}
    legs = client.post("/api/v1/maps/directions", json=body, headers=headers).json()["legs"]
    assert [leg["routed"] for leg in legs] == [True, False]


@pytest.mark.parametrize(
    "body",
    [
        _points(ESPLANADI),
        _points(*[ESPLANADI] * 101),
        _points(ESPLANADI, (91.0, 0.0)),
        {"points": [{"lat_deg": "NaN", "lon_deg": 1.0}, {"lat_deg": 1.0, "lon_deg": 1.0}]},
        {**_points(ESPLANADI, PITKASILTA), "straight_legs": [1]},
        {**_points(ESPLANADI, PITKASILTA), "profile": "car"},
    ],
    ids=["one-point", "too-many", "off-the-globe", "nan", "no-such-leg", "unknown-field"],
)
def test_directions_refuse_bad_requests(client: TestClient, body: dict[str, Any]) -> None:
    _, headers = signed_in(client)
    response = client.post("/api/v1/maps/directions", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_directions_need_a_signed_in_rider(client: TestClient) -> None:
    response = client.post("/api/v1/maps/directions", json=_points(ESPLANADI, PITKASILTA))
    assert response.status_code == 401


def test_status_names_the_graph_and_the_tile_source(routed: FastAPI, client: TestClient) -> None:
    _, headers = signed_in(client)
    body = client.get("/api/v1/maps/status", headers=headers).json()
    assert body["routing"]["source"] == "Helsinki.osm.pbf"
    assert body["routing"]["nodes"] > 1000
    assert body["tile_url"] == OSM_TILE_URL and body["tile_proxy"] is False


def test_route_exports_carry_the_routed_line(routed: FastAPI, client: TestClient) -> None:
    _, headers = signed_in(client)
    waypoints = [{"lat_deg": lat, "lon_deg": lon} for lat, lon in (ESPLANADI, PITKASILTA)]
    route = client.post(
        "/api/v1/routes", json={"name": "Kallio", "waypoints": waypoints}, headers=headers
    ).json()
    base = f"/api/v1/routes/{route['id']}"
    track = gpxpy.parse(client.get(f"{base}/export.gpx?kind=track", headers=headers).text)
    points = track.tracks[0].segments[0].points
    assert len(points) > 20 and track.tracks[0].name == "Kallio"
    plain = gpxpy.parse(client.get(f"{base}/export.gpx", headers=headers).text)
    assert len(plain.routes[0].points) == 2  # the waypoints, as before
    fit = client.get(f"{base}/export.fit", headers=headers)
    assert fit.headers["content-type"] == "application/vnd.ant.fit"
    with fitdecode.FitReader(io.BytesIO(fit.content)) as reader:
        records = [
            f for f in reader if isinstance(f, fitdecode.FitDataMessage) and f.name == "record"
        ]
    assert len(records) == len(points)
    assert records[-1].get_value("distance") == pytest.approx(track.length_2d(), rel=5e-3)
    tcx = etree.fromstring(client.get(f"{base}/export.tcx", headers=headers).content)
    assert len(tcx.findall(".//{*}Trackpoint")) == len(points)


def test_route_exports_are_only_for_those_who_may_open_the_route(client: TestClient) -> None:
    _, owner = signed_in(client)
    _, stranger = signed_in(client)
    route = client.post("/api/v1/routes", json={"name": "Mine"}, headers=owner).json()
    for kind in ("fit", "tcx", "gpx?kind=track"):
        assert (
            client.get(f"/api/v1/routes/{route['id']}/export.{kind}", headers=stranger).status_code
            == 404
        )


def test_maps_show_openstreetmap_by_default(client: TestClient) -> None:
    page = client.get("/")
    assert (
        "img-src 'self' data: blob: https://tile.openstreetmap.org;"
        in page.headers["content-security-policy"]
    )
    assert "tile.openstreetmap.org" in page.text and "OpenStreetMap" in page.text


def test_maps_can_be_turned_off(settings: Settings, engine: Engine) -> None:
    off = settings.model_copy(update={"map_tile_url": ""})
    with TestClient(create_app(off)) as plain:
        page = plain.get("/")
    assert "img-src 'self' data: blob:;" in page.headers["content-security-policy"]
    assert "openstreetmap" not in page.text


@pytest.fixture
def tiles() -> Iterator[TileServer]:
    with tile_server() as server:
        yield server


@pytest.fixture
def proxied(settings: Settings, engine: Engine, tiles: TileServer) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "map_tile_url": tiles.url,
            "map_tile_proxy": True,
            "public_url": "https://bikes.example.org",
        }
    )
    app = create_app(configured)
    with TestClient(app, raise_server_exceptions=False) as proxied_client:
        yield proxied_client
    app.state.engine.dispose()


def test_proxied_tiles_come_from_this_server_and_its_cache(
    proxied: TestClient, tiles: TileServer
) -> None:
    page = proxied.get("/")
    assert "img-src 'self' data: blob:;" in page.headers["content-security-policy"]
    assert "127.0.0.1" not in page.text and "/map-tiles/{z}/{x}/{y}" in page.text
    for _ in range(3):
        response = proxied.get("/map-tiles/12/2330/1185")
        assert response.status_code == 200
        assert response.content == TILE and response.headers["content-type"] == "image/png"
    assert [path for path, _ in tiles.requests] == ["/12/2330/1185.png"]  # fetched once
    assert (
        tiles.requests[0][1].startswith("BikeNode/") and "bikes.example.org" in tiles.requests[0][1]
    )


def test_a_cached_tile_is_served_when_the_tile_server_fails(
    proxied: TestClient, tiles: TileServer
) -> None:
    assert proxied.get("/map-tiles/3/4/2").status_code == 200
    proxied.app.state.tile_proxy.cache_s = 0  # type: ignore[attr-defined]
    tiles.fail = True
    assert proxied.get("/map-tiles/3/4/2").content == TILE
    missing = proxied.get("/map-tiles/3/4/3")
    assert missing.status_code == 503 and missing.headers["retry-after"] == "30"


@pytest.mark.parametrize(
    "path",
    [
        "/map-tiles/20/0/0",
        "/map-tiles/2/4/0",
        "/map-tiles/2/0/-1",
        "/map-tiles/99999999999999999999/0/0",
    ],
)
def test_proxy_refuses_tiles_outside_the_pyramid(
    proxied: TestClient, tiles: TileServer, path: str
) -> None:
    assert proxied.get(path).status_code in (404, 422)
    assert tiles.requests == []


def test_proxy_is_off_by_default(client: TestClient) -> None:
    assert client.get("/map-tiles/1/0/0").status_code == 404


@pytest.mark.parametrize(
    "url", ["none", "ftp://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/tile.png"]
)
def test_a_tile_url_that_is_not_an_xyz_template_is_refused(settings: Settings, url: str) -> None:
    with pytest.raises(ValueError, match="tile URL"):
        Settings(**{**settings.model_dump(), "map_tile_url": url})
