"""Devices over MQTT: what a position costs from a device's publish to its commit, beside the
same position over the OsmAnd HTTP ingest.

One app on a SQLite file (as `bikenode serve` runs it) with its MQTT bridge, a real mosquitto
on loopback set up by `bikenode mqtt-config`, one device:

- one at a time: publish (QoS 1), then wait until the position is committed (the device row's
  newest time, polled every 0.5 ms): p50 and p95 over N positions. The HTTP peer: one OsmAnd
  GET through the app, whose answer comes after the commit.
- a burst: N positions published back to back, time until the last is committed: positions
  a second (the bridge stores one message at a time, each its own commit).

N stays under the HTTP ingest's burst of 120 a device, so no request is refused.

Run: PYTHONPATH=src:. .venv/bin/python bench/mqtt_ingest.py [--positions 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from tests.factories import signed_in
from tests.servers import _wait_for_port, free_port

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head
from bikenode.live import mqtt
from bikenode.live.commands import write_mqtt_config
from bikenode.live.models import LiveDevice

START_S = int(time.time()) - 3600


def _newest_ms(factory: object, device_id: str) -> int | None:
    with factory() as session:  # type: ignore[operator]
        found: int | None = session.scalar(
            select(LiveDevice.last_fix_ms).where(LiveDevice.id == uuid.UUID(device_id))
        )
        return found


def _wait_for(factory: object, device_id: str, time_ms: int) -> None:
    deadline = time.monotonic() + 30
    while (_newest_ms(factory, device_id) or 0) < time_ms:
        if time.monotonic() > deadline:
            raise RuntimeError(f"position {time_ms} not stored after 30 s")
        time.sleep(0.0005)


def _position(t_s: int) -> str:
    return json.dumps({"lat": 52.52 + (t_s % 1000) * 1e-5, "lon": 13.405, "time": t_s})


def main(positions: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bikenode-mqtt-bench-"))
    url = f"sqlite:///{folder / 'bikenode.sqlite3'}"
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    port = free_port()
    with factory() as session:
        write_mqtt_config(session, out=folder / "mqtt", host="127.0.0.1", port=port)
    conf = folder / "mqtt" / "mosquitto.conf"
    if os.geteuid() == 0:
        conf.write_text(conf.read_text() + "user root\n")
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    settings = Settings(
        data_dir=folder / "data",
        database_url=url,
        secret_key="bench-secret-key-that-is-long-enough-for-hs256-0123456789",
        argon2_memory_kib=19 * 1024,
        run_worker=False,
        mqtt_url=f"mqtt://127.0.0.1:{port}",
        mqtt_password_file=folder / "mqtt" / "bridge.password",
    )
    try:
        _wait_for_port(port)
        app = create_app(settings)
        with TestClient(app) as client:
            while not app.state.live.mqtt_bridge.subscribed.is_set():
                time.sleep(0.01)
            _, headers = signed_in(client)
            made = [
                client.post("/api/v1/live/devices", json={"name": n}, headers=headers).json()
                for n in ("MQTT", "HTTP")
            ]
            with factory() as session:
                write_mqtt_config(session, out=folder / "mqtt", host="127.0.0.1", port=port)
            broker.send_signal(1)  # SIGHUP: the new device's password
            time.sleep(0.5)
            rows = _measure(client, factory, made[0], made[1], port, positions)
        app.state.engine.dispose()
    finally:
        broker.terminate()
        broker.wait(10)
    print(f"\ndevice positions on SQLite, {positions} each (ms from send to commit)")
    print("positions/s: MQTT a burst published back to back; HTTP one request after another")
    print(f"{'path':<22} {'p50 ms':>8} {'p95 ms':>8} {'positions/s':>12}")
    for name, (p50, p95, rate) in rows.items():
        print(f"{name:<22} {p50:>8.2f} {p95:>8.2f} {rate:>12.0f}")
    mqtt_row, http_row = rows["MQTT (mosquitto)"], rows["HTTP (OsmAnd GET)"]
    print(f"MQTT/HTTP p50 ratio {mqtt_row[0] / http_row[0]:.2f}")


def _measure(
    client: TestClient,
    factory: object,
    mqtt_device: dict[str, str],
    http_device: dict[str, str],
    port: int,
    positions: int,
) -> dict[str, tuple[float, float, float]]:
    publisher = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    publisher.username_pw_set(mqtt_device["id"], mqtt_device["token"])
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()
    topic = mqtt.topic_for(uuid.UUID(mqtt_device["id"]))
    latencies: list[float] = []
    for i in range(positions):
        began = time.perf_counter()
        publisher.publish(topic, _position(START_S + i), qos=1)
        _wait_for(factory, mqtt_device["id"], (START_S + i) * 1000)
        latencies.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    for i in range(positions):
        publisher.publish(topic, _position(START_S + positions + i), qos=1)
    _wait_for(factory, mqtt_device["id"], (START_S + 2 * positions - 1) * 1000)
    mqtt_rate = positions / (time.perf_counter() - began)
    publisher.disconnect()
    publisher.loop_stop()

    token, http_latencies = http_device["token"], []
    for i in range(positions):
        began = time.perf_counter()
        answer = client.get(f"/ingest/osmand?id={token}&lat=52.52&lon=13.4&timestamp={START_S + i}")
        http_latencies.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"HTTP ingest answered {answer.status_code}: {answer.text}")
    return {
        "MQTT (mosquitto)": (*_p50_p95(latencies), mqtt_rate),
        "HTTP (OsmAnd GET)": (*_p50_p95(http_latencies), 1000 / statistics.mean(http_latencies)),
    }


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=100)
    main(parser.parse_args().positions)
