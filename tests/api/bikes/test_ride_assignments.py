"""Rides go on the rider's default bike by rides' events, indoor rides on the trainer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.bikes.models import Bike, RideAssignment
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx


def _drain(client: TestClient) -> None:
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]


def _assignment(client: TestClient, ride_id: str) -> RideAssignment | None:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        found: RideAssignment | None = db.scalar(
            select(RideAssignment).where(RideAssignment.ride_id == uuid.UUID(ride_id))
        )
        return found


def test_the_dispatcher_assigns_rides_and_follows_edits_and_deletions(client: TestClient) -> None:
    _, headers = signed_in(client)
    owner_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["id"])
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        road = Bike(owner_id=owner_id, name="Road", type="road", default_for_sports=["cycling"])
        trainer = Bike(owner_id=owner_id, name="Kickr", type="trainer", default_for_sports=[])
        db.add_all([road, trainer])
        db.commit()
        road_id, trainer_id = road.id, trainer.id
    gpx = synthetic_gpx(datetime(2025, 4, 1, 8, tzinfo=UTC), points=120)
    (upload,) = upload_files(client, headers, [("a.gpx", gpx)])
    ride_id = upload["items"][0]["ride_id"]
    _drain(client)
    _drain(client)  # a second delivery round changes nothing
    first = _assignment(client, ride_id)
    assert first is not None and first.bike_id == road_id
    assert first.reason == "default bike for cycling" and first.distance_m > 0
    assert first.started_at == datetime(2025, 4, 1, 8, tzinfo=UTC)

    patched = client.patch(
        f"/api/v1/rides/{ride_id}", json={"sport": "virtual_cycling"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    _drain(client)
    moved = _assignment(client, ride_id)
    assert moved is not None and moved.bike_id == trainer_id and "trainer" in moved.reason

    assert client.delete(f"/api/v1/rides/{ride_id}", headers=headers).status_code == 204
    _drain(client)
    assert _assignment(client, ride_id) is None
