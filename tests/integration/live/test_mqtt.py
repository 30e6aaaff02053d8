"""Devices over MQTT through a real mosquitto on loopback, configured by `bikenode mqtt-config`:
positions published with QoS 1 reach the device's live session, repeats are stored once,
a device cannot publish to another's topic, positions queued while the bridge is down arrive
after it reconnects, and a bridge that dies between receiving and storing never acked."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.engine import make_session_factory
from bikenode.live import mqtt
from bikenode.live.commands import write_mqtt_config
from bikenode.live.models import LiveBatch
from tests.corpus import REPO, in_ci
from tests.factories import signed_in
from tests.servers import _wait_for_port, free_port

NOW_S = int(time.time())
MISSING = "mosquitto is not installed: run scripts/system-packages"


def _mosquitto() -> str:
    for path in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto"):
        if os.access(path, os.X_OK):
            return path
    if in_ci():
        raise RuntimeError(MISSING)  # CI may not skip these tests
    pytest.skip(MISSING)


@dataclass
class Broker:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    def reload(self, engine: Engine) -> None:
        """Write the files again (devices added since) and have mosquitto read them."""
        with make_session_factory(engine)() as session:
            write_mqtt_config(session, out=self.folder, host="127.0.0.1", port=self.port)
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # mosquitto reloads at its next loop turn


@pytest.fixture
def broker(tmp_path: Path, engine: Engine) -> Iterator[Broker]:
    binary = _mosquitto()
    folder, port = tmp_path / "mqtt", free_port()
    with make_session_factory(engine)() as session:
        write_mqtt_config(session, out=folder, host="127.0.0.1", port=port)
    if os.geteuid() == 0:  # else mosquitto drops to its own user, who may not read the files
        with (folder / "mosquitto.conf").open("a") as conf:
            conf.write("user root\n")
    log = (tmp_path / "mosquitto.log").open("wb")
    process = subprocess.Popen(
        [binary, "-c", str(folder / "mosquitto.conf")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port)
        yield Broker(folder, port, process)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _settings(settings: Settings, broker: Broker) -> Settings:
    return settings.model_copy(
        update={
            "mqtt_url": f"mqtt://127.0.0.1:{broker.port}",
            "mqtt_password_file": broker.folder / "bridge.password",
        }
    )


@contextlib.contextmanager
def _served(settings: Settings) -> Iterator[TestClient]:
    """The app with its MQTT bridge, once the broker has accepted the bridge."""
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            bridge = app.state.live.mqtt_bridge
            _until(lambda: bridge.subscribed.is_set(), "the bridge to subscribe")
            yield client
    finally:
        app.state.engine.dispose()


def _until(check: Any, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _device(client: TestClient, headers: dict[str, str], name: str) -> tuple[str, str]:
    response = client.post("/api/v1/live/devices", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["mqtt_topic"] == f"bikenode/devices/{created['id']}/position"
    return created["id"], created["token"]


@contextlib.contextmanager
def _publisher(broker: Broker, device_id: str, token: str) -> Iterator[paho.Client]:
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.username_pw_set(device_id, token)
    acks: list[tuple[int, bool]] = []
    client.on_publish = lambda _c, _u, mid, reason, _p: acks.append((mid, reason.is_failure))
    client.user_data_set(acks)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def _publish(client: paho.Client, topic: str, payload: dict[str, Any]) -> bool:
    """Publish with QoS 1 and wait for the broker's PUBACK; whether it refused the message."""
    info = client.publish(topic, json.dumps(payload), qos=1)
    info.wait_for_publish(5)
    acks: list[tuple[int, bool]] = client.user_data_get()
    _until(lambda: any(mid == info.mid for mid, _ in acks), "the broker's PUBACK")
    return next(refused for mid, refused in acks if mid == info.mid)


def _position(t_s: int, lat: float = 52.52, **extra: Any) -> dict[str, Any]:
    return {"lat": lat, "lon": 13.405, "time": t_s, "altitude": 34.0, "speed": 5.5, **extra}


def _points(engine: Engine, session_id: str | None) -> int:
    if session_id is None:
        return 0
    with make_session_factory(engine)() as session:
        total = session.scalar(
            select(func.sum(LiveBatch.point_count)).where(
                LiveBatch.session_id == uuid.UUID(session_id)
            )
        )
    return int(total or 0)


def _live_session(client: TestClient, headers: dict[str, str], device_id: str) -> str | None:
    devices = client.get("/api/v1/live/devices", headers=headers).json()
    found: str | None = next(d["live_session_id"] for d in devices if d["id"] == device_id)
    return found


def test_a_device_publishes_into_its_live_session_once_and_never_into_anothers(
    broker: Broker, settings: Settings, engine: Engine
) -> None:
    with _served(_settings(settings, broker)) as client:
        _, headers = signed_in(client)
        a_id, a_token = _device(client, headers, "Tracker A")
        _, other = signed_in(client)
        b_id, b_token = _device(client, other, "Tracker B")
        broker.reload(engine)
        start = NOW_S - 600
        with _publisher(broker, a_id, a_token) as publisher:
            topic = mqtt.topic_for(uuid.UUID(a_id))
            for i in range(10):
                position = _position(start + 10 * i, lat=52.52 + 0.0005 * i, hr=130 + i)
                assert not _publish(publisher, topic, position)
            assert not _publish(publisher, topic, _position(start + 90, lat=52.5245, hr=139))
            # Into B's topic: the ACL refuses it (MQTT 5 PUBACK "not authorised").
            assert _publish(publisher, mqtt.topic_for(uuid.UUID(b_id)), _position(start))
            # A bad payload is acknowledged and dropped, never delivered again.
            assert not _publish(publisher, topic, {"lat": "north", "time": start})
            assert not _publish(publisher, topic, _position(start + 100, lat=52.5250))
        _until(lambda: _points(engine, _live_session(client, headers, a_id)) == 11, "11 points")
        session_a = _live_session(client, headers, a_id)
        [live] = client.get("/api/v1/live/sessions", headers=headers).json()["items"]
        assert live["id"] == session_a and live["name"] == "Tracker A"
        assert _live_session(client, other, b_id) is None
        assert client.get("/api/v1/live/sessions", headers=other).json()["items"] == []

        ended = client.post(f"/api/v1/live/sessions/{session_a}/end", headers=headers).json()
        ride = client.get(f"/api/v1/rides/{ended['ride_id']}", headers=headers).json()
        assert ride["distance_m"] == pytest.approx(10 * 55.6, rel=0.02)
        with _publisher(broker, b_id, b_token) as publisher:  # B's own topic is open to B
            assert not _publish(publisher, mqtt.topic_for(uuid.UUID(b_id)), _position(start))
        _until(lambda: _points(engine, _live_session(client, other, b_id)) == 1, "B's position")


def test_positions_sent_while_the_bridge_is_down_arrive_once_it_reconnects(
    broker: Broker, settings: Settings, engine: Engine
) -> None:
    served = _settings(settings, broker)
    with _served(served) as client:
        _, headers = signed_in(client)
        device_id, token = _device(client, headers, "Tracker")
        broker.reload(engine)
    topic = mqtt.topic_for(uuid.UUID(device_id))
    with _publisher(broker, device_id, token) as publisher:
        for i in range(3):
            assert not _publish(publisher, topic, _position(NOW_S - 60 + i))
        assert not _publish(publisher, topic, _position(NOW_S - 60 + 2))  # a resend
    with _served(served) as client:
        _until(lambda: _points(engine, _live_session(client, headers, device_id)) == 3, "3 points")
        time.sleep(0.5)  # nothing more comes: the resend was stored once
        assert _points(engine, _live_session(client, headers, device_id)) == 3


BRIDGE_THAT_DIES = """
import asyncio, os, sys
from bikenode.live.mqtt_bridge import MqttBridge, parse_broker_url

async def store(device_id, fix):
    os._exit(3)  # dies after receiving, before storing: no PUBACK may have left

async def main():
    bridge = MqttBridge(
        parse_broker_url(sys.argv[1]), password=sys.argv[2], store=store,
        loop=asyncio.get_running_loop(),
    )
    # An ack before the store would only leave at the network loop's next turn: catch it here.
    bridge.client.ack = lambda mid, qos: os._exit(4)
    bridge.start()
    await asyncio.sleep(20)
    sys.exit("no message came")

asyncio.run(main())
"""


def test_a_position_is_acknowledged_only_after_it_is_stored(
    broker: Broker, settings: Settings, engine: Engine
) -> None:
    served = _settings(settings, broker)
    with _served(served) as client:
        _, headers = signed_in(client)
        device_id, token = _device(client, headers, "Tracker")
        broker.reload(engine)
    with _publisher(broker, device_id, token) as publisher:
        assert not _publish(publisher, mqtt.topic_for(uuid.UUID(device_id)), _position(NOW_S))
    password = (broker.folder / "bridge.password").read_text().strip()
    died = subprocess.run(
        [sys.executable, "-c", BRIDGE_THAT_DIES, served.mqtt_url, password],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert died.returncode == 3, died.stderr.decode()[-2000:]  # 4: acked before storing
    with _served(served) as client:  # the broker delivers it again: it was never acked
        _until(lambda: _points(engine, _live_session(client, headers, device_id)) == 1, "1 point")


def test_a_revoked_device_is_dropped_by_the_bridge_then_refused_by_the_broker(
    broker: Broker, settings: Settings, engine: Engine
) -> None:
    with _served(_settings(settings, broker)) as client:
        _, headers = signed_in(client)
        device_id, token = _device(client, headers, "Tracker")
        broker.reload(engine)
        topic = mqtt.topic_for(uuid.UUID(device_id))
        with _publisher(broker, device_id, token) as publisher:
            assert not _publish(publisher, topic, _position(NOW_S - 30))
            _until(lambda: _points(engine, _live_session(client, headers, device_id)) == 1, "1")
            [live] = client.get("/api/v1/live/sessions", headers=headers).json()["items"]
            client.delete(f"/api/v1/live/devices/{device_id}", headers=headers)
            # The broker's files still let it in: the bridge acks and drops it.
            assert not _publish(publisher, topic, _position(NOW_S - 20))
            time.sleep(0.5)
        assert _points(engine, live["id"]) == 1
        broker.reload(engine)
        refused = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        refused.username_pw_set(device_id, token)
        answers: list[str] = []
        refused.on_connect = lambda _c, _u, _f, reason, _p: answers.append(str(reason))
        refused.connect("127.0.0.1", broker.port)
        refused.loop_start()
        try:
            _until(lambda: answers, "the broker's CONNACK")
        finally:
            refused.disconnect()
            refused.loop_stop()
        assert answers[0] in ("Not authorized", "Bad user name or password"), answers
