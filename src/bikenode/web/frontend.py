"""The web app: index.html for every client route, and the static files it loads.

Static files are served from /static/<build>/..., where <build> is a hash of all of them, so
each URL names one exact content and may be cached for a year; index.html itself is always
revalidated. Text files are gzip-compressed once, in memory, and served compressed to
clients that accept it. Nothing is fetched from elsewhere: the libraries are vendored.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from bikenode import __version__
from bikenode.config import Settings
from bikenode.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX_FILE = "index.html"
# Paths the single-page app routes in the browser; each answers with index.html.
CLIENT_ROUTES: tuple[str, ...] = (
    "/",
    "/signin",
    "/signup",
    "/upload",
    "/rides",
    "/rides/{ride_id}",
    "/settings",
)
CLIENT_ROUTES += ("/forgot-password", "/reset-password")
CLIENT_ROUTES += ("/live/{session_id}", "/live/groups/{group_id}")
CLIENT_ROUTES += ("/routes", "/routes/{route_id}")
CLIENT_ROUTES += ("/live", "/privacy", "/goodbye", "/calendar")
CLIENT_ROUTES += ("/bikes", "/bikes/{bike_id}")
CLIENT_ROUTES += ("/fitness", "/power")
CLIENT_ROUTES += ("/health",)
CLIENT_ROUTES += ("/notifications", "/unsubscribe")
CLIENT_ROUTES += ("/feed", "/riders/{user_id}", "/follow-requests")
CLIENT_ROUTES += ("/market", "/market/jobs/{job_id}", "/market/mechanics/{mechanic_id}")
CLIENT_ROUTES += ("/segments", "/segments/{segment_id}")
CLIENT_ROUTES += ("/moderation",)
CLIENT_ROUTES += ("/clubs", "/clubs/{club_id}")
CLIENT_ROUTES += ("/heatmap",)
CLIENT_ROUTES += ("/settings/webhooks",)
CLIENT_ROUTES += ("/oauth/consent", "/settings/apps")
CLIENT_ROUTES += ("/settings/crash",)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE, SHA256SUMS
}
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".map", ".json", ".svg", ".txt", ""}


@dataclass(frozen=True)
class StaticFile:
    """One file ready to serve: its bytes, gzipped bytes (if smaller), type and ETag."""

    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


@dataclass(frozen=True)
class Bundle:
    """Every static file by its path under the static folder, and the build id naming them."""

    build: str
    files: dict[str, StaticFile]
    index_template: str


def _prepare(path: Path) -> StaticFile:
    body = path.read_bytes()
    suffix = path.suffix.lower()
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if suffix in COMPRESSIBLE else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return StaticFile(body, gzipped, MEDIA_TYPES.get(suffix, "application/octet-stream"), etag)


@functools.cache
def load_bundle(root: Path = STATIC_DIR) -> Bundle:
    """The static files under root, read and compressed once per process."""
    paths = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files = {p.relative_to(root).as_posix(): _prepare(p) for p in paths}
    digest = hashlib.sha256()
    for name, file in files.items():
        digest.update(f"{name}\0{file.etag}\0".encode())
    index = files.pop(INDEX_FILE, None)
    if index is None:
        raise RuntimeError(f"the web app is missing: expected {root / INDEX_FILE}")
    return Bundle(digest.hexdigest()[:12], files, index.body.decode())


def accepts_gzip(request: Request) -> bool:
    """Whether the client's Accept-Encoding allows gzip (and does not refuse it with q=0)."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def file_response(request: Request, file: StaticFile, cache_control: str) -> Response:
    """The file, gzipped when the client accepts it; 304 when the client has it already."""
    zipped = file.gzipped is not None and accepts_gzip(request)
    # Each encoding is a different representation, so it gets an ETag of its own.
    etag = file.etag[:-1] + '-gzip"' if zipped else file.etag
    headers = {"Cache-Control": cache_control, "ETag": etag, "Vary": "Accept-Encoding"}
    headers["X-Content-Type-Options"] = "nosniff"
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = file.body
    if zipped and file.gzipped is not None:
        body, headers["Content-Encoding"] = file.gzipped, "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=file.media_type)
    return Response(body, headers=headers, media_type=file.media_type)


def content_security_policy(settings: Settings) -> str:
    """Scripts, styles and data from this origin only; images also from the tile server."""
    images = ["'self'", "data:", "blob:"]
    if settings.map_tile_url and not settings.map_tile_proxy:  # proxied tiles are 'self'
        parts = urlsplit(settings.map_tile_url)
        images.append(f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def render_index(bundle: Bundle, settings: Settings) -> StaticFile:
    """index.html with the build id and the app's settings filled in."""
    config = {
        "version": __version__,
        "mapTileUrl": settings.browser_map_tile_url,
        "mapTileAttribution": settings.map_tile_attribution if settings.map_tile_url else "",
    }
    text = bundle.index_template.replace("{{build}}", bundle.build).replace(
        "{{config}}", html.escape(json.dumps(config), quote=True)
    )
    body = text.encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return StaticFile(body, gzip.compress(body, mtime=0), MEDIA_TYPES[".html"], etag)


router = APIRouter(include_in_schema=False)


def serve_index(request: Request) -> Response:
    """The single-page app's HTML (its scripts route in the browser)."""
    settings: Settings = request.app.state.settings
    response = file_response(request, render_index(load_bundle(), settings), REVALIDATE)
    response.headers["Content-Security-Policy"] = content_security_policy(settings)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


for _route in CLIENT_ROUTES:
    router.add_api_route(_route, serve_index, methods=["GET", "HEAD"])


@router.api_route("/sw.js", methods=["GET", "HEAD"])
def serve_service_worker(request: Request) -> Response:
    """The service worker that shows web push; at the root so its scope is the whole app,
    and revalidated so a new version reaches browsers."""
    return file_response(request, load_bundle().files["sw.js"], REVALIDATE)


@router.api_route("/static/{build}/{path:path}", methods=["GET", "HEAD"])
def serve_static(build: str, path: str, request: Request) -> Response:
    """A static file; cached for a year when its build id is the current one."""
    bundle = load_bundle()
    file = bundle.files.get(path)
    if file is None:
        raise NotFound(f"no static file {path!r}")
    return file_response(request, file, IMMUTABLE if build == bundle.build else REVALIDATE)
