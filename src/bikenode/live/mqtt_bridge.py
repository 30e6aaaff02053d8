"""The MQTT bridge: BikeNode's own broker user, subscribed to every device's position topic.

Each message is stored (committed) before it is acknowledged: paho's manual acks hold the
PUBACK back until the store returns, so a bridge that dies in between leaves the message with
the broker, which delivers it again when the bridge reconnects (its session is persistent:
clean_start False, a fixed client id). A repeat is stored once (the device's newest position
time, see devices.store_mqtt_fix). A payload that can never be stored (bad JSON, a revoked
device) is acknowledged and dropped with a log line, so it is not delivered again forever.

paho runs its network loop in a thread of its own; the store runs on the app's event loop,
the same path as the HTTP ingest (bikenode.live.ingest), and the thread waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bikenode.config import Settings
from bikenode.errors import DomainError
from bikenode.live import mqtt
from bikenode.live.osmand import BadReport, DeviceFix

log = logging.getLogger("bikenode.live.mqtt")

CLIENT_ID: Final = "bikenode-bridge"
SESSION_EXPIRY_S: Final = 7 * 24 * 3600  # positions queue this long for a bridge that is down
STORE_TIMEOUT_S: Final = 30.0
# A store that fails for a passing reason (the database restarting) is tried again; after
# these attempts the message stays unacknowledged and comes again at the next connection.
STORE_ATTEMPTS: Final = 5
KEEPALIVE_S: Final = 30
BRIDGE_PASSWORD_FILE: Final = "bridge.password"  # noqa: S105 (a file name, not a password)

Store = Callable[[uuid.UUID, DeviceFix], Coroutine[Any, Any, object]]


class BadBrokerUrl(ValueError):
    """An --mqtt value that is not mqtt://[user[:password]@]host[:port]."""


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker listens and who the bridge signs in as."""

    host: str
    port: int
    username: str
    password: str | None


def parse_broker_url(url: str) -> BrokerAddress:
    """The broker's address of ``mqtt://[user[:password]@]host[:port]`` (port 1883 by default)."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise BadBrokerUrl(f"expected mqtt://host:port, got {url!r}")
    try:
        port = parts.port or 1883
    except ValueError:
        raise BadBrokerUrl(f"expected a port from 1 to 65535 in {url!r}") from None
    password = unquote(parts.password) if parts.password is not None else None
    username = unquote(parts.username) if parts.username else mqtt.BRIDGE_USER
    return BrokerAddress(parts.hostname, port, username, password)


class MqttBridge:
    """Subscribes to every device's position topic and stores each message before its ack."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        password: str,
        store: Store,
        loop: asyncio.AbstractEventLoop,
        client_id: str = CLIENT_ID,
    ) -> None:
        self.address = address
        self._store = store
        self._loop = loop
        self._stopping = False
        self.subscribed = asyncio.Event()  # set once the broker confirms the subscription
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.username_pw_set(address.username, password)
        client.manual_ack_set(True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self.client = client

    def start(self) -> None:
        """Connect in the background (retried until the broker answers) and start the loop."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(
            self.address.host,
            self.address.port,
            keepalive=KEEPALIVE_S,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect; messages not yet acknowledged stay with the broker. Blocks: call it off
        the event loop, which may still have a store to finish."""
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.error("MQTT broker refused the bridge: %s", reason)
            return
        client.subscribe(mqtt.SUBSCRIPTION, qos=1)
        log.info("MQTT bridge connected to %s:%s", self.address.host, self.address.port)

    def _on_subscribe(
        self, _client: paho.Client, _userdata: Any, _mid: int, reasons: list[Any], _props: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("MQTT broker refused the bridge's subscription: %s", reasons)
            return
        self._loop.call_soon_threadsafe(self.subscribed.set)

    def _on_message(self, client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            device_id = mqtt.device_of_topic(message.topic)
            fix = mqtt.parse_position(bytes(message.payload), now_ms=int(time.time() * 1000))
        except BadReport as error:
            log.warning("MQTT position dropped (%s): %s", message.topic[:120], error)
            client.ack(message.mid, message.qos)
            return
        if self._stored(device_id, fix):
            client.ack(message.mid, message.qos)

    def _stored(self, device_id: uuid.UUID, fix: DeviceFix) -> bool:
        """Whether the position is now stored or can never be (then it is dropped)."""
        for attempt in range(STORE_ATTEMPTS):
            future: Future[object] = asyncio.run_coroutine_threadsafe(
                self._store(device_id, fix), self._loop
            )
            try:
                future.result(timeout=STORE_TIMEOUT_S)
                return True
            except DomainError as error:  # a revoked device: it will never be stored
                log.warning("MQTT position dropped (device %s): %s", device_id, error)
                return True
            except Exception:
                log.exception("MQTT position not stored (device %s), try %d", device_id, attempt)
                future.cancel()
                if self._stopping:
                    return False
                time.sleep(min(2.0**attempt, 10.0))
        return False


def bridge_password(settings: Settings, address: BrokerAddress) -> str:
    """The bridge's broker password: from the URL, else its file; BadBrokerUrl if neither."""
    if address.password is not None:
        return address.password
    path = settings.mqtt_password_file or settings.data_dir / "mqtt" / BRIDGE_PASSWORD_FILE
    try:
        return path.read_text().strip()
    except OSError as error:
        raise BadBrokerUrl(
            f"expected the bridge's MQTT password in {path} (see `bikenode mqtt-config`), "
            f"got {error.strerror}"
        ) from None


def start_bridge(settings: Settings, store: Store) -> MqttBridge:
    """A bridge to the broker of settings.mqtt_url, connecting in the background."""
    address = parse_broker_url(settings.mqtt_url)
    bridge = MqttBridge(
        address,
        password=bridge_password(settings, address),
        store=store,
        loop=asyncio.get_running_loop(),
    )
    bridge.start()
    return bridge
