"""The planner against a real Valhalla server (the external engine), over the same extract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.planner.routing.valhalla import ValhallaRouter, decode_polyline6
from tests.factories import signed_in
from tests.osm_extract import ESPLANADI, PITKASILTA
from tests.servers import free_port
from tests.valhalla_server import valhalla_server


@pytest.fixture(scope="module")
def valhalla(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with valhalla_server(tmp_path_factory.mktemp("valhalla")) as base:
        yield base


def _client(settings: Settings, url: str) -> TestClient:
    configured = settings.model_copy(update={"routing_engine": "valhalla", "routing_url": url})
    return TestClient(create_app(configured), raise_server_exceptions=False)


def _directions(client: TestClient, *points: tuple[float, float]) -> dict[str, Any]:
    _, headers = signed_in(client)
    body = {"points": [{"lat_deg": lat, "lon_deg": lon} for lat, lon in points]}
    response = client.post("/api/v1/maps/directions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_valhalla_routes_the_planners_legs(
    settings: Settings, engine: Engine, valhalla: str
) -> None:
    with _client(settings, valhalla) as client:
        body = _directions(client, ESPLANADI, PITKASILTA)
    assert body["engine"] == "valhalla"
    (leg,) = body["legs"]
    assert leg["routed"] is True
    assert len(leg["path"]) > 10
    assert 1300 < body["distance_m"] < 2500  # 1.3 km as the crow flies


def test_valhalla_and_the_embedded_engine_agree_on_the_length(
    valhalla: str, tmp_path: Path
) -> None:
    from bikenode.planner.routing.store import RouterCache, import_extract
    from tests.osm_extract import osm_extract

    import_extract(tmp_path, osm_extract())
    loaded = RouterCache(tmp_path).get()
    assert loaded is not None
    ours = loaded[0].leg(ESPLANADI, PITKASILTA).distance_m
    theirs = ValhallaRouter(valhalla).leg(ESPLANADI, PITKASILTA).distance_m
    assert theirs == pytest.approx(ours, rel=0.35)


def test_a_leg_valhalla_cannot_route_is_straight_and_says_why(
    settings: Settings, engine: Engine, valhalla: str
) -> None:
    with _client(settings, valhalla) as client:
        body = _directions(client, ESPLANADI, (61.5, 23.0))
    (leg,) = body["legs"]
    assert leg["routed"] is False and "found no route" in leg["notice"]


def test_an_engine_that_does_not_answer_gives_straight_legs(
    settings: Settings, engine: Engine
) -> None:
    with _client(settings, f"http://127.0.0.1:{free_port()}") as client:
        body = _directions(client, ESPLANADI, PITKASILTA)
    (leg,) = body["legs"]
    assert leg["routed"] is False and "did not answer" in leg["notice"]


def test_polyline6_decodes_the_reference_example() -> None:
    # The polyline algorithm's documented example, read with six decimals instead of five.
    assert decode_polyline6("_p~iF~ps|U_ulLnnqC_mqNvxq`@") == [
        (3.85, -12.02),
        (4.07, -12.095),
        (4.3252, -12.6453),
    ]
