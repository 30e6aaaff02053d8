"""The web app's files: index.html on client routes, cacheable and compressed static files."""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.web.frontend import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"


def _asset_urls(client: TestClient) -> list[str]:
    page = client.get("/").text
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def test_client_routes_answer_with_the_app_and_a_strict_content_security_policy(
    client: TestClient,
) -> None:
    for path in (
        "/",
        "/signin",
        "/signup",
        "/rides",
        f"/rides/{uuid.uuid4()}",
        "/upload",
        "/settings",
        "/live",
        "/privacy",
        "/goodbye",
        "/calendar",
        "/bikes",
        f"/bikes/{uuid.uuid4()}",
        "/fitness",
        "/power",
        "/health",
        "/segments",
        f"/segments/{uuid.uuid4()}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert '<main id="main"' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_every_asset_the_page_names_is_served_with_its_type(client: TestClient) -> None:
    urls = _asset_urls(client)
    assert any(url.endswith("/app/main.js") for url in urls)
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    types[".svg"] = "image/svg+xml"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == types[Path(url).suffix], url
        assert response.headers["x-content-type-options"] == "nosniff"


def test_static_files_are_cached_for_a_year_under_the_current_build_only(
    client: TestClient,
) -> None:
    main_js = next(url for url in _asset_urls(client) if url.endswith("/app/main.js"))
    assert client.get(main_js).headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = re.sub(r"/static/[^/]+/", "/static/an-old-build/", main_js)
    stale_response = client.get(stale)
    assert stale_response.status_code == 200
    assert stale_response.headers["cache-control"] == "no-cache"


def test_text_files_are_gzipped_for_clients_that_accept_it(client: TestClient) -> None:
    leaflet = next(url for url in _asset_urls(client) if url.endswith("leaflet.js"))
    original = (VENDOR / "leaflet-1.9.4" / "leaflet.js").read_bytes()
    zipped = client.get(leaflet, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(original) / 2
    assert zipped.content == original  # decoded by the client
    plain = client.get(leaflet, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == original
    refused = client.get(leaflet, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_a_known_etag_gets_304_not_modified(client: TestClient) -> None:
    css = next(url for url in _asset_urls(client) if url.endswith("/app/app.css"))
    etag = client.get(css, headers={"Accept-Encoding": "gzip"}).headers["etag"]
    again = client.get(css, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304
    assert again.content == b""
    # The uncompressed file is another representation: another ETag, a full answer.
    plain = client.get(css, headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["etag"] != etag


def test_unknown_static_files_and_api_paths_are_problem_documents(client: TestClient) -> None:
    for path in ("/static/x/app/nope.js", "/static/x/../../config.py", "/api/v1/nothing-here"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


def test_vendored_libraries_match_their_recorded_checksums() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    assert len(lines) >= 4
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    for library in ("leaflet-1.9.4", "uplot-1.6.32"):
        assert (VENDOR / library / "LICENSE").is_file()


def test_a_configured_tile_server_is_allowed_and_handed_to_the_page(
    settings: Settings, engine: Engine
) -> None:
    tiles = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    configured = settings.model_copy(update={"map_tile_url": tiles})
    with TestClient(create_app(configured)) as tile_client:
        response = tile_client.get("/")
    assert (
        "img-src 'self' data: blob: https://*.tile.example.org;"
        in (response.headers["content-security-policy"])
    )
    assert html.escape(json.dumps(tiles)) in response.text


def test_the_api_reference_loads_only_same_origin_files_that_are_served(
    client: TestClient,
) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"], policy
    assert "http" not in policy
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").status_code == 200


def test_an_unknown_page_in_a_browser_is_the_apps_not_found_page(client: TestClient) -> None:
    html_accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/no/such/page", headers=html_accept)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert page.text == client.get("/").text  # the app, which draws its "Page not found"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("/api/v1/nothing-here", "/static/x/app/nope.js", "/healthz/x"):
        problem = client.get(path, headers=html_accept)
        assert problem.status_code == 404, path
        assert problem.headers["content-type"] == "application/problem+json", path
    programs = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert programs.headers["content-type"] == "application/problem+json"
