"""bikenode.sync.client against a real server on loopback (uvicorn, real HTTP)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bikenode.sync.client import SyncClient
from bikenode.sync.logic.hlc import wall_clock_ms
from tests.api.sync.conftest import Rider, make_rider
from tests.servers import free_port

TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def live_rider(client: TestClient) -> Rider:
    return make_rider(client)


def token(rider: Rider) -> str:
    return rider.headers["Authorization"].removeprefix("Bearer ")


def test_two_devices_edit_offline_and_converge(
    live_url: str, live_rider: Rider, client: TestClient, tmp_path: Path
) -> None:
    phone = SyncClient(tmp_path / "phone.db", base_url=live_url, token=token(live_rider))
    laptop = SyncClient(tmp_path / "laptop.db", base_url=live_url, token=token(live_rider))
    phone.pull(), laptop.pull()
    ride_id = live_rider.ride_ids[0]
    assert phone.record_ids("ride") == sorted(live_rider.ride_ids)
    base = phone.get("ride", ride_id)
    assert base is not None
    phone.edit("ride", ride_id, name=f"Wet {base['name']}", sport="gravel")
    laptop.edit("ride", ride_id, name=f"{base['name']} with Ada", visibility="public")
    assert phone.get("ride", ride_id)["name"] == f"Wet {base['name']}"  # type: ignore[index]
    phone.sync(), laptop.sync(), phone.sync()
    expected = {
        "name": f"Wet {base['name']} with Ada",
        "description": base["description"],
        "sport": "gravel",
        "visibility": "public",
        "share_health": None,
        "commute": False,
    }
    assert phone.get("ride", ride_id) == laptop.get("ride", ride_id) == expected
    assert phone.pending() == laptop.pending() == 0
    rest = client.get(f"/api/v1/rides/{ride_id}", headers=live_rider.headers).json()
    assert {k: rest[k] for k in expected} == expected


def test_a_conflict_reaches_the_client_and_its_resolution_every_device(
    live_url: str, live_rider: Rider, tmp_path: Path
) -> None:
    phone = SyncClient(tmp_path / "phone.db", base_url=live_url, token=token(live_rider))
    laptop = SyncClient(tmp_path / "laptop.db", base_url=live_url, token=token(live_rider))
    ride_id = live_rider.ride_ids[1]
    phone.pull(), laptop.pull()
    phone.edit("ride", ride_id, description="a hard climb")
    laptop.edit("ride", ride_id, description="an easy spin")
    phone.sync()
    pushed, pulled = laptop.sync()
    assert len(pushed.conflicts) == 1 and pulled.open_conflicts == 1
    [conflict] = laptop.conflicts()
    assert {conflict["kept"], conflict["other"]} == {"a hard climb", "an easy spin"}
    phone.resolve(conflict["id"], "a hard climb, then an easy spin")
    phone.pull(), laptop.pull()
    for device in (phone, laptop):
        assert device.get("ride", ride_id)["description"] == "a hard climb, then an easy spin"  # type: ignore[index]
    assert laptop.conflicts() == []


def test_the_outbox_survives_a_process_exit(
    live_url: str, live_rider: Rider, client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "phone.db"
    phone = SyncClient(path, base_url=live_url, token=token(live_rider))
    phone.pull()
    phone.close()
    ride_id = live_rider.ride_ids[0]
    offline = (  # another process edits with no server reachable, then dies at once
        "import os, sys\n"
        "from bikenode.sync.client import SyncClient\n"
        f"c = SyncClient({str(path)!r}, base_url='http://127.0.0.1:9', token='t')\n"
        f"c.edit('ride', {ride_id!r}, name='Edited in a tunnel')\n"
        f"c.edit('settings', {live_rider.user_id!r}, units='imperial')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", offline], check=True, timeout=60)
    phone = SyncClient(path, base_url=live_url, token=token(live_rider))
    assert phone.pending() == 2
    report = phone.push()
    assert report.confirmed == 2 and phone.pending() == 0
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=live_rider.headers).json()
    me = client.get("/api/v1/me", headers=live_rider.headers).json()
    assert (ride["name"], me["units"]) == ("Edited in a tunnel", "imperial")


def test_a_device_ten_years_ahead_is_refused_then_restamps(
    live_url: str, live_rider: Rider, client: TestClient, tmp_path: Path
) -> None:
    device = SyncClient(
        tmp_path / "broken.db",
        base_url=live_url,
        token=token(live_rider),
        now_ms=lambda: wall_clock_ms() + TEN_YEARS_MS,
    )
    ride_id = live_rider.ride_ids[0]
    # Offline from the start: it has never heard the server's time.
    device.db.execute(
        'INSERT INTO records VALUES (\'ride\', ?, 0, \'{"name": {"value": "x", "hlc": "0000000000000-0000-0"}}\')',
        (ride_id,),
    )
    device.edit("ride", ride_id, sport="track")
    report = device.push()
    assert report.restamped == 1 and report.confirmed == 1
    assert (
        client.get(f"/api/v1/rides/{ride_id}", headers=live_rider.headers).json()["sport"]
        == "track"
    )
    laptop = SyncClient(tmp_path / "laptop.db", base_url=live_url, token=token(live_rider))
    laptop.pull()
    laptop.edit("ride", ride_id, sport="road")  # a later edit is not beaten by the broken clock
    laptop.sync()
    assert (
        client.get(f"/api/v1/rides/{ride_id}", headers=live_rider.headers).json()["sport"] == "road"
    )
