"""Social tests sign many riders up: without rate limits, or a 429 would hide the answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    application = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    yield application
    application.state.engine.dispose()
