"""Lists of one's own uploads and live sessions: newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import signed_in


def _all_pages(client: TestClient, path: str, headers: dict[str, str]) -> list[list[Any]]:
    pages, cursor = [], ""
    while True:
        answer = client.get(f"{path}?limit=2{cursor}", headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        cursor = f"&cursor={body['next_cursor']}"


def test_uploads_are_listed_newest_first_a_page_at_a_time(client: TestClient) -> None:
    _, headers = signed_in(client)
    _, stranger = signed_in(client)
    files = [("files", (f"f{n}.gpx", b"not a ride", "application/gpx+xml")) for n in range(5)]
    sent = client.post("/api/v1/uploads", files=files, headers=headers).json()["uploads"]
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    pages = _all_pages(client, "/api/v1/uploads", headers)
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [item for p in pages for item in p]
    assert [u["id"] for u in listed] == [u["id"] for u in reversed(sent)]
    assert all(u["status"] == "done" and u["counts"] == {"failed": 1} for u in listed)
    assert "items" not in listed[0]
    assert _all_pages(client, "/api/v1/uploads", stranger) == [[]]
    bad = client.get("/api/v1/uploads?cursor=bm90LWEtY3Vyc29y", headers=headers)
    assert bad.status_code == 422
    assert "cursor" in bad.json()["detail"]


def test_live_sessions_are_listed_newest_first_a_page_at_a_time(client: TestClient) -> None:
    _, headers = signed_in(client)
    _, stranger = signed_in(client)
    started = [
        client.post("/api/v1/live/sessions", json={"name": f"s{n}"}, headers=headers).json()
        for n in range(3)
    ]
    pages = _all_pages(client, "/api/v1/live/sessions", headers)
    assert [len(p) for p in pages] == [2, 1]
    listed = [item for p in pages for item in p]
    assert [s["id"] for s in listed] == [s["id"] for s in reversed(started)]
    assert listed[0]["watch_socket"].endswith("/watch")
    assert _all_pages(client, "/api/v1/live/sessions", stranger) == [[]]
    assert client.get("/api/v1/live/sessions").status_code == 401
