"""The GDPR API: download all your data, erase your account."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Literal

import anyio.from_thread
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bikenode import accounts, governance
from bikenode.db.base import utcnow
from bikenode.web.dependencies import AccountsConfigDep, CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["privacy"], route_class=StrictJSONRoute)
_SPOOL_BYTES = 16 * 1024 * 1024  # larger exports spill to a temporary file


class ErasureRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    password: str = Field(min_length=1, max_length=1024)
    confirm: Literal["erase my account"] = Field(
        description='type "erase my account": this cannot be undone'
    )


class ErasureDone(BaseModel):
    rides_erased: int
    erased_at: str


class AdminUserProfile(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    created_at: datetime
    mfa_enabled: bool


class AdminRideRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    sport: str
    visibility: str
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None


class AdminUserRead(BaseModel):
    profile: AdminUserProfile
    rides: list[AdminRideRow] = Field(description="the newest 1,000 rides, without tracks")


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        spool.seek(0)
        while chunk := spool.read(1 << 20):
            yield chunk


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_my_data(request: Request, user: CurrentUser, session: SessionDep) -> StreamingResponse:
    """A zip of everything stored about you: profile, rides, streams, original files."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 (closed by _chunks)
    governance.export_user_data(
        session,
        user_id=user.id,
        out=spool,
        actor_id=user.id,
        client_ip=request.client.host if request.client else None,
    )
    filename = f"bikenode-export-{utcnow():%Y%m%d}.zip"
    return StreamingResponse(
        _chunks(spool),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/me/erase", response_model=ErasureDone)
def erase_my_account(
    request: Request,
    body: ErasureRequest,
    user: CurrentUser,
    session: SessionDep,
    config: AccountsConfigDep,
) -> ErasureDone:
    """Delete your account and all your data for good (asks for your password again)."""
    accounts.confirm_password(session, config, user_id=user.id, password=body.password)
    report = governance.erase_user(
        session,
        user_id=user.id,
        actor_id=user.id,
        client_ip=request.client.host if request.client else None,
    )
    for disconnect in request.app.state.on_user_erased:  # live and planner sockets, this node
        anyio.from_thread.run(disconnect, user.id)  # on the event loop, where sockets live
    request.app.state.sockets.close_user(user.id)  # and every other node's (with Redis)
    return ErasureDone(rides_erased=report.rides, erased_at=report.erased_at.isoformat())


@router.get("/admin/users/{user_id}", response_model=AdminUserRead, tags=["admin"])
def read_user_as_admin(
    user_id: uuid.UUID, request: Request, user: CurrentUser, session: SessionDep
) -> AdminUserRead:
    """Another user's profile and rides (admins with MFA only; every read is audited)."""
    read = governance.read_user_as_admin(
        session,
        admin=user,
        user_id=user_id,
        client_ip=request.client.host if request.client else None,
    )
    return AdminUserRead(
        profile=AdminUserProfile.model_validate(read.profile),
        rides=[AdminRideRow.model_validate(ride) for ride in read.rides],
    )
