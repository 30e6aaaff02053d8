"""A Strava export's bikes.csv makes the rider's bikes and each activity's "Activity Gear"
puts its ride on that bike; a run's gear (shoes) makes no bike."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.bikes.models import Bike, RideAssignment
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

START = datetime(2024, 6, 1, 7, 0, tzinfo=UTC)
BIKES_CSV = (
    "Bike Name,Bike Brand,Bike Model,Bike Default Sport Types\n"
    "Canyon Endurace,Canyon,Endurace CF 7,Ride\n"
    '"Grail, the gravel one",Canyon,Grail AL,"Ride, GravelRide"\n'
    "Old Kickr,,,VirtualRide\n"
)
# (Activity Type, Activity Gear) per activity, one day apart.
ACTIVITIES = [
    ("Ride", "Canyon Endurace"),
    ("Gravel Ride", "Grail, the gravel one"),
    ("Ride", "canyon  endurace"),  # the same bike, however the export spells it
    ("Run", "Pegasus 40"),  # shoes: no bike
    ("Ride", ""),  # no gear: the default bike, if any
]


def _archive(*, with_bikes: bool = True) -> bytes:
    rows = ["Activity ID,Activity Date,Activity Name,Activity Type,Activity Gear,Filename"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n, (kind, gear) in enumerate(ACTIVITIES):
            when = START + timedelta(days=n)
            rows.append(
                f'{n},"{when:%b} {when.day}, 2024, 7:00:00 AM",Activity {n},{kind},"{gear}",'
                f"activities/{n}.gpx"
            )
            archive.writestr(f"activities/{n}.gpx", synthetic_gpx(when, points=150, seed=n))
        archive.writestr("activities.csv", "\n".join(rows) + "\n")
        if with_bikes:
            archive.writestr("bikes.csv", BIKES_CSV)
    return buffer.getvalue()


def _drain(client: TestClient) -> None:
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]


def _bikes(client: TestClient, owner_id: uuid.UUID) -> dict[str, Bike]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        return {b.name: b for b in db.scalars(select(Bike).where(Bike.owner_id == owner_id))}


def _placed(client: TestClient, ride_ids: list[str]) -> list[Any]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        rows = {
            str(row.ride_id): row
            for row in db.scalars(
                select(RideAssignment).where(
                    RideAssignment.ride_id.in_([uuid.UUID(r) for r in ride_ids])
                )
            )
        }
    return [rows.get(ride_id) for ride_id in ride_ids]


def _ride_ids(upload: dict[str, Any]) -> list[str]:
    by_name = {item["entry"]: item["ride_id"] for item in upload["items"]}
    return [by_name[f"activities/{n}.gpx"] for n in range(len(ACTIVITIES))]


def test_an_exports_bikes_are_made_and_its_rides_put_on_them(client: TestClient) -> None:
    _, headers = signed_in(client)
    owner_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["id"])
    (upload,) = upload_files(client, headers, [("export_1.zip", _archive())])
    assert {i["status"] for i in upload["items"]} == {"imported"}, upload
    _drain(client)
    _drain(client)  # a second round changes nothing

    bikes = _bikes(client, owner_id)
    assert sorted(bikes) == ["Canyon Endurace", "Grail, the gravel one", "Old Kickr"]
    endurace, grail, kickr = (bikes[n] for n in sorted(bikes))
    assert (endurace.brand, endurace.model, endurace.type) == ("Canyon", "Endurace CF 7", "road")
    assert (grail.brand, grail.model, grail.type) == ("Canyon", "Grail AL", "gravel")
    assert (kickr.brand, kickr.model, kickr.type) == (None, None, "trainer")

    placed = _placed(client, _ride_ids(upload))
    expected = [endurace.id, grail.id, endurace.id]
    assert [row.bike_id for row in placed[:3]] == expected
    assert all(row.reason == "named in the imported export" for row in placed[:3])
    assert placed[3] is None  # the run's shoes are not a bike
    assert placed[4] is None  # no gear and no default bike
    listed = client.get("/api/v1/bikes", headers=headers).json()
    assert len(listed["items"] if isinstance(listed, dict) else listed) == 3


def test_the_gear_reuses_the_riders_own_bike_and_keeps_their_fields(client: TestClient) -> None:
    _, headers = signed_in(client)
    owner_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["id"])
    made = client.post(
        "/api/v1/bikes",
        json={"name": "CANYON ENDURACE", "type": "road", "brand": "My brand"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    (upload,) = upload_files(client, headers, [("export_1.zip", _archive(with_bikes=False))])
    _drain(client)
    bikes = _bikes(client, owner_id)
    # Without bikes.csv the gear alone makes the bikes it names; the rider's is reused.
    assert sorted(bikes) == ["CANYON ENDURACE", "Grail, the gravel one"]
    own = bikes["CANYON ENDURACE"]
    assert (own.brand, own.model) == ("My brand", None)
    assert bikes["Grail, the gravel one"].type == "road"  # no sport types without bikes.csv
    first, second, third = _placed(client, _ride_ids(upload))[:3]
    assert first.bike_id == third.bike_id == own.id and second.bike_id != own.id

    # The rider moves a ride; a later edit of the ride does not move it back.
    ride_id = _ride_ids(upload)[0]
    grail_id = str(bikes["Grail, the gravel one"].id)
    moved = client.put(f"/api/v1/rides/{ride_id}/bike", json={"bike_id": grail_id}, headers=headers)
    assert moved.status_code == 200, moved.text
    client.patch(f"/api/v1/rides/{ride_id}", json={"name": "Renamed"}, headers=headers)
    _drain(client)
    assert str(_placed(client, [ride_id])[0].bike_id) == grail_id


def test_a_long_bikes_list_is_cut_and_the_rides_still_import(client: TestClient) -> None:
    _, headers = signed_in(client)
    owner_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["id"])
    rows = "Bike Name,Bike Brand\n" + "".join(f"Bike {n},Brand\n" for n in range(250))
    buffer = io.BytesIO(_archive(with_bikes=False))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("bikes.csv", rows)
    (upload,) = upload_files(client, headers, [("export_1.zip", buffer.getvalue())])
    assert {i["status"] for i in upload["items"]} == {"imported"}, upload
    _drain(client)
    bikes = _bikes(client, owner_id)
    # At most 200 listed bikes are read, plus the two the activities' gear names.
    assert len(bikes) == 202 and "Bike 199" in bikes and "Bike 200" not in bikes
    assert "Grail, the gravel one" in bikes
