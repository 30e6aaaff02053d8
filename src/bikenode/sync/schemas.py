"""Wire formats of the sync API (kept apart from the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bikenode.sync.logic.hlc import NODE_PATTERN
from bikenode.sync.mutations import MAX_FIELDS_PER_MUTATION
from bikenode.sync.registry import MAX_SET_ELEMENTS, MAX_TEXT_CHARS
from bikenode.sync.service import MAX_MUTATIONS_PER_PUSH

HLC_FIELD = Field(
    min_length=1,
    max_length=100,
    description="hybrid logical clock stamp: <wall_ms>-<counter hex>-<client id>",
)


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class FieldEditIn(StrictModel):
    hlc: str = HLC_FIELD
    value: Any = Field(default=None, description="lww and text fields: the new value")
    base: str | None = Field(
        default=None, max_length=MAX_TEXT_CHARS, description="text fields: the value edited"
    )
    amount: float | None = Field(default=None, description="counter fields: added (or taken)")
    add: list[str] = Field(default_factory=list, max_length=MAX_SET_ELEMENTS)
    remove: list[str] = Field(
        default_factory=list, max_length=MAX_SET_ELEMENTS, description="set fields: seen tags"
    )


class MutationIn(StrictModel):
    counter: int = Field(ge=1, le=2**53, description="this device's mutation number, from 1")
    record_type: str = Field(min_length=1, max_length=40, examples=["ride"])
    record_id: str = Field(min_length=1, max_length=64)
    fields: dict[str, FieldEditIn] = Field(default_factory=dict, max_length=MAX_FIELDS_PER_MUTATION)
    delete: bool = False
    hlc: str | None = Field(default=None, max_length=100, description="a delete's stamp")


class PushRequest(StrictModel):
    client_id: str = Field(pattern=f"^{NODE_PATTERN}$", examples=["phone-7f3a"])
    mutations: list[MutationIn] = Field(min_length=1, max_length=MAX_MUTATIONS_PER_PUSH)


class MutationResult(BaseModel):
    counter: int
    status: Literal["applied", "superseded", "gone", "deleted"]
    fields: dict[str, Literal["applied", "merged", "superseded", "conflict"]] = Field(
        default_factory=dict
    )
    conflicts: list[uuid.UUID] = Field(default_factory=list)


class PushResponse(BaseModel):
    results: list[MutationResult]
    server_hlc: str = Field(description="merge into the device clock")
    server_time_ms: int = Field(description="the server's wall clock, to correct a device's")


class FieldValue(BaseModel):
    value: Any
    hlc: str
    tags: dict[str, str] | None = Field(default=None, description="set fields: tag -> element")


class Change(BaseModel):
    record_type: str
    record_id: str
    deleted: bool = False
    fields: dict[str, FieldValue] = Field(default_factory=dict)


class PullResponse(BaseModel):
    changes: list[Change]
    cursor: str = Field(description="pass as ?cursor= on the next pull")
    has_more: bool
    open_conflicts: int
    server_hlc: str
    server_time_ms: int


class ConflictPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_type: str
    record_id: str
    field: str
    base: str | None
    kept: str = Field(description="the value the field shows until resolved (newer stamp)")
    kept_hlc: str
    other: str
    other_hlc: str
    status: Literal["open", "resolved"]
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None


class ConflictList(BaseModel):
    items: list[ConflictPublic]


class Resolution(StrictModel):
    value: str = Field(max_length=MAX_TEXT_CHARS, description="the value to keep")
