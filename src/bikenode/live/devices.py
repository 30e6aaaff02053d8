"""Devices: tokens a rider gives a tracker or tracking app, and the positions it sends.

A device's positions go where a phone's go: batches of the rider's live session (the one this
device opened, or a new one when it has none live), stored the same way, fanned out to the
same channel through the same privacy zones. Each request's new positions are one batch.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.errors import Conflict, NotAuthenticated, NotFound
from bikenode.live import logic, mqtt, osmand, repo, service
from bikenode.live.models import LiveDevice, LiveSession

TOKEN_PREFIX: Final = "bnd_"  # noqa: S105 (a prefix, not a secret): tells a leaked device token apart from other secrets
MAX_DEVICES: Final = 20  # active devices per rider


@dataclass(frozen=True)
class StoredReport:
    """What an ingest stored: the batch (None if every position was a repeat) and where."""

    session_id: uuid.UUID
    owner_id: uuid.UUID
    batch: logic.Batch | None
    repeats: int


def token_hash(token: str) -> str:
    """The stored form of a device token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_device(session: Session, *, owner_id: uuid.UUID, name: str) -> tuple[LiveDevice, str]:
    """A new device for the rider and its token (shown once; only its hash is kept)."""
    active = session.scalar(
        select(func.count())
        .select_from(LiveDevice)
        .where(LiveDevice.owner_id == owner_id, LiveDevice.revoked_at.is_(None))
    )
    if (active or 0) >= MAX_DEVICES:
        raise Conflict(f"expected at most {MAX_DEVICES} devices; revoke one first")
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    device = LiveDevice(
        owner_id=owner_id,
        name=name.strip(),
        token_hash=token_hash(token),
        mqtt_password_hash=mqtt.password_hash(token),  # the token is also its MQTT password
    )
    session.add(device)
    session.commit()
    return device, token


def list_devices(
    session: Session, *, owner_id: uuid.UUID
) -> list[tuple[LiveDevice, uuid.UUID | None]]:
    """The rider's devices not revoked, oldest first, each with its live session's id (if live)."""
    rows = session.execute(
        select(LiveDevice, LiveSession.id)
        .outerjoin(
            LiveSession,
            (LiveSession.id == LiveDevice.session_id) & (LiveSession.status == "live"),
        )
        .where(LiveDevice.owner_id == owner_id, LiveDevice.revoked_at.is_(None))
        .order_by(LiveDevice.created_at, LiveDevice.id)
    )
    return [(device, live_id) for device, live_id in rows]


def get_own_device(session: Session, *, device_id: uuid.UUID, owner_id: uuid.UUID) -> LiveDevice:
    """The rider's device, not revoked; NotFound otherwise (also for others' devices)."""
    device = session.get(LiveDevice, device_id)
    if device is None or device.owner_id != owner_id or device.revoked_at is not None:
        raise NotFound("no such device")
    return device


def revoke_device(session: Session, *, device: LiveDevice) -> LiveDevice:
    """Revoke the device (the rider's, from get_own_device): its token is refused from now on."""
    device.revoked_at = utcnow()
    session.commit()
    return device


def device_owner(session: Session, *, token: str) -> uuid.UUID:
    """The rider whose active device holds this token; NotAuthenticated otherwise."""
    owner = session.scalar(
        select(LiveDevice.owner_id).where(
            LiveDevice.token_hash == token_hash(token), LiveDevice.revoked_at.is_(None)
        )
    )
    session.commit()
    if owner is None:
        raise NotAuthenticated("unknown or revoked device token in 'id'")
    return owner


def store_report(session: Session, *, report: osmand.DeviceReport) -> StoredReport:
    """Store the report's new positions as one batch of the device's live session; commits."""
    where = LiveDevice.token_hash == token_hash(report.token)
    return _store_fixes(session, where, report.fixes, "unknown or revoked device token in 'id'")


def store_mqtt_fix(
    session: Session, *, device_id: uuid.UUID, fix: osmand.DeviceFix
) -> StoredReport:
    """Store one position a device published over MQTT (the broker checked its token); commits.

    The broker's files may lag a revocation until they are written again: a revoked device's
    position is refused here (NotAuthenticated) all the same.
    """
    return _store_fixes(session, LiveDevice.id == device_id, [fix], "unknown or revoked device")


def mqtt_users(session: Session) -> list[mqtt.BrokerUser]:
    """The broker's device users: each active device with an MQTT password, by id."""
    rows = session.execute(
        select(LiveDevice.id, LiveDevice.mqtt_password_hash)
        .where(LiveDevice.revoked_at.is_(None), LiveDevice.mqtt_password_hash.is_not(None))
        .order_by(LiveDevice.created_at, LiveDevice.id)
    )
    users = [mqtt.BrokerUser(str(device_id), str(hashed)) for device_id, hashed in rows]
    session.commit()
    return users


def _store_fixes(
    session: Session, where: ColumnElement[bool], fixes: list[osmand.DeviceFix], refusal: str
) -> StoredReport:
    """The positions stored as one batch of the device's live session; commits.

    The device row is locked for the transaction, so one device's requests are stored one
    after the other: its batch numbers and its newest position time never race. Positions
    at or before the newest one stored from this device are repeats and are skipped.
    """
    device = session.scalars(
        select(LiveDevice).where(where, LiveDevice.revoked_at.is_(None)).with_for_update()
    ).first()
    if device is None:
        raise NotAuthenticated(refusal)
    fresh = _fresh_fixes(fixes, after_ms=device.last_fix_ms)
    live_id = _live_session(session, device)
    batch = None
    if fresh:
        last = repo.last_batch(session, live_id)
        batch = logic.Batch(
            batch_no=(last[0] if last else 0) + 1, columns=osmand.fix_columns(fresh)
        )
        repo.insert_batches(session, [service.batch_row(live_id, batch)])
        device.last_fix_ms = batch.last_time_ms
    device.last_seen_at = utcnow()
    owner_id = device.owner_id
    session.commit()
    return StoredReport(live_id, owner_id, batch, len(fixes) - len(fresh))


def _fresh_fixes(fixes: list[osmand.DeviceFix], *, after_ms: int | None) -> list[osmand.DeviceFix]:
    """The positions newer than ``after_ms``, in time order, one per time."""
    fresh: list[osmand.DeviceFix] = []
    for fix in sorted(fixes, key=lambda f: f.time_ms):
        newest = fresh[-1].time_ms if fresh else after_ms
        if newest is None or fix.time_ms > newest:
            fresh.append(fix)
    return fresh


def _live_session(session: Session, device: LiveDevice) -> uuid.UUID:
    """The device's live session, opened (private, named after the device) if none is live."""
    if device.session_id is not None:
        status = repo.lock_sessions(session, {device.session_id})
        if status.get(device.session_id) == "live":
            return device.session_id
    live = LiveSession(owner_id=device.owner_id, name=device.name, visibility="private")
    session.add(live)
    session.flush()
    device.session_id = live.id
    return live.id
