"""create_app(): the ASGI application with every domain's routes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bikenode import __version__
from bikenode.accounts.config import build_accounts_config
from bikenode.accounts.mfa_routes import router as mfa_router
from bikenode.accounts.routes import router as accounts_router
from bikenode.accounts.web_routes import router as web_session_router
from bikenode.apps.routes import oauth_router
from bikenode.apps.routes import router as apps_router
from bikenode.audit.subscribers import RIDE_DELETIONS
from bikenode.bikes.routes import router as bikes_router
from bikenode.bikes.subscribers import JOB_SERVICES, RIDE_ASSIGNMENTS
from bikenode.config import Settings, load_settings
from bikenode.db.engine import create_db_engine, create_probe_engine, make_session_factory
from bikenode.db.queue import Worker
from bikenode.encryption import install_key_ring, key_ring_from_settings
from bikenode.events import Dispatcher, EventMetrics
from bikenode.fitness.routes import router as fitness_router
from bikenode.fitness.service import RECOMPUTE_JOB
from bikenode.fitness.subscribers import ERASED_USERS, RIDE_FIGURES
from bikenode.fitness.tasks import recompute_job
from bikenode.governance.routes import router as governance_router
from bikenode.governance.service import REENCRYPT_JOB
from bikenode.governance.tasks import reencrypt_health_job
from bikenode.health.routes import router as health_router
from bikenode.health.subscribers import RIDE_HRV
from bikenode.live import crash_jobs
from bikenode.live.routes import ingest_router as live_ingest_router
from bikenode.live.routes import router as live_router
from bikenode.live.ws import build_broker, build_live_node
from bikenode.live.ws import router as live_ws_router
from bikenode.market.mechanic_routes import router as mechanics_router
from bikenode.market.payments import FakeCardGateway
from bikenode.market.routes import router as market_router
from bikenode.market.service import TIMERS_JOB
from bikenode.market.tasks import timers_job
from bikenode.notifications.routes import router as notifications_router
from bikenode.notifications.routes import unsubscribe_router as notifications_unsubscribe_router
from bikenode.notifications.service import SEND_DIGEST_JOB, SEND_EMAIL_JOB, SEND_PUSH_JOB
from bikenode.notifications.stream import NotificationStream
from bikenode.notifications.subscribers import NOTIFY
from bikenode.notifications.tasks import send_digest_job, send_email_job, send_push_job, vapid_key
from bikenode.planner.map_routes import router as maps_router
from bikenode.planner.map_routes import tiles_router
from bikenode.planner.maps import routing_engine
from bikenode.planner.rooms import RELAY_HISTORY, PlannerNode
from bikenode.planner.routes import router as planner_router
from bikenode.planner.tiles import TileProxy
from bikenode.planner.ws import router as planner_ws_router
from bikenode.rides import is_private_ride, register_audience
from bikenode.rides.privacy import REFRESH_PUBLIC_VIEWS_JOB
from bikenode.rides.privacy_routes import router as privacy_zones_router
from bikenode.rides.routes import router as rides_router
from bikenode.rides.stats_routes import router as ride_stats_router
from bikenode.rides.tasks import process_upload_job, refresh_public_views_job
from bikenode.rides.tus import router as tus_router
from bikenode.rides.uploads import PROCESS_UPLOAD_JOB
from bikenode.segments.backfill import BACKFILL_JOB
from bikenode.segments.heat_routes import router as heatmaps_router
from bikenode.segments.routes import router as segments_router
from bikenode.segments.subscribers import RIDE_EFFORTS, RIDE_HEAT
from bikenode.segments.tasks import backfill_job
from bikenode.social import AUDIENCE
from bikenode.social.clubs.routes import router as clubs_router
from bikenode.social.routes import router as social_router
from bikenode.social.subscribers import RIDE_DELETIONS as SOCIAL_RIDE_DELETIONS
from bikenode.sync.routes import router as sync_router
from bikenode.web.admission import Admission, AdmissionMetrics, AdmissionMiddleware
from bikenode.web.api_docs import router as api_docs_router
from bikenode.web.frontend import router as frontend_router
from bikenode.web.limits import BodySizeLimitMiddleware
from bikenode.web.observability import Metrics, ObservabilityMiddleware
from bikenode.web.observability import router as operations_router
from bikenode.web.problems import install_problem_handlers
from bikenode.web.security_headers import install_security_middleware
from bikenode.web.sockets import UserSockets, WebSocketOriginMiddleware, allowed_origins
from bikenode.webhooks.logic.addresses import allowed_hosts
from bikenode.webhooks.routes import app_router as app_webhooks_router
from bikenode.webhooks.routes import router as webhooks_router
from bikenode.webhooks.service import DELIVER_JOB
from bikenode.webhooks.subscribers import FANOUT
from bikenode.webhooks.tasks import deliver_job


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the background worker while the app serves; release connections at the end."""
    # As many handler threads as connections: requests and uploads in flight plus the
    # headroom (see web.admission).
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = app.state.settings.effective_db_pool_size
    if app.state.settings.run_worker:
        app.state.worker.start()
        app.state.events.start()
    await app.state.sockets.start()
    await app.state.live.start()
    await app.state.planner.start()
    await app.state.notification_stream.start()
    yield
    await app.state.notification_stream.stop()
    await app.state.planner.stop()  # write open route rooms, close them with 1012
    await app.state.live.stop()
    await app.state.sockets.stop()
    app.state.worker.stop()
    app.state.events.stop()
    await _release_connections(app.state.engine)


async def _release_connections(engine: Engine, *, wait_s: float = 5.0) -> None:
    """Close the pool once handlers still finishing have given their connections back.

    Disposing earlier leaves those connections to a pool nobody holds: they would never be
    closed properly (PostgreSQL then logs an unexpected end of the client's session).
    """
    checked_out = getattr(engine.pool, "checkedout", lambda: 0)
    deadline = time.monotonic() + wait_s
    while checked_out() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    engine.dispose()


def make_worker(settings: Settings, session_factory: sessionmaker[Session]) -> Worker:
    """The job worker with every domain's handlers."""
    return Worker(
        session_factory,
        {
            PROCESS_UPLOAD_JOB: process_upload_job(session_factory),
            REENCRYPT_JOB: reencrypt_health_job(session_factory),
            REFRESH_PUBLIC_VIEWS_JOB: refresh_public_views_job(session_factory),
            RECOMPUTE_JOB: recompute_job(session_factory),
            TIMERS_JOB: timers_job(session_factory),
            BACKFILL_JOB: backfill_job(session_factory),
            DELIVER_JOB: deliver_job(
                session_factory,
                allowed=allowed_hosts(settings.webhooks_allowed_hosts),
                retry_scale=settings.webhooks_retry_delay_scale,
            ),
            SEND_EMAIL_JOB: send_email_job(session_factory, settings),
            SEND_PUSH_JOB: send_push_job(session_factory, settings),
            SEND_DIGEST_JOB: send_digest_job(session_factory, settings),
            **crash_jobs(session_factory, settings),
        },
        lease_s=settings.job_lease_s,
    )


def make_dispatcher(session_factory: sessionmaker[Session], metrics: Metrics) -> Dispatcher:
    """The event dispatcher with every domain's subscribers."""
    return Dispatcher(
        session_factory,
        [
            RIDE_DELETIONS,
            RIDE_FIGURES,
            ERASED_USERS,
            RIDE_ASSIGNMENTS,
            RIDE_HRV,
            JOB_SERVICES,
            FANOUT,
            SOCIAL_RIDE_DELETIONS,
            RIDE_EFFORTS,
            RIDE_HEAT,
            NOTIFY,
        ],
        metrics=EventMetrics(metrics.registry),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The BikeNode ASGI app. Migrations are not run here: `serve` and `db upgrade` do that."""
    settings = settings or load_settings()
    app = FastAPI(
        title="BikeNode",
        version=__version__,
        summary="A self-hostable cycling platform: import, analyse and share rides.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored files by bikenode.web.api_docs
        redoc_url=None,
    )
    engine = create_db_engine(
        settings.effective_database_url,
        pool_size=settings.effective_db_pool_size,
        pool_timeout_s=settings.db_pool_timeout_s,
        lock_timeout_s=settings.db_lock_timeout_s,
    )
    install_key_ring(key_ring_from_settings(settings))  # health data is sealed with these
    register_audience(AUDIENCE)  # followers-only rides reach approved followers
    app.state.is_private_ride = is_private_ride  # apps without rides:read_all never see one
    app.state.settings = settings
    app.state.vapid = vapid_key(settings)  # web push's key pair: made on first start
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_session_factory = make_session_factory(engine, read_only=True)
    app.state.probe_engine = create_probe_engine(settings.effective_database_url)
    app.state.admission = Admission(
        in_flight=settings.max_requests_in_flight,
        waiting=settings.max_requests_waiting,
        wait_timeout_s=settings.request_wait_timeout_s,
    )
    app.state.upload_admission = Admission(
        in_flight=settings.max_uploads_in_flight,
        waiting=settings.max_requests_waiting,
        wait_timeout_s=settings.request_wait_timeout_s,
    )
    app.state.accounts = build_accounts_config(settings)
    app.state.metrics = Metrics()
    app.state.worker = make_worker(settings, app.state.session_factory)
    # No real provider is reachable here: the in-process card provider answers at once.
    app.state.market_gateway = FakeCardGateway()
    app.state.events = make_dispatcher(app.state.session_factory, app.state.metrics)
    # Signed-in users' open WebSockets (live and route rooms): capped, closed on sign-out
    # (on every node: with Redis, a sign-out is announced to the others).
    app.state.sockets = UserSockets(
        settings.max_sockets_per_user,
        broker=build_broker(settings, history_size=100) if settings.redis_url else None,
    )
    app.state.live = build_live_node(
        settings, app.state.session_factory, app.state.accounts, app.state.sockets
    )
    app.state.live.register_metrics(app.state.metrics.registry)
    app.state.planner = PlannerNode(
        settings,
        app.state.session_factory,
        app.state.accounts,
        app.state.sockets,
        # Route rooms on several nodes meet through Redis; one process needs no broker.
        broker=build_broker(settings, history_size=RELAY_HISTORY) if settings.redis_url else None,
    )
    # Open pages hear of new notifications; with Redis, from whichever node made them.
    app.state.notification_stream = NotificationStream(
        engine, broker=build_broker(settings, history_size=20) if settings.redis_url else None
    )
    # The routing graph `bikenode maps import` stored, loaded on first use; tiles through this
    # server only when the operator asks for it (map_tile_proxy).
    app.state.routing = routing_engine(settings)
    proxied = settings.map_tile_proxy and settings.map_tile_url
    app.state.tile_proxy = TileProxy(settings) if proxied else None
    # What closes an erased user's connections on this node (called by governance's routes).
    app.state.on_user_erased = (app.state.live.disconnect_user, app.state.planner.disconnect_user)
    app.add_middleware(
        BodySizeLimitMiddleware,
        large_prefixes={"/api/v1/uploads": settings.max_upload_bytes},
        body_timeout_s=settings.request_body_timeout_s,
    )
    install_security_middleware(app, settings)  # rate limits, CORS, security headers
    # Outside the rate limits (whose plan look-ups use the database), inside the request ids
    # and metrics, so a shed request is counted and carries its id.
    app.add_middleware(
        AdmissionMiddleware,
        admission=app.state.admission,
        uploads=app.state.upload_admission,
        metrics=AdmissionMetrics(app.state.metrics.registry, app.state.admission),
    )
    app.add_middleware(
        WebSocketOriginMiddleware,
        allowed=allowed_origins(settings.public_url, settings.cors_allow_origins),
    )
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    app.include_router(operations_router)
    app.include_router(apps_router)
    app.include_router(oauth_router)
    app.include_router(accounts_router)
    app.include_router(mfa_router)
    app.include_router(web_session_router)
    app.include_router(tus_router)
    app.include_router(ride_stats_router)  # before rides: /rides/stats is not a ride id
    app.include_router(rides_router)
    app.include_router(privacy_zones_router)
    app.include_router(governance_router)
    app.include_router(fitness_router)
    app.include_router(live_router)
    app.include_router(live_ws_router)
    app.include_router(live_ingest_router)
    app.include_router(sync_router)
    app.include_router(planner_router)
    app.include_router(maps_router)
    app.include_router(tiles_router)
    app.include_router(planner_ws_router)
    app.include_router(bikes_router)
    app.include_router(health_router)
    app.include_router(webhooks_router)
    app.include_router(app_webhooks_router)
    app.include_router(notifications_router)
    app.include_router(notifications_unsubscribe_router)
    app.include_router(social_router)
    app.include_router(clubs_router)
    app.include_router(market_router)
    app.include_router(mechanics_router)
    app.include_router(segments_router)
    app.include_router(heatmaps_router)
    app.include_router(frontend_router)
    app.include_router(api_docs_router)
    return app
