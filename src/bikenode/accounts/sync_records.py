"""Accounts' records for offline sync: the rider's settings (one record, id = user id)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bikenode.accounts import logic, repo
from bikenode.accounts.models import User
from bikenode.errors import InvalidInput
from bikenode.sync import (
    BadValue,
    FieldSpec,
    RecordType,
    choice,
    integer,
    record_change,
    register_record_type,
    text,
)


def _timezone(value: Any) -> str:
    try:
        return logic.check_timezone(text(min_chars=1, max_chars=64)(value))
    except logic.PolicyError as error:
        raise BadValue(str(error)) from None


def _user(session: Session, owner_id: uuid.UUID, record_id: str) -> User | None:
    return repo.get_user(session, owner_id) if record_id == str(owner_id) else None


def _values(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in SETTINGS_RECORD.fields}


def _load(session: Session, owner_id: uuid.UUID, record_id: str) -> dict[str, Any] | None:
    user = _user(session, owner_id, record_id)
    return None if user is None else _values(user)


def _apply(session: Session, owner_id: uuid.UUID, record_id: str, values: dict[str, Any]) -> None:
    user = _user(session, owner_id, record_id)
    if user is None:
        raise InvalidInput("no such settings record")
    for field, value in values.items():
        setattr(user, field, value)


def _list_ids(session: Session, owner_id: uuid.UUID) -> list[str]:
    return [str(owner_id)] if repo.get_user(session, owner_id) is not None else []


SETTINGS_RECORD = register_record_type(
    RecordType(
        name="settings",
        fields={
            "display_name": FieldSpec("lww", text(min_chars=1, max_chars=100)),
            "units": FieldSpec("lww", choice("metric", "imperial")),
            "timezone": FieldSpec("lww", _timezone),
            "ftp_w": FieldSpec("lww", integer(30, 2500, nullable=True)),
            "max_hr_bpm": FieldSpec("lww", integer(100, 250, nullable=True)),
        },
        load=_load,
        apply=_apply,
        list_ids=_list_ids,
    )
)


def record_settings_saved(session: Session, user: User) -> None:
    """Tell sync the rider's settings changed outside it (in the caller's transaction)."""
    record_change(
        session,
        record_type=SETTINGS_RECORD,
        owner_id=user.id,
        record_id=str(user.id),
        values=_values(user),
    )
