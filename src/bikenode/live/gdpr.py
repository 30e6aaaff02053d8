"""A rider's live data for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.live import logic, repo, storage
from bikenode.live.models import (
    LiveBatch,
    LiveCrashAlert,
    LiveCrashContact,
    LiveCrashSettings,
    LiveDevice,
    LiveGroup,
    LiveGroupMember,
    LiveSession,
    LiveShare,
)

SESSION_FIELDS = (
    "id",
    "name",
    "visibility",
    "status",
    "group_id",
    "ride_id",
    "started_at",
    "ended_at",
)
# Never the token hash: it is a credential, not information about the person.
SHARE_FIELDS = ("id", "session_id", "created_at", "revoked_at")
DEVICE_FIELDS = ("id", "name", "session_id", "last_seen_at", "created_at", "revoked_at")
GROUP_FIELDS = (
    "id",
    "name",
    "visibility",
    "split_distance_m",
    "stale_after_s",
    "created_at",
)
MEMBER_FIELDS = (
    "group_id",
    "display_name",
    "joined_at",
    "last_lat",
    "last_lon",
    "last_time_ms",
    "last_speed_mps",
)
CRASH_CONTACT_FIELDS = ("id", "email", "told_at", "opted_out_at", "created_at")
CRASH_ALERT_FIELDS = (
    "id",
    "session_id",
    "stopped_at_ms",
    "lat",
    "lon",
    "status",
    "cancel_by",
    "created_at",
    "finished_at",
)
# Decimals kept per stream: what the rider's phone sent (ms, 1e-7 degree, dm), no float noise.
STREAM_DECIMALS = {"time_s": 3, "lat_deg": 7, "lon_deg": 7, "elevation_m": 1}


@dataclass(frozen=True)
class ErasedLive:
    """What an erasure removed: the rider's sessions and the groups they organised."""

    sessions: int
    groups: int


def iter_user_export(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every file of the rider's live data, one session in memory at a time.

    live/sessions/<id>.json holds a session with every stored position as one array per
    stream (the rides export's names and units); live/shares.json its share links;
    live/devices.json their device tokens (never the tokens); live/groups.json the group
    rides they organise and their memberships.
    """
    session_ids = session.scalars(
        select(LiveSession.id)
        .where(LiveSession.owner_id == user_id)
        .order_by(LiveSession.started_at, LiveSession.id)
    ).all()
    for session_id in session_ids:
        live = session.get(LiveSession, session_id)
        if live is not None:  # not deleted while the export ran
            yield f"live/sessions/{session_id}.json", json_bytes(_session_record(session, live))
        session.rollback()  # one short read per session: writers are not held up (SQLite)
    yield "live/shares.json", json_bytes(_shares(session, user_id))
    yield "live/devices.json", json_bytes(_devices(session, user_id))
    yield "live/groups.json", json_bytes(_groups(session, user_id))
    yield "live/crash.json", json_bytes(_crash(session, user_id))


def _session_record(session: Session, live: LiveSession) -> dict[str, Any]:
    columns = [storage.batch_columns(batch) for batch in repo.batches(session, live.id)]
    record = fields_of(live, SESSION_FIELDS)
    record["batches"] = len(columns)
    record["point_count"] = sum(len(batch["t"]) for batch in columns)
    record["streams"] = {
        name: _plain_stream(name, values.tolist())
        for name, values in logic.streams_from_batches(columns).items()
    }
    return record


def _plain_stream(name: str, values: list[float]) -> list[float | None]:
    """JSON-ready values: NaN (missing) as null, rounded to what was measured."""
    decimals = STREAM_DECIMALS.get(name)
    return [
        (round(v, decimals) if decimals is not None else v) if math.isfinite(v) else None
        for v in values
    ]


def _shares(session: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    shares = session.scalars(
        select(LiveShare)
        .join(LiveSession, LiveShare.session_id == LiveSession.id)
        .where(LiveSession.owner_id == user_id)
        .order_by(LiveShare.created_at, LiveShare.id)
    ).all()
    return [fields_of(share, SHARE_FIELDS) for share in shares]


def _devices(session: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The rider's device tokens, revoked ones too (never the token hash)."""
    rows = session.scalars(
        select(LiveDevice)
        .where(LiveDevice.owner_id == user_id)
        .order_by(LiveDevice.created_at, LiveDevice.id)
    ).all()
    return [fields_of(device, DEVICE_FIELDS) for device in rows]


def _groups(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """The groups the rider organises (with their route) and every group they are in."""
    owned = session.scalars(
        select(LiveGroup).where(LiveGroup.owner_id == user_id).order_by(LiveGroup.created_at)
    ).all()
    memberships = session.execute(
        select(LiveGroupMember, LiveGroup.name)
        .join(LiveGroup, LiveGroupMember.group_id == LiveGroup.id)
        .where(LiveGroupMember.user_id == user_id)
        .order_by(LiveGroupMember.joined_at)
    ).all()
    return {
        "organised": [
            {
                **fields_of(group, GROUP_FIELDS),
                "route": json.loads(group.route) if group.route else None,
                "member_count": len(repo.members(session, group.id)),
            }
            for group in owned
        ],
        "memberships": [
            {**fields_of(member, MEMBER_FIELDS), "group_name": name} for member, name in memberships
        ],
    }


def _crash(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """Crash detection: the rider's settings, emergency contacts and suspected crashes."""
    settings = session.get(LiveCrashSettings, user_id)
    contacts = session.scalars(
        select(LiveCrashContact)
        .where(LiveCrashContact.owner_id == user_id)
        .order_by(LiveCrashContact.created_at)
    )
    alerts = session.scalars(
        select(LiveCrashAlert)
        .where(LiveCrashAlert.owner_id == user_id)
        .order_by(LiveCrashAlert.created_at)
    )
    return {
        "settings": fields_of(settings, ("enabled", "still_s", "cancel_s", "updated_at"))
        if settings
        else None,
        "contacts": [fields_of(c, CRASH_CONTACT_FIELDS) for c in contacts],
        "alerts": [fields_of(a, CRASH_ALERT_FIELDS) for a in alerts],
    }


def erase_user_data(session: Session, user_id: uuid.UUID) -> ErasedLive:
    """Delete the rider's sessions (positions, share links), the groups they organise and
    their memberships in others' groups; flushes only.

    Others' sessions in an erased group stay, outside any group.
    """
    own_sessions = select(LiveSession.id).where(LiveSession.owner_id == user_id)
    own_groups = select(LiveGroup.id).where(LiveGroup.owner_id == user_id)
    sessions = _count(session, LiveSession, LiveSession.owner_id == user_id)
    groups = _count(session, LiveGroup, LiveGroup.owner_id == user_id)
    # Explicit deletes rather than trusting every database's cascade: nothing may stay.
    session.execute(delete(LiveDevice).where(LiveDevice.owner_id == user_id))
    session.execute(delete(LiveCrashAlert).where(LiveCrashAlert.owner_id == user_id))
    session.execute(delete(LiveCrashContact).where(LiveCrashContact.owner_id == user_id))
    session.execute(delete(LiveCrashSettings).where(LiveCrashSettings.owner_id == user_id))
    session.execute(delete(LiveBatch).where(LiveBatch.session_id.in_(own_sessions)))
    session.execute(delete(LiveShare).where(LiveShare.session_id.in_(own_sessions)))
    session.execute(delete(LiveSession).where(LiveSession.owner_id == user_id))
    session.execute(
        delete(LiveGroupMember).where(
            (LiveGroupMember.user_id == user_id) | LiveGroupMember.group_id.in_(own_groups)
        )
    )
    session.execute(
        update(LiveSession)
        .where(LiveSession.group_id.in_(own_groups))
        .values(group_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(LiveGroup).where(LiveGroup.owner_id == user_id))
    session.flush()
    return ErasedLive(sessions, groups)


def _count(session: Session, model: type[Any], condition: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)
