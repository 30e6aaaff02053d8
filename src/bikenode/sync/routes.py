"""The sync API: push mutations, pull changes, list and resolve conflicts."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from bikenode.sync import mutations, service
from bikenode.sync.schemas import (
    ConflictList,
    ConflictPublic,
    PullResponse,
    PushRequest,
    PushResponse,
    Resolution,
)
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.problems import PROBLEM_CONTENT_TYPE, problem_response
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1/sync", tags=["sync"], route_class=StrictJSONRoute)
GZIP_MIN_BYTES = 1024


def _mutation(body: Any) -> mutations.Mutation:
    return mutations.Mutation(
        counter=body.counter,
        record_type=body.record_type,
        record_id=body.record_id,
        fields={
            name: mutations.FieldEdit(
                hlc=edit.hlc,
                value=edit.value,
                has_value="value" in edit.model_fields_set,
                base=edit.base,
                amount=edit.amount,
                add=tuple(edit.add),
                remove=tuple(edit.remove),
            )
            for name, edit in body.fields.items()
        },
        delete=body.delete,
        hlc=body.hlc,
    )


def _problem(status: int, detail: str, **members: Any) -> JSONResponse:
    """A problem-details answer with extension members (RFC 9457, section 3.2)."""
    response = problem_response(status, detail)
    body = json.loads(bytes(response.body))
    body.update(members)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE)


@router.post("/push", response_model=PushResponse, responses={409: {}, 422: {}})
def push(body: PushRequest, user: CurrentUser, session: SessionDep) -> Any:
    """Apply a batch of a device's mutations, each exactly once."""
    try:
        answer = service.push_mutations(
            session,
            owner_id=user.id,
            client_id=body.client_id,
            mutations=[_mutation(m) for m in body.mutations],
        )
    except mutations.StampRefused as error:
        return _problem(
            422,
            error.detail,
            counter=error.counter,
            server_hlc=error.server_hlc,
            server_time_ms=error.server_time_ms,
        )
    except service.CounterGap as error:
        return _problem(409, error.detail, expected_counter=error.expected)
    return PushResponse(
        results=answer.results,
        server_hlc=answer.server_hlc,
        server_time_ms=answer.server_time_ms,
    )


@router.get("/pull", response_model=PullResponse)
def pull(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=40, description="from the last pull")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PULL_LIMIT)] = service.DEFAULT_PULL_LIMIT,
) -> Response:
    """The records changed since the cursor, a page at a time (gzip if accepted)."""
    page = service.pull_changes(session, owner_id=user.id, cursor=cursor, limit=limit)
    body = json.dumps(
        {
            "changes": page.changes,
            "cursor": page.cursor,
            "has_more": page.has_more,
            "open_conflicts": page.open_conflicts,
            "server_hlc": page.server_hlc,
            "server_time_ms": page.server_time_ms,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-store"}
    if len(body) >= GZIP_MIN_BYTES and _accepts_gzip(request):
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@router.get("/conflicts", response_model=ConflictList)
def list_conflicts(
    user: CurrentUser,
    session: SessionDep,
    status: Literal["open", "resolved", "all"] = "open",
) -> ConflictList:
    """Your conflicts that no merge rule could settle (open ones by default)."""
    rows = service.list_conflicts(
        session, owner_id=user.id, status=None if status == "all" else status
    )
    return ConflictList(items=[ConflictPublic.model_validate(row) for row in rows])


@router.post("/conflicts/{conflict_id}/resolve", response_model=ConflictPublic)
def resolve_conflict(
    conflict_id: uuid.UUID, body: Resolution, user: CurrentUser, session: SessionDep
) -> ConflictPublic:
    """Settle a conflict with the value to keep; every device pulls it."""
    conflict = service.resolve_conflict(
        session, owner_id=user.id, conflict_id=conflict_id, value=body.value
    )
    return ConflictPublic.model_validate(conflict)
