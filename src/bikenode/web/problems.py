"""Every error as one JSON shape: RFC 9457 problem details, never a stack trace."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from bikenode.errors import (
    AccountSuspended,
    Busy,
    Conflict,
    DomainError,
    InsufficientScope,
    InvalidInput,
    MalformedRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooLarge,
    TooManyRequests,
    UnsupportedVersion,
    WrongContentType,
)
from bikenode.logs import request_id_var

log = logging.getLogger("bikenode.errors")
# A write that waited its whole lock timeout, or a database that is restarting: try again.
DATABASE_BUSY_DETAIL = "the database is busy; nothing was changed, try again in a moment"
DATABASE_RETRY_AFTER_S = "2"

PROBLEM_CONTENT_TYPE = "application/problem+json"
REALM = "bikenode"  # RFC 6750's protection space, named in every bearer challenge


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    extensions: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response with the request id, so a user can quote it."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    if extensions:
        body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


@dataclass(frozen=True)
class ProblemKind:
    """How one kind of domain error answers over HTTP."""

    status: int
    title: str


# Each kind of domain error and its answer. A kind not listed answers as its nearest listed
# base does (a sync CounterGap is a Conflict: 409), so a new subclass needs no entry here.
PROBLEM_KINDS: dict[type[DomainError], ProblemKind] = {
    DomainError: ProblemKind(400, "Bad request"),
    InvalidInput: ProblemKind(422, "Invalid input"),
    MalformedRequest: ProblemKind(400, "Bad request"),
    NotAuthenticated: ProblemKind(401, "Not authenticated"),
    PermissionDenied: ProblemKind(403, "Forbidden"),
    NotFound: ProblemKind(404, "Not found"),
    Conflict: ProblemKind(409, "Conflict"),
    UnsupportedVersion: ProblemKind(412, "Unsupported protocol version"),
    TooLarge: ProblemKind(413, "Content too large"),
    WrongContentType: ProblemKind(415, "Unsupported media type"),
    TooManyRequests: ProblemKind(429, "Too many requests"),
    Busy: ProblemKind(503, "Service busy"),
}


def problem_kind(error_type: type[DomainError]) -> ProblemKind:
    """The status and title of an error kind: its own entry, else its nearest base's."""
    return next(PROBLEM_KINDS[base] for base in error_type.__mro__ if base in PROBLEM_KINDS)


def problem_headers(error: DomainError) -> dict[str, str]:
    """The headers that tell a client what to do next.

    Built here from what the error says (when to retry, which version we speak) rather than
    stored on it: the same error also closes a WebSocket or ends a CLI command, where HTTP
    headers mean nothing.
    """
    if isinstance(error, NotAuthenticated):
        return {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
    if isinstance(error, InsufficientScope):  # RFC 6750 3.1: which scope would do
        needed = "" if error.scope is None else f', scope="{error.scope}"'
        return {"WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope"{needed}'}
    if isinstance(error, Busy | TooManyRequests):
        return {"Retry-After": str(error.retry_after_s)}
    if isinstance(error, UnsupportedVersion):  # tus 1.0: a 412 names ours in Tus-Version
        return {f"{error.protocol.capitalize()}-Version": error.supported}
    return {}


def domain_problem(error: DomainError) -> JSONResponse:
    """The problem-details answer to a domain error, with its status, title and headers."""
    kind = problem_kind(type(error))
    # RFC 9457 extension member: the one token a suspended rider may use (to appeal).
    extra = {"appeal_token": error.appeal_token} if isinstance(error, AccountSuspended) else None
    return problem_response(
        kind.status,
        error.detail,
        title=kind.title,
        headers=problem_headers(error),
        extensions=extra,
    )


def describe_validation_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """Validation errors without the offending input (which may be NaN, huge or secret)."""
    described = []
    for error in raw:
        location = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "json_invalid":
            message = f"the body is not valid JSON: {error.get('ctx', {}).get('error', '')}"
        location = [part for part in location if part != "body"]
        described.append(
            {
                "field": ".".join(location) or "body",
                "message": message,
                "type": str(error.get("type", "value_error")),
            }
        )
    return described


# Addresses for programs: a miss there is always a problem document, whatever Accept says.
MACHINE_PREFIXES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/openapi.json")


def is_page_request(request: Request) -> bool:
    """Whether a browser asks for a page (GET of HTML) outside the addresses for programs."""
    return (
        request.method in ("GET", "HEAD")
        and not request.url.path.startswith(MACHINE_PREFIXES)
        and "text/html" in request.headers.get("accept", "")
    )


def _app_not_found(request: Request) -> Response:
    from bikenode.web.frontend import serve_index  # the web app depends on this module

    page = serve_index(request)
    if page.status_code == 200:
        page.status_code = 404
    return page


def install_problem_handlers(app: FastAPI) -> None:
    """Route domain errors, HTTP errors, validation errors and crashes to problem details."""

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, error: DomainError) -> JSONResponse:
        return domain_problem(error)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        detail = (
            error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        )
        if error.status_code == 404 and detail == "Not Found":
            if is_page_request(request):  # a person's browser: the app's own "not found" page
                return _app_not_found(request)
            detail = "there is nothing at this address"
        if error.status_code == 405:
            detail = "this address does not accept that method"
        return problem_response(error.status_code, detail, headers=dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = describe_validation_errors(list(error.errors()))
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(422, f"the request is not valid: {summary}", errors=errors)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(_request: Request, _error: PoolTimeout) -> JSONResponse:
        return _database_busy()

    @app.exception_handler(OperationalError)
    async def _database_error(_request: Request, error: OperationalError) -> JSONResponse:
        if is_transient_database_error(error):
            return _database_busy()
        log.error("database error", exc_info=error)
        return problem_response(
            500, "something went wrong on our side; quote the request id if you report it"
        )


def is_transient_database_error(error: OperationalError) -> bool:
    """True for a lock wait that ran out (SQLite) or a lost server connection (PostgreSQL)."""
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or (type(error.orig).__module__.startswith("psycopg"))
    )


def _database_busy() -> JSONResponse:
    return problem_response(
        503, DATABASE_BUSY_DETAIL, headers={"Retry-After": DATABASE_RETRY_AFTER_S}
    )
