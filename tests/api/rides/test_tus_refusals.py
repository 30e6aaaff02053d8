"""A tus client that speaks another version, or sends the wrong content type, is told why."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import signed_in

TUS = "/api/v1/uploads/tus"


def test_tus_without_the_version_header_answers_412_naming_the_version(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    refused = client.post(TUS, headers={**headers, "Upload-Length": "10"})
    assert refused.status_code == 412, refused.text
    assert refused.headers["tus-version"] == "1.0.0"
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Tus-Resumable: 1.0.0" in refused.json()["detail"]


def test_tus_patch_of_the_wrong_content_type_answers_415(client: TestClient) -> None:
    _, headers = signed_in(client)
    tus = {**headers, "Tus-Resumable": "1.0.0"}
    created = client.post(TUS, headers={**tus, "Upload-Length": "10"})
    assert created.status_code == 201, created.text
    refused = client.patch(created.headers["location"], content=b"0123456789", headers=tus)
    assert refused.status_code == 415, refused.text
    assert refused.json()["status"] == 415
    assert "application/offset+octet-stream" in refused.json()["detail"]
