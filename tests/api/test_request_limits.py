"""Request size caps (413), the upload cap, and JSON nested too deep: refused with the reason."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.web.limits import DEFAULT_MAX_BODY_BYTES
from tests.factories import signed_in

LOGIN = "/api/v1/auth/login"


def test_a_body_over_the_request_cap_is_refused_with_413(client: TestClient) -> None:
    too_big = b"{" + b" " * DEFAULT_MAX_BODY_BYTES + b"}"
    declared = client.post(LOGIN, content=too_big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert declared.json()["detail"] == (
        f"expected a body of at most {DEFAULT_MAX_BODY_BYTES} bytes, got {len(too_big)}"
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(20):
            yield b" " * 65536

    streamed = client.post(LOGIN, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert "at most 1048576 bytes, got more" in streamed.json()["detail"]


def test_an_upload_over_the_upload_cap_is_refused_with_413(
    settings: Settings, engine: Engine
) -> None:
    app = create_app(settings.model_copy(update={"max_upload_bytes": 64 * 1024}))
    with TestClient(app, raise_server_exceptions=False) as client:
        _, headers = signed_in(client)
        files = [("files", ("big.gpx", b"<gpx>" + b" " * 70_000, "application/gpx+xml"))]
        refused = client.post("/api/v1/uploads", files=files, headers=headers)
        assert refused.status_code == 413
        assert "at most 65536 bytes" in refused.json()["detail"]
        tus = client.post(
            "/api/v1/uploads/tus",
            headers={**headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(70_000)},
        )
        assert tus.status_code == 413
    app.state.engine.dispose()


def test_json_nested_too_deep_is_refused_with_the_reason(client: TestClient) -> None:
    _, headers = signed_in(client)
    deep = b'{"display_name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    refused = client.patch(
        "/api/v1/me", content=deep, headers={**headers, "content-type": "application/json"}
    )
    assert refused.status_code == 422
    assert "expected JSON nested at most 32 deep, got 50001" in refused.json()["detail"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
