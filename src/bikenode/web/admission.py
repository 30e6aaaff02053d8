"""Load shedding: a bounded number of requests in flight per process, the rest wait or get 503.

Sync handlers run in a thread pool and each holds a database connection while it works. If
more requests ran at once than there are threads and connections, a request holding a thread
could wait for a connection that only a request waiting for a thread can give back (FastAPI's
known starvation of sync dependencies with yield). So requests take a turn here first: at most
`in_flight` run at once, with threads and connections sized above that (app.py); the others
wait in arrival order, and a request that would wait too long, or finds the waiting line full,
is answered at once with 503 and Retry-After instead of timing out.

Probes, static files and WebSockets never take a turn: /healthz answers under any load.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

from bikenode.web.problems import problem_response

# Paths that never wait for a turn: probes, metrics, the front end's files, and the
# notification stream (open for minutes, it holds no thread or connection while it waits).
UNQUEUED_PREFIXES = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/static/",
    "/api/v1/notifications/stream",
)
RETRY_AFTER_S = 2
UPLOAD_PREFIX = "/api/v1/uploads"


class Admission:
    """Turns to run, handed out in arrival order, with a bounded waiting line."""

    def __init__(self, *, in_flight: int, waiting: int, wait_timeout_s: float) -> None:
        self.capacity = in_flight
        self.max_waiting = waiting
        self.wait_timeout_s = wait_timeout_s
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def saturated(self) -> bool:
        """Every turn is taken and requests are waiting: a balancer should prefer other nodes."""
        return self.running >= self.capacity and self.waiting > 0

    async def enter(self) -> bool:
        """Take a turn (waiting for one if needed); False if the request must be shed."""
        if self.running < self.capacity and not self._waiters:
            self.running += 1
            return True
        if len(self._waiters) >= self.max_waiting:
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.wait_timeout_s)
        except TimeoutError:
            if turn.done():  # handed a turn just as the wait ran out: keep it
                return True
            self._waiters.remove(turn)
            turn.cancel()
            return False
        except asyncio.CancelledError:  # the client left while waiting
            if turn.done() and not turn.cancelled():
                self.leave()  # pass on the turn it was just handed
            else:
                self._waiters.remove(turn)
            raise
        return True

    def leave(self) -> None:
        """Give the turn back: to the longest waiting request, if any."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # the turn passes on; running stays the same
                return
        self.running -= 1


class AdmissionMetrics:
    def __init__(self, registry: CollectorRegistry, admission: Admission) -> None:
        self.shed = Counter(
            "bikenode_http_requests_shed_total",
            "Requests answered 503 because the process was saturated, by reason.",
            ["reason"],
            registry=registry,
        )
        in_flight = Gauge(
            "bikenode_http_requests_in_flight", "Requests being handled.", registry=registry
        )
        in_flight.set_function(lambda: admission.running)
        waiting = Gauge(
            "bikenode_http_requests_waiting", "Requests waiting for a turn.", registry=registry
        )
        waiting.set_function(lambda: admission.waiting)
        self.wait = Counter(
            "bikenode_http_request_wait_seconds_total",
            "Time requests spent waiting for a turn.",
            registry=registry,
        )


def is_upload(method: str, path: str) -> bool:
    """A request that sends a file: its turn lasts as long as the client takes to send it."""
    return method in ("POST", "PATCH", "PUT") and path.startswith(UPLOAD_PREFIX)


class AdmissionMiddleware:
    """Pure ASGI middleware: HTTP requests take a turn from the Admission before running.

    Uploads take their turns from a lane of their own: a slow client sending a large file
    holds its turn for minutes, and must not hold one that page views need.
    """

    def __init__(
        self, app: ASGIApp, admission: Admission, uploads: Admission, metrics: AdmissionMetrics
    ) -> None:
        self.app = app
        self.admission = admission
        self.uploads = uploads
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNQUEUED_PREFIXES):
            await self.app(scope, receive, send)
            return
        lane = self.uploads if is_upload(scope["method"], scope["path"]) else self.admission
        started = time.perf_counter()
        if not await lane.enter():
            self.metrics.shed.labels("busy").inc()
            response = problem_response(
                503,
                "the server is busy; try again in a moment",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
            await response(scope, receive, send)
            return
        self.metrics.wait.inc(time.perf_counter() - started)
        try:
            await self.app(scope, receive, send)
        finally:
            lane.leave()
