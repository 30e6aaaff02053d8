"""Device tokens and the OsmAnd/Traccar HTTP ingest through the app: the query strings the
apps send, stored once before the answer, fanned out through privacy zones, refusals."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.live import ingest
from bikenode.live.models import LiveBatch
from tests.factories import signed_in

NOW_S = int(time.time())


def _device(client: TestClient, headers: dict[str, str], name: str = "OsmAnd") -> dict[str, Any]:
    response = client.post("/api/v1/live/devices", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _osmand(client: TestClient, token: str, t_s: int, lat: float = 52.52, **extra: Any) -> Any:
    # As OsmAnd sends it with the Traccar template (timestamp in ms).
    query = f"id={token}&lat={lat}&lon=13.405&timestamp={t_s * 1000}&hdop=3.0&altitude=34.0"
    query += "".join(f"&{key}={value}" for key, value in extra.items())
    return client.get(f"/ingest/osmand?{query}")


def _sessions(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/live/sessions", headers=headers).json()[
        "items"
    ]
    return items


def _stored_points(session: Session, session_id: str) -> int:
    import uuid

    total = session.scalar(
        select(func.sum(LiveBatch.point_count)).where(LiveBatch.session_id == uuid.UUID(session_id))
    )
    session.commit()
    return int(total or 0)


def test_a_device_token_is_shown_once_listed_without_it_and_revoked(client: TestClient) -> None:
    _, headers = signed_in(client)
    created = _device(client, headers, "Traccar Client")
    assert created["token"].startswith("bnd_") and created["ingest_url"] == "/ingest/osmand"
    listed = client.get("/api/v1/live/devices", headers=headers).json()
    assert [d["name"] for d in listed] == ["Traccar Client"]
    assert "token" not in listed[0] and created["token"] not in json.dumps(listed)
    assert _osmand(client, created["token"], NOW_S - 60).status_code == 200

    _, stranger = signed_in(client)
    assert (
        client.delete(f"/api/v1/live/devices/{created['id']}", headers=stranger).status_code == 404
    )
    revoked = client.delete(f"/api/v1/live/devices/{created['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/live/devices", headers=headers).json() == []
    refused = _osmand(client, created["token"], NOW_S - 30)
    assert refused.status_code == 401, refused.text
    assert "revoked device token" in refused.json()["detail"]


def test_osmand_positions_open_a_session_stored_once_and_become_a_ride(
    client: TestClient, session: Session
) -> None:
    _, headers = signed_in(client)
    token = _device(client, headers)["token"]
    start = NOW_S - 600
    for i in range(30):
        response = _osmand(client, token, start + 10 * i, lat=52.52 + 0.0005 * i, speed=10.0)
        assert response.status_code == 200, response.text
    assert _osmand(client, token, start + 290, lat=52.5345).status_code == 200  # a retry
    [live] = _sessions(client, headers)
    assert live["status"] == "live" and live["name"] == "OsmAnd"
    [device] = client.get("/api/v1/live/devices", headers=headers).json()
    assert device["live_session_id"] == live["id"]
    assert _stored_points(session, live["id"]) == 30  # the retry stored once

    ended = client.post(f"/api/v1/live/sessions/{live['id']}/end", headers=headers)
    assert ended.status_code == 200 and ended.json()["ride_id"] is not None
    [device] = client.get("/api/v1/live/devices", headers=headers).json()
    assert device["live_session_id"] is None
    ride = client.get(f"/api/v1/rides/{ended.json()['ride_id']}", headers=headers).json()
    assert ride["distance_m"] == pytest.approx(29 * 55.6, rel=0.02)

    assert _osmand(client, token, NOW_S - 5).status_code == 200  # the next ride
    newest, older = _sessions(client, headers)
    assert newest["status"] == "live" and older["id"] == live["id"]


def test_traccar_client_posts_its_query_and_its_json_body(
    client: TestClient, session: Session
) -> None:
    _, headers = signed_in(client)
    token = _device(client, headers)["token"]
    # Traccar Client before 9: a POST with the parameters in the query string, seconds.
    query = (
        f"id={token}&timestamp={NOW_S - 120}&lat=48.8584&lon=2.2945&speed=0.0&bearing=0.0"
        "&altitude=35.0&accuracy=12.0&batt=87.0&charge=true"
    )
    assert client.post(f"/ingest/osmand?{query}").status_code == 200
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW_S - 60))
    body = {
        "location": {
            "timestamp": stamp,
            "coords": {
                "latitude": 48.859,
                "longitude": 2.295,
                "accuracy": 5.0,
                "speed": 4.2,
                "heading": 10.0,
                "altitude": 36.0,
            },
            "is_moving": True,
            "battery": {"level": 0.86, "is_charging": False},
        },
        "device_id": token,
    }
    response = client.post("/ingest/osmand", json=body)
    assert response.status_code == 200, response.text
    [live] = _sessions(client, headers)
    assert _stored_points(session, live["id"]) == 2


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("lat=52.5&lon=13.4", "device token"),
        ("id={token}&lat=NaN&lon=13.4", "finite number in 'lat'"),
        ("id={token}&lat=95&lon=13.4", "'lat' from -90 to 90"),
        ("id={token}&lat=52.5&lon=13.4&timestamp=4070908800", "time from 2000-01-01"),
        ("id={token}&lat=52.5", "'lat' and 'lon'"),
    ],
)
def test_bad_reports_are_400_with_what_was_expected(
    client: TestClient, query: str, detail: str
) -> None:
    _, headers = signed_in(client)
    token = _device(client, headers)["token"]
    response = client.get("/ingest/osmand?" + query.format(token=token))
    assert response.status_code == 400, response.text
    assert detail in response.json()["detail"]
    assert _sessions(client, headers) == []  # nothing opened for a refused request


def test_an_unknown_token_is_401(client: TestClient) -> None:
    response = client.get(f"/ingest/osmand?id=bnd_nobody&lat=1&lon=2&timestamp={NOW_S}")
    assert response.status_code == 401


def test_one_device_over_its_rate_is_told_to_retry_later(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "DEVICE_BURST", 3.0)
    _, headers = signed_in(client)
    token, other = _device(client, headers)["token"], _device(client, headers, "Garmin")["token"]
    codes = [_osmand(client, token, NOW_S - 100 + i).status_code for i in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    late = _osmand(client, token, NOW_S - 10)
    assert late.status_code == 429 and int(late.headers["Retry-After"]) >= 1
    assert _osmand(client, other, NOW_S - 10).status_code == 200  # per device


@contextlib.contextmanager
def _watching(client: TestClient, session_id: str, headers: dict[str, str]) -> Iterator[Any]:
    with client.websocket_connect(f"/api/v1/live/sessions/{session_id}/watch") as socket:
        token = headers["Authorization"].removeprefix("Bearer ")
        socket.send_json({"type": "hello", "token": token})
        _until(socket, "state")
        yield socket


def _until(socket: Any, kind: str) -> dict[str, Any]:
    for _ in range(50):
        message: dict[str, Any] = socket.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


def test_viewers_get_device_positions_without_those_in_privacy_zones(client: TestClient) -> None:
    _, headers = signed_in(client)
    zone = {"name": "home", "lat_deg": 51.5, "lon_deg": 13.405, "radius_m": 200.0}
    assert client.post("/api/v1/privacy-zones", json=zone, headers=headers).status_code == 201
    token = _device(client, headers)["token"]
    assert _osmand(client, token, NOW_S - 300, lat=51.6).status_code == 200
    [live] = _sessions(client, headers)
    with _watching(client, live["id"], headers) as viewer:
        assert _osmand(client, token, NOW_S - 200, lat=51.5).status_code == 200  # at home
        assert _osmand(client, token, NOW_S - 100, lat=51.7).status_code == 200
        at_home, away = _until(viewer, "msg"), _until(viewer, "msg")
    assert at_home["data"]["batch"] == 2 and at_home["data"]["lat"] == []
    assert away["data"]["batch"] == 3 and away["data"]["lat"] == [pytest.approx(51.7)]
