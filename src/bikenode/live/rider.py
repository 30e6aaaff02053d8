"""The rider's socket: each batch checked, stored once, published, acknowledged; the group
ride told where its member is now."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket
from starlette.websockets import WebSocketState

from bikenode.errors import Conflict, NotFound
from bikenode.live import crash_alerts, group_rides, logic, service
from bikenode.live.broker import BrokerUnavailable
from bikenode.live.frames import (
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_TRY_LATER,
    close_code,
    close_socket,
    encode_message,
    receive_frame,
    send_message,
)
from bikenode.live.models import LiveCrashAlert, LiveSession
from bikenode.rides import HiddenCircle

if TYPE_CHECKING:
    from bikenode.live.ws import LiveNode

log = logging.getLogger("bikenode.live")

PRIVACY_RELOAD_S = 30.0
MAX_BAD_FRAMES = 20  # then the connection is closed with 1008


class RiderConnection:
    """One rider socket: checks each batch, stores it once, publishes it, acknowledges it."""

    def __init__(
        self,
        websocket: WebSocket,
        node: LiveNode,
        live: LiveSession,
        state: service.RiderState,
    ) -> None:
        self.websocket = websocket
        self.node = node
        self.session_id = live.id
        self.owner_id = live.owner_id
        self.channel = service.ride_channel(live.id)
        self.last_batch_no = state.last_batch_no
        self.last_time_ms = state.last_time_ms
        self.group_id = live.group_id
        self.bad_frames = 0
        self.circles: list[HiddenCircle] = []
        self.circles_loaded_s = 0.0
        self.crash_detection = False

    async def load_privacy_zones(self) -> None:
        """(Re)load the rider's privacy zones: nothing inside them leaves this connection."""
        self.circles = await self.node.db(service.rider_circles, owner_id=self.owner_id)
        # Reloaded with the zones: a rider who turns crash detection on mid-ride is watched soon.
        crash = await self.node.db(crash_alerts.get_settings, owner_id=self.owner_id)
        self.crash_detection = crash.enabled
        self.circles_loaded_s = time.monotonic()

    async def check_crash(self) -> LiveCrashAlert | None:
        """A new suspected crash after a stored batch, if any; a failure never ends the ride."""
        try:
            return await self.node.db(
                crash_alerts.check_session, session_id=self.session_id, owner_id=self.owner_id
            )
        except Exception:  # the batch is stored; the next one checks again
            log.exception("crash check failed", extra={"session": str(self.session_id)})
            return None

    async def run(self) -> None:
        """Serve the rider until they disconnect or are closed for abuse."""
        while True:
            raw = await receive_frame(self.websocket)
            if raw is None:
                return
            try:
                closed = await self._handle(raw)
            except logic.BadFrame as error:
                closed = await self._refuse(error)
            except RuntimeError:
                if self.websocket.application_state != WebSocketState.DISCONNECTED:
                    raise
                return  # closed by the node meanwhile (the rider's account was erased)
            if closed:
                return

    async def _handle(self, raw: str | bytes) -> bool:
        settings = self.node.settings
        if not isinstance(raw, str):
            raise logic.BadFrame("binary", "expected a text frame, got a binary one")
        if len(raw) > settings.live_max_frame_bytes:
            await close_socket(self.websocket, CLOSE_TOO_BIG, "frame too large")
            log.warning("live frame too large", extra={"session": str(self.session_id)})
            return True
        frame = logic.parse_frame(raw, max_bytes=settings.live_max_frame_bytes)
        if frame["type"] == "ping":
            await send_message(self.websocket, "pong")
            return False
        if frame["type"] != "batch":
            raise logic.BadFrame("unknown_type", f"expected a batch or ping, got {frame['type']!r}")
        wait_s = self.node.bucket(self.session_id).reserve(time.monotonic())
        if wait_s > 0:
            await asyncio.sleep(wait_s)  # back-pressure: over the rate, the next read waits
        return await self._batch(frame)

    async def _batch(self, frame: dict[str, Any]) -> bool:
        settings = self.node.settings
        batch_no = frame.get("batch")
        retry = isinstance(batch_no, int) and 0 < batch_no <= self.last_batch_no
        batch = logic.decode_batch(
            frame,
            max_points=settings.live_max_points_per_batch,
            after_time_ms=None if retry else self.last_time_ms,
            now_ms=int(time.time() * 1000),
        )
        warning: LiveCrashAlert | None = None
        if not retry:
            try:
                await self.node.store_batch(self.session_id, batch)
            except (NotFound, Conflict) as error:  # erased or ended meanwhile, on any node
                log.info(
                    "live batch refused",
                    extra={"session": str(self.session_id), "reason": error.detail},
                )
                await close_socket(self.websocket, close_code(error), error.detail)
                return True
            self.last_batch_no, self.last_time_ms = batch.batch_no, batch.last_time_ms
            warning = await self.check_crash() if self.crash_detection else None
        if time.monotonic() - self.circles_loaded_s > PRIVACY_RELOAD_S:
            await self.load_privacy_zones()  # a zone drawn during the ride applies soon
        visible = service.visible_columns(batch.columns, self.circles)
        payload = logic.positions_payload(str(self.session_id), batch.batch_no, visible)
        try:
            published = await self.node.hub.broker.publish(
                self.channel, payload, key=batch.batch_no
            )
        except BrokerUnavailable as error:
            # Later batches must not overtake this one: close, so the rider resends from here.
            await send_message(
                self.websocket, "error", code="unavailable", batch=batch.batch_no, detail=str(error)
            )
            await close_socket(
                self.websocket, CLOSE_TRY_LATER, "the broker is unavailable; reconnect"
            )
            return True
        await send_message(
            self.websocket,
            "ack",
            batch=batch.batch_no,
            seq=published.seq,
            duplicate=retry or published.seq is None,
        )
        if warning is not None:  # to this socket only: viewers never see it
            await send_message(
                self.websocket,
                "crash_suspected",
                alert=str(warning.id),
                cancel_by=warning.cancel_by.isoformat(),
                cancel=f"/api/v1/live/crash/alerts/{warning.id}/cancel",
            )
        if self.group_id is not None and not retry:
            await self._update_group(self.group_id, visible)
        return False

    async def _update_group(
        self, group_id: uuid.UUID, visible: dict[str, list[int | None]]
    ) -> None:
        """Tell the group where this member is now, and of any split or regroup it caused."""
        # Two members' batches may arrive together: without the lock a state computed before
        # the other's commit could be published after it, and viewers would keep the older.
        lock = self.node.group_locks.setdefault(group_id, asyncio.Lock())
        async with lock:
            update = await self.node.db(
                group_rides.record_member_position,
                group_id=group_id,
                user_id=self.owner_id,
                columns=visible,
                now_ms=int(time.time() * 1000),
            )
            if update is None:
                return
            channel = service.group_channel(group_id)
            try:
                for message in (*update.events, update.state):
                    await self.node.hub.broker.publish(channel, encode_message(message))
            except BrokerUnavailable:
                # The group's state is rebuilt from the database on the next batch or reconnect.
                log.warning("group state not published", extra={"group": str(group_id)})

    async def _refuse(self, error: logic.BadFrame) -> bool:
        self.bad_frames += 1
        log.info(
            "live frame refused",
            extra={"session": str(self.session_id), "code": error.code, "detail": error.detail},
        )
        if self.bad_frames > MAX_BAD_FRAMES:
            await close_socket(self.websocket, CLOSE_POLICY, "too many bad frames")
            return True
        await send_message(self.websocket, "error", code=error.code, detail=error.detail)
        return False
