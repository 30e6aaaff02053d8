"""The route pages are served, with the vendored yjs + y-websocket bundle and its licences."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from bikenode.web.frontend import STATIC_DIR

BUNDLE = STATIC_DIR / "vendor" / "yjs-13.6.33"


def test_the_yjs_bundle_matches_its_recorded_checksums_and_licences() -> None:
    lines = (BUNDLE / "SHA256SUMS").read_text().splitlines()
    names = {line.split(maxsplit=1)[1] for line in lines}
    assert names == {
        "yjs-websocket.min.mjs",
        "LICENSE.yjs",
        "LICENSE.y-websocket",
        "LICENSE.y-protocols",
        "LICENSE.lib0",
    }
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((BUNDLE / name).read_bytes()).hexdigest() == digest, name


def test_route_pages_are_client_routes_and_the_bundle_is_served(client: TestClient) -> None:
    for path in ("/routes", "/routes/00000000-0000-4000-8000-000000000000"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
    build = client.get("/").text.split("/static/")[1].split("/")[0]
    bundle = client.get(f"/static/{build}/vendor/yjs-13.6.33/yjs-websocket.min.mjs")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"as WebsocketProvider" in bundle.content
    app_js = client.get(f"/static/{build}/app/routes.js")
    assert app_js.status_code == 200
