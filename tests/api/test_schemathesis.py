"""Schemathesis against the OpenAPI spec: generated requests never cause a 5xx, and every
documented answer matches its schema. Run as a signed-in rider, with rate limits off (they
would answer 429 to the flood, which proves nothing here).

Schemathesis's pytest plugin does not load under this pytest, so the test walks the
operations itself and runs one Hypothesis search per operation.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from tests.factories import signed_in

# Operations that end the caller's own account or session make the rest meaningless.
SKIPPED = re.compile(r"^/api/v1/(me/erase|auth/logout|auth/web/logout)$")
EXAMPLES_PER_OPERATION = 6


def test_no_server_errors_and_answers_match_the_spec(settings: Settings, engine: Engine) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    with TestClient(app, raise_server_exceptions=False) as client:
        _, headers = signed_in(client)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        checked = 0
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an Err would raise here
            if SKIPPED.match(operation.path):
                continue
            _fuzz(operation, headers)
            checked += 1
        assert checked > 20


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    run()
