"""A user's sync data for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.export_json import json_bytes, plain
from bikenode.sync import repo
from bikenode.sync.models import SyncClient, SyncMutation, SyncOwner, SyncRecord

CONFLICT_FIELDS = (
    "id",
    "record_type",
    "record_id",
    "field",
    "base",
    "kept",
    "kept_hlc",
    "other",
    "other_hlc",
    "status",
    "resolution",
    "created_at",
    "resolved_at",
)
DEVICE_FIELDS = ("client_id", "last_counter", "last_hlc", "last_seen_at")


def iter_user_export(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of what sync keeps of the user.

    sync/records.json: each synced record's fields with their values and stamps;
    sync/conflicts.json: the edits no rule could merge and how they were settled;
    sync/devices.json: each device, its last mutation and the answers stored for its pushes.
    """
    yield "sync/records.json", json_bytes(_records(session, user_id))
    yield "sync/conflicts.json", json_bytes(_conflicts(session, user_id))
    yield "sync/devices.json", json_bytes(_devices(session, user_id))
    session.rollback()


def _records(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    owner = session.get(SyncOwner, user_id)
    rows = session.scalars(
        select(SyncRecord).where(SyncRecord.owner_id == user_id).order_by(SyncRecord.seq)
    ).all()
    return {
        "last_change": owner.last_seq if owner else 0,
        "records": [
            {
                "record_type": row.record_type,
                "record_id": row.record_id,
                "change": row.seq,
                "deleted": row.deleted,
                "fields": {name: _field(stored) for name, stored in row.fields.items()},
            }
            for row in rows
        ],
    }


def _field(stored: dict[str, Any]) -> dict[str, Any]:
    """A field's merge state in words: value, stamp, change number, counter and set parts."""
    field: dict[str, Any] = {"value": stored.get("v"), "hlc": stored.get("t")}
    field["change"] = stored.get("q")
    if "c" in stored:
        field["counter_parts"] = stored["c"]
    if "g" in stored:
        field["set_elements"] = stored["g"]
    return field


def _conflicts(session: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = repo.conflicts(session, user_id, None)
    return [{name: plain(getattr(row, name)) for name in CONFLICT_FIELDS} for row in rows]


def _devices(session: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    devices = session.scalars(
        select(SyncClient).where(SyncClient.owner_id == user_id).order_by(SyncClient.client_id)
    ).all()
    mutations = session.scalars(
        select(SyncMutation)
        .where(SyncMutation.owner_id == user_id)
        .order_by(SyncMutation.client_id, SyncMutation.counter)
    ).all()
    answers: dict[str, list[dict[str, Any]]] = {}
    for m in mutations:
        answers.setdefault(m.client_id, []).append(
            {"counter": m.counter, "applied_at": plain(m.applied_at), "result": m.result}
        )
    return [
        {
            **{name: plain(getattr(device, name)) for name in DEVICE_FIELDS},
            "mutations": answers.get(device.client_id, []),
        }
        for device in devices
    ]


def erase_user_data(session: Session, user_id: uuid.UUID) -> int:
    """Delete everything sync keeps of the user (in the caller's transaction); record count."""
    return repo.delete_owner_data(session, user_id)
