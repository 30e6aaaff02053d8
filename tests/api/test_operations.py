from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bikenode.logs import JSONFormatter


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


def test_readyz_fails_when_schema_is_behind(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        # One row per head: the domains branch their migrations.
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).first()[0]
        connection.execute(
            text("UPDATE alembic_version SET version_num = 'older' WHERE version_num = :r"),
            {"r": revision},
        )
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "expected" in response.json()["database"]
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :r WHERE version_num = 'older'"),
                {"r": revision},
            )


def test_metrics_count_requests_per_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/api/v1/me")
    client.get("/no/such/path/123")
    metrics = client.get("/metrics").text
    assert 'bikenode_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in metrics
    assert 'route="/api/v1/me",status="401"' in metrics
    assert 'route="<unmatched>"' in metrics
    assert "bikenode_http_request_duration_seconds_bucket" in metrics


def test_request_id_is_returned_and_echoed_when_safe(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert echoed.headers["x-request-id"] == "abc12345-trace"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert unsafe.headers["x-request-id"] != "bad id\nwith newline"


def test_access_log_is_json_with_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bikenode.access"):
        response = client.get("/healthz", headers={"X-Request-ID": "req-log-test-1"})
    records = [r for r in caplog.records if r.name == "bikenode.access"]
    assert records
    line = json.loads(JSONFormatter().format(records[-1]))
    assert line["route"] == "/healthz"
    assert line["status"] == 200
    assert response.headers["x-request-id"] == "req-log-test-1"


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/auth/login" in spec["paths"]
