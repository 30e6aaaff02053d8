"""Base-map tiles fetched by this server and cached in data_dir/tiles (map_tile_proxy).

With the proxy on, riders' browsers ask only this server for tiles, so the tile provider sees
the server, not which areas each rider views. Each tile is fetched once per map_tile_cache_s
(OpenStreetMap's tile usage policy: a User-Agent naming the application, caching for at
least 7 days, no prefetching; nothing is fetched before a browser asks for it). A tile that
cannot be fetched is served stale from the cache if it is there, else answers 503.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from bikenode import __version__
from bikenode.config import MAP_TILE_PROXY_PATH, Settings
from bikenode.errors import Busy, NotFound

MAX_ZOOM: Final = 19
MAX_TILE_BYTES: Final = 1024 * 1024
PROXY_PATH: Final = MAP_TILE_PROXY_PATH
_SIGNATURES: Final = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


@dataclass(frozen=True)
class Tile:
    """A tile's bytes and media type."""

    body: bytes
    media_type: str


def check_tile(z: int, x: int, y: int) -> None:
    """NotFound unless z/x/y names a tile of the web Mercator pyramid up to MAX_ZOOM."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"expected a tile z 0-{MAX_ZOOM} and x, y in 0..2^z-1, got {z}/{x}/{y}")


def upstream_url(template: str, z: int, x: int, y: int) -> str:
    """The configured tile URL for one tile ({s} is the first subdomain, 'a')."""
    url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    return url.replace("{s}", "a").replace("{r}", "")


def media_type(body: bytes) -> str | None:
    """The image type of a tile's bytes (PNG, JPEG or WebP), or None if it is none of them."""
    for signature, kind in _SIGNATURES:
        if body.startswith(signature):
            return kind
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None


class TileProxy:
    """Tiles from the configured server, through a cache on disk."""

    def __init__(self, settings: Settings) -> None:
        self.template = settings.map_tile_url
        self.cache_dir = settings.data_dir / "tiles"
        self.cache_s = settings.map_tile_cache_s
        self.timeout_s = settings.map_tile_fetch_timeout_s
        self.user_agent = f"BikeNode/{__version__} (+{settings.public_url})"

    def tile(self, z: int, x: int, y: int) -> Tile:
        """The tile z/x/y: cached if fresh, else fetched (stale from cache if fetching fails)."""
        check_tile(z, x, y)
        if urlsplit(self.template).scheme not in ("http", "https"):
            raise NotFound("no tile server is configured (map_tile_url)")
        path = self.cache_dir / str(z) / str(x) / f"{y}.tile"
        cached = _read(path)
        if cached is not None and time.time() - path.stat().st_mtime < self.cache_s:
            return cached
        try:
            fetched = self._fetch(z, x, y)
        except Busy:
            if cached is not None:
                return cached
            raise
        _write(path, fetched.body)
        return fetched

    def _fetch(self, z: int, x: int, y: int) -> Tile:
        request = urllib.request.Request(  # noqa: S310 (the operator's configured tile server)
            upstream_url(self.template, z, x, y), headers={"User-Agent": self.user_agent}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310  # nosec B310
                body = response.read(MAX_TILE_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise Busy(f"the tile server could not be reached: {error}", retry_after_s=30) from None
        kind = media_type(body)
        if len(body) > MAX_TILE_BYTES or kind is None:
            raise Busy("expected a PNG, JPEG or WebP tile under 1 MiB from the tile server")
        return Tile(body, kind)


def _read(path: Path) -> Tile | None:
    try:
        body = path.read_bytes()
    except OSError:
        return None
    kind = media_type(body)
    return Tile(body, kind) if kind else None


def _write(path: Path, body: bytes) -> None:
    """Write through a temporary file, so a concurrent reader never sees half a tile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    partial.write_bytes(body)
    os.replace(partial, path)
