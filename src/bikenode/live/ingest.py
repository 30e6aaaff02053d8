"""HTTP ingest for devices that cannot open a WebSocket: checked, rate-limited, stored, then
published to the session's viewers (through the rider's privacy zones) as a phone's batch is."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Final

from fastapi import Request

from bikenode.errors import MalformedRequest, TooLarge, TooManyRequests
from bikenode.live import crash_alerts, devices, logic, osmand, service
from bikenode.live.broker import BrokerUnavailable
from bikenode.live.ws import LiveNode
from bikenode.token_bucket import TokenBucket

log = logging.getLogger("bikenode.live")

# Per device on this node. A tracking app that was offline sends its buffer one position per
# request as fast as it can: the burst lets a few minutes of it through at once, then 429
# with Retry-After (OsmAnd and Traccar Client keep the rest and try again).
DEVICE_REQUESTS_PER_S: Final = 2.0
DEVICE_BURST: Final = 120.0
MAX_BODY_BYTES: Final = 256 * 1024


class BadDeviceReport(MalformedRequest):
    """A request the protocol cannot read: 400, as Traccar answers (apps expect it, not 422)."""


def parse(*, query: str, body: bytes, content_type: str | None) -> osmand.DeviceReport:
    """The request's report; BadDeviceReport saying what was wrong."""
    try:
        return osmand.parse_request(
            query=query, body=body, content_type=content_type, now_ms=int(time.time() * 1000)
        )
    except osmand.BadReport as error:
        raise BadDeviceReport(str(error)) from None


def admit(node: LiveNode, report: osmand.DeviceReport) -> None:
    """Spend one of the device's request tokens; TooManyRequests when it has none left."""
    key = devices.token_hash(report.token)
    bucket = node.device_buckets.get(key)
    if bucket is None:
        if len(node.device_buckets) > 100_000:  # forget idle devices rather than grow forever
            node.device_buckets.clear()
        bucket = node.device_buckets[key] = TokenBucket(DEVICE_REQUESTS_PER_S, DEVICE_BURST)
    wait_s = bucket.reserve(time.monotonic())
    if wait_s > 0:
        bucket.tokens += 1.0  # refused: the request costs nothing
        raise TooManyRequests(
            f"expected at most {DEVICE_REQUESTS_PER_S:g} requests a second from one device",
            retry_after_s=int(wait_s) + 1,
        )


async def ingest(node: LiveNode, report: osmand.DeviceReport) -> devices.StoredReport:
    """Store the report (committed before this returns), then publish its new positions."""
    admit(node, report)
    stored = await node.db(devices.store_report, report=report)
    if stored.batch is not None:
        await _publish(node, stored, stored.batch)
    return stored


async def ingest_mqtt(
    node: LiveNode, *, device_id: uuid.UUID, fix: osmand.DeviceFix
) -> devices.StoredReport:
    """Store a position published over MQTT (committed before this returns), then publish it.

    No token bucket: the broker hands the bridge one message at a time, so a device's resent
    buffer is drained at the pace of the database rather than refused.
    """
    stored = await node.db(devices.store_mqtt_fix, device_id=device_id, fix=fix)
    if stored.batch is not None:
        await _publish(node, stored, stored.batch)
    return stored


async def check_crash(node: LiveNode, *, session_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    """Look for a suspected crash after a stored batch; never fails the ingest that called."""
    try:
        await node.db(crash_alerts.check_session, session_id=session_id, owner_id=owner_id)
    except Exception:  # the positions are stored; the next batch checks again
        log.exception("crash check failed", extra={"session": str(session_id)})


async def _publish(node: LiveNode, stored: devices.StoredReport, batch: logic.Batch) -> None:
    await check_crash(node, session_id=stored.session_id, owner_id=stored.owner_id)
    circles = await node.db(service.rider_circles, owner_id=stored.owner_id)
    visible = service.visible_columns(batch.columns, circles)
    payload = logic.positions_payload(str(stored.session_id), batch.batch_no, visible)
    try:
        await node.hub.broker.publish(
            service.ride_channel(stored.session_id), payload, key=batch.batch_no
        )
    except BrokerUnavailable:
        # Stored already: viewers get it from the session's snapshot when they catch up.
        log.warning("device batch not published", extra={"session": str(stored.session_id)})


async def read_body(request: Request) -> bytes:
    """The request body; TooLarge past MAX_BODY_BYTES (read no further)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge(f"expected a body of at most {MAX_BODY_BYTES} bytes")
    return bytes(body)
