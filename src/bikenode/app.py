"""create_app(): the ASGI application with every domain's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bikenode import __version__
from bikenode.accounts.logic import TokenSettings
from bikenode.accounts.passwords import PasswordHashing
from bikenode.accounts.routes import router as accounts_router
from bikenode.accounts.service import AccountsConfig
from bikenode.config import Settings, load_settings
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.queue import Worker
from bikenode.rides.routes import router as rides_router
from bikenode.rides.tasks import process_upload_job
from bikenode.rides.tus import router as tus_router
from bikenode.rides.uploads import PROCESS_UPLOAD_JOB
from bikenode.web.limits import BodySizeLimitMiddleware
from bikenode.web.observability import Metrics, ObservabilityMiddleware
from bikenode.web.observability import router as operations_router
from bikenode.web.problems import install_problem_handlers


def accounts_config(settings: Settings) -> AccountsConfig:
    """Password hashing and token settings from configuration."""
    return AccountsConfig(
        hashing=PasswordHashing(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            max_concurrent=settings.max_concurrent_password_hashes,
            wait_s=settings.password_hash_wait_s,
        ),
        tokens=TokenSettings(
            secret=settings.effective_secret_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=settings.access_token_ttl_s),
        ),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the background worker while the app serves; release connections at the end."""
    if app.state.settings.run_worker:
        app.state.worker.start()
    yield
    app.state.worker.stop()
    app.state.engine.dispose()


def make_worker(settings: Settings, session_factory: sessionmaker[Session]) -> Worker:
    """The job worker with every domain's handlers."""
    return Worker(
        session_factory,
        {PROCESS_UPLOAD_JOB: process_upload_job(session_factory)},
        lease_s=settings.job_lease_s,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The BikeNode ASGI app. Migrations are not run here: `serve` and `db upgrade` do that."""
    settings = settings or load_settings()
    app = FastAPI(
        title="BikeNode",
        version=__version__,
        summary="A self-hostable cycling platform: import, analyse and share rides.",
        lifespan=lifespan,
    )
    engine = create_db_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.accounts = accounts_config(settings)
    app.state.metrics = Metrics()
    app.state.worker = make_worker(settings, app.state.session_factory)
    app.add_middleware(
        BodySizeLimitMiddleware, large_prefixes={"/api/v1/uploads": settings.max_upload_bytes}
    )
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    app.include_router(operations_router)
    app.include_router(accounts_router)
    app.include_router(tus_router)
    app.include_router(rides_router)
    return app
