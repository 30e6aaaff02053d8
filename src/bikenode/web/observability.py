"""Request ids, access logs and Prometheus metrics per route template; health endpoints."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bikenode.logs import request_id_var
from bikenode.web.problems import problem_response

log = logging.getLogger("bikenode.access")
REQUEST_ID_HEADER = "X-Request-ID"
# A client-supplied id is echoed only if it is short and plain (no log injection).
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class Metrics:
    """The app's own Prometheus registry (one per app, so tests can build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bikenode_http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bikenode_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )


class ObservabilityMiddleware:
    """Pure ASGI middleware: sets the request id, times the request, logs and counts it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Handled here, not by Starlette's outermost handler, so the answer still carries
            # the request id the log line has.
            log.exception("unhandled error", extra={"path": scope["path"]})
            if not started_response:
                response = problem_response(
                    500, "something went wrong on our side; quote the request id if you report it"
                )
                await response(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, elapsed_s: float) -> None:
        route = _route_template(scope)
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed_s)
        log.info(
            "%s %s %s",
            method,
            scope["path"],
            status,
            extra={"route": route, "status": status, "duration_ms": round(elapsed_s * 1000, 2)},
        )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _VALID_REQUEST_ID.match(text) else None
    return None


def _route_template(scope: Scope) -> str:
    # The router stores the matched route; unmatched paths share one label (bounded cardinality).
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "<unmatched>"


router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    # async on purpose: it runs on the event loop, never waiting for a handler thread.
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, response: Response) -> dict[str, Any]:
    """The database answers, its schema is current and the node is not saturated."""
    from bikenode.db.migrate import head_revision

    state = request.app.state
    admission = state.admission
    if admission.saturated:
        response.status_code = 503
        return {
            "status": "saturated",
            "in_flight": admission.running,
            "waiting": admission.waiting,
        }
    try:
        current = await _probe_revision(state)
    except Exception as error:  # any driver error means "not ready", never a 500
        response.status_code = 503
        return {"status": "unavailable", "database": f"unreachable: {type(error).__name__}"}
    head = head_revision()
    if current != head:
        response.status_code = 503
        return {"status": "unavailable", "database": f"schema at {current}, expected {head}"}
    return {"status": "ok", "database": "ok", "schema": str(current)}


async def _probe_revision(state: Any) -> str | None:
    """The schema revision read over the probe engine, in threads of its own."""
    from bikenode.db.migrate import current_revision

    limiter = getattr(state, "probe_limiter", None)
    if limiter is None:
        limiter = state.probe_limiter = anyio.CapacityLimiter(2)
    with anyio.fail_after(5):
        return await anyio.to_thread.run_sync(
            current_revision, state.probe_engine, limiter=limiter, abandon_on_cancel=True
        )


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
