"""Bad input gets a clear 4xx in the problem-details shape, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in


def _post_raw(client: TestClient, path: str, body: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        path, content=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "a@example.org", "password": NaN, "display_name": "A"}',
        '{"email": "a@example.org", "password": "x", "display_name": "A", "n": Infinity}',
        '{"email": "a@example.org", "password": "x", "display_name": "A", "n": -Infinity}',
        '{"email": "a@example.org", "password": "x", "display_name": "A", "n": 1e999}',
    ],
)
def test_non_finite_numbers_are_a_clear_422(client: TestClient, body: str) -> None:
    response = _post_raw(client, "/api/v1/auth/register", body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "finite number" in response.json()["detail"]


def test_nan_in_a_numeric_field_is_422_not_500(client: TestClient) -> None:
    _, headers = signed_in(client)
    for literal in ("NaN", "Infinity", "1e999", "-1e999"):
        response = client.patch(
            "/api/v1/me",
            content='{"ftp_w": ' + literal + "}",
            headers={"Content-Type": "application/json", **headers},
        )
        assert response.status_code == 422, literal


@pytest.mark.parametrize(
    ("field", "value"),
    [("ftp_w", True), ("ftp_w", "250"), ("ftp_w", 250.5), ("max_hr_bpm", [180]), ("units", 1)],
)
def test_mistyped_fields_are_rejected_strictly(
    client: TestClient, field: str, value: object
) -> None:
    _, headers = signed_in(client)
    response = client.patch("/api/v1/me", json={field: value}, headers=headers)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["field"] == field


def test_missing_fields_are_named(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "a@example.org"})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"password", "display_name"}


def test_overlong_strings_are_rejected(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "a@example.org", "password": "p" * 5000, "display_name": "A"},
    )
    assert response.status_code == 422
    _, headers = signed_in(client)
    long_name = client.patch("/api/v1/me", json={"display_name": "n" * 101}, headers=headers)
    assert long_name.status_code == 422


def test_malformed_json_and_wrong_shapes(client: TestClient) -> None:
    for body in ("{", "[]", '"just a string"', "null", '{"email": }'):
        response = _post_raw(client, "/api/v1/auth/login", body)
        assert response.status_code == 422, body
        assert response.json()["status"] == 422


def test_unknown_route_and_method_are_problem_details(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = client.delete("/api/v1/auth/login")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["title"] == "Method Not Allowed"


def test_a_crash_is_a_500_problem_without_a_stack_trace(client: TestClient) -> None:
    app = client.app

    @app.get("/boom")  # type: ignore[attr-defined,untyped-decorator]
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
