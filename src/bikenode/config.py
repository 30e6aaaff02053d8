"""Settings from BIKENODE_* environment variables, command-line flags and defaults."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE_NAME = "secret.key"  # noqa: S105 (a file name)
# Connections and handler threads a process keeps beside those of the requests in flight: the
# job worker, WebSockets, route rooms, rate-limit plan look-ups, probes and static files.
DB_POOL_HEADROOM = 16
OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAP_TILE_PROXY_PATH = "/map-tiles/{z}/{x}/{y}"  # this server's tile cache
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


def default_requests_in_flight() -> int:
    """Two requests in flight per core, at least four (measured: bench/load.py)."""
    return max(4, 2 * (os.cpu_count() or 1))


class Settings(BaseSettings):
    """Everything an operator can set; each field maps to BIKENODE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="BIKENODE_", extra="ignore")

    data_dir: Path = Field(default=Path("./bikenode-data"))
    # Empty means: SQLite in data_dir. Set a postgresql+psycopg:// URL to scale out.
    database_url: str = ""
    redis_url: str = ""
    # Devices over MQTT: mqtt://host:port of the mosquitto that `bikenode mqtt-config` set up.
    # Empty: no bridge. Its password is read from mqtt_password_file (default
    # data_dir/mqtt/bridge.password, written by mqtt-config) unless the URL carries one.
    mqtt_url: str = ""
    mqtt_password_file: Path | None = None
    # Signs access tokens. Empty means: generated once and kept in data_dir/secret.key.
    secret_key: str = ""
    # AES-256-GCM keys for health data, "keyid:base64key,..." (the first encrypts). Empty
    # means: generated once and kept in data_dir/data.keys (see bikenode.encryption).
    data_keys: str = ""
    # Market: default tax rates per country over the built-in ones, "DE:1900,FR:2000" in basis
    # points (market/logic/invoice.py DEFAULT_TAX_RATES_BP); a quote line may name its own.
    market_tax_rates_bp: str = ""
    jwt_issuer: str = "bikenode"
    jwt_audience: str = "bikenode-api"
    access_token_ttl_s: int = Field(default=15 * 60, ge=60, le=24 * 3600)
    # A session (one sign-in and the refresh tokens rotated from it) ends after this long
    # without a refresh (idle), and in any case this long after the sign-in (absolute).
    session_idle_ttl_s: int = Field(default=30 * 24 * 3600, ge=3600)
    session_absolute_ttl_s: int = Field(default=90 * 24 * 3600, ge=3600)
    # A refresh token presented again this soon after it was rotated (two tabs, a retry after
    # a lost answer) gets the same new refresh token, not the end of the session.
    refresh_grace_s: float = Field(default=10.0, ge=0, le=60)
    # Each Argon2id hash takes ~19 MiB; this many may run at once, the rest wait briefly.
    max_concurrent_password_hashes: int = Field(default=4, ge=1, le=64)
    password_hash_wait_s: float = Field(default=10.0, gt=0)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    argon2_time_cost: int = Field(default=2, ge=2)
    # One upload (a file or an archive); tus uploads are resumable up to the same size.
    max_upload_bytes: int = Field(default=4 * 1024**3, ge=1024)
    # Retention (`bikenode retention`): days after which data is deleted; 0 keeps it forever.
    # The file each ride was imported from (the ride itself stays):
    retention_originals_days: int = Field(default=0, ge=0)
    # The positions of a live session that has become a ride (the ride keeps the track):
    retention_live_positions_days: int = Field(default=0, ge=0)
    # Webhook hosts allowed although they resolve to loopback or private addresses
    # ("hooks.lan,127.0.0.1"); every other host must resolve to public addresses only.
    webhooks_allowed_hosts: str = ""
    # The same for web push endpoints ("127.0.0.1" for a push service run on this machine).
    push_allowed_hosts: str = ""
    # Multiplies the webhook retry waits (about three days in all): 0.0001 turns them into
    # milliseconds for test and chaos runs. Production keeps 1.
    webhooks_retry_delay_scale: float = Field(default=1.0, gt=0, le=1)
    # A duplicate file's extra streams, kept so the rider can merge them into the original:
    retention_duplicate_copies_days: int = Field(default=0, ge=0)
    # Resumable uploads never finished (the bytes received so far):
    retention_abandoned_uploads_days: int = Field(default=7, ge=0)
    # Apps' authorization codes and tokens expired or revoked (and grants revoked) this long
    # ago; until then a replayed code or refresh token is still recognised as stolen:
    retention_app_credentials_days: int = Field(default=30, ge=0)
    # A killed worker's job is taken over once its lease runs out.
    job_lease_s: float = Field(default=60.0, ge=1.0)
    # Load shedding, per worker process. Requests handled at once (each holds a handler thread
    # and at most one database connection), requests allowed to wait for a turn, and how long
    # one may wait; past either limit the answer is 503 with Retry-After. Probes, static files
    # and WebSockets are never queued. Few in flight is faster, not slower: handlers share one
    # interpreter lock, and each extra runnable thread delays the event loop (and /healthz).
    max_requests_in_flight: int = Field(default_factory=default_requests_in_flight, ge=1, le=1024)
    max_requests_waiting: int = Field(default=2000, ge=0)
    # Uploads (a file sent as the body) have turns of their own, so slow senders of large
    # files never take the turns of page views.
    max_uploads_in_flight: int = Field(default=8, ge=1, le=1024)
    request_wait_timeout_s: float = Field(default=20.0, gt=0)
    # Database connections per worker process: 0 means the requests in flight plus a headroom
    # for the job worker and WebSockets (DB_POOL_HEADROOM). Past db_pool_timeout_s a
    # request answers 503. On SQLite a writer waits up to db_lock_timeout_s for the lock.
    db_pool_size: int = Field(default=0, ge=0)
    db_pool_timeout_s: float = Field(default=10.0, gt=0)
    db_lock_timeout_s: float = Field(default=10.0, gt=0)
    # Run the background worker inside `serve` (turn off to run workers elsewhere).
    run_worker: bool = True
    # The maps' base layer: an XYZ raster tile URL ({z}/{x}/{y}, optional {s} subdomain),
    # OpenStreetMap's standard tiles by default. Empty: tracks are drawn on a plain
    # background. Riders' browsers fetch the tiles themselves (the tile server sees which areas
    # they view) unless map_tile_proxy is on: then this server fetches and caches them in
    # data_dir/tiles and browsers contact no third party (docs/maps.md).
    map_tile_url: str = Field(default=OSM_TILE_URL, max_length=2000)
    map_tile_attribution: str = Field(default=OSM_ATTRIBUTION, max_length=2000)
    map_tile_proxy: bool = False
    # How long a proxied tile is served from the cache before it is fetched again (OSM's tile
    # usage policy asks for at least 7 days), and how long one fetch may take.
    map_tile_cache_s: int = Field(default=7 * 24 * 3600, ge=0)
    map_tile_fetch_timeout_s: float = Field(default=10.0, gt=0, le=60)
    # The route planner's engine: "embedded" (the graph `bikenode maps import` builds in the
    # data folder) or "valhalla" (a Valhalla server's HTTP API at routing_url; docs/maps.md).
    routing_engine: Literal["embedded", "valhalla"] = "embedded"
    routing_url: str = Field(default="", max_length=2000)
    routing_timeout_s: float = Field(default=10.0, gt=0, le=60)
    # Rate limits ("N/second|minute|hour|day"), per user (by tier) or per IP when anonymous.
    rate_limit_enabled: bool = True
    rate_limit_anonymous: str = "60/minute"
    rate_limit_standard: str = "100/minute"
    rate_limit_premium: str = "1000/minute"
    # Stricter limits on top, per caller: sign-in (and its MFA step), registration (per IP),
    # password change, upload creation.
    rate_limit_login: str = "20/minute"
    rate_limit_register: str = "10/minute"
    rate_limit_password_change: str = "5/minute"  # noqa: S105 (a rate, not a password)
    rate_limit_upload: str = "30/minute"
    # Password reset, per IP: asking for a link, and using one.
    rate_limit_password_reset: str = "5/hour"  # noqa: S105 (a rate, not a password)
    rate_limit_password_reset_confirm: str = "10/hour"  # noqa: S105 (a rate, not a password)
    # Outgoing e-mail (password-reset links). No host: each message is written as an .eml file
    # to data_dir/outbox for the operator (or use `bikenode user reset-link EMAIL`).
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "BikeNode <bikenode@localhost>"
    smtp_starttls: bool = True
    # Where users reach the web app, for links in e-mails. Never taken from the request's Host
    # header: a forged Host would send reset links (with their token) to another site.
    public_url: str = "http://127.0.0.1:8000"
    # Origins allowed to call the API from a browser, comma-separated (empty: same origin only).
    # Also the origins (beside this server's own) whose pages may open its WebSockets.
    cors_allow_origins: str = ""
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed, comma-separated
    # addresses or networks ("127.0.0.1", "10.0.0.0/8"). Empty: no one's, so no client can
    # pick the address its rate limits are counted under by sending the header itself.
    trusted_proxies: str = ""
    # Slow clients: a request's headers must arrive within request_header_timeout_s of its
    # first byte (or of the connection opening), and a body may pause at most
    # request_body_timeout_s between two chunks (408 past it). Idle keep-alive: keep_alive_s.
    request_header_timeout_s: float = Field(default=10.0, gt=0)
    request_body_timeout_s: float = Field(default=30.0, gt=0)
    keep_alive_s: int = Field(default=5, ge=1)
    # Rate limits counted in Redis while Redis cannot be reached: "open" lets requests through
    # uncounted (logged), "closed" answers 503 with Retry-After. Never a 500.
    rate_limit_redis_down: Literal["open", "closed"] = "open"
    # Open WebSockets (live riding and watching, group rides, route rooms) per signed-in user
    # on one node; the next one is closed with 4029.
    max_sockets_per_user: int = Field(default=20, ge=1)
    # Live tracking: messages kept per channel for reconnecting clients, and input limits.
    live_history_size: int = Field(default=10_000, ge=10)
    live_max_frame_bytes: int = Field(default=64 * 1024, ge=1024)
    live_max_points_per_batch: int = Field(default=100, ge=1)
    live_batches_per_s: float = Field(default=5.0, gt=0)
    live_batch_burst: int = Field(default=30, ge=1)
    live_viewer_queue: int = Field(default=256, ge=1)
    live_broker_retry_s: float = Field(default=15.0, gt=0)
    live_fast_path: bool = True  # serve live viewers straight from the socket (not via ASGI)
    # Route planning rooms (y-websocket): per-connection limits, document size, log compaction.
    planner_max_frame_bytes: int = Field(default=1024 * 1024, ge=1024)
    planner_max_document_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    planner_messages_per_s: float = Field(default=100.0, gt=0)
    planner_message_burst: int = Field(default=500, ge=1)
    planner_compact_after_rows: int = Field(default=200, ge=2)
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("map_tile_url")
    @classmethod
    def _tile_url_is_http(cls, value: str) -> str:
        """An http(s) XYZ template or empty: anything else would break the maps and the CSP."""
        if value and not (value.startswith(("https://", "http://")) and "{z}" in value):
            raise ValueError(
                f"expected an http(s) tile URL with {{z}}, {{x}}, {{y}} or empty, got {value!r}"
            )
        return value

    @property
    def browser_map_tile_url(self) -> str:
        """The tile URL the web app uses: this server's tile cache, the provider's, or none."""
        if not self.map_tile_url:
            return ""
        return MAP_TILE_PROXY_PATH if self.map_tile_proxy else self.map_tile_url

    @cached_property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one or SQLite inside data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bikenode.sqlite3').resolve()}"

    @property
    def effective_db_pool_size(self) -> int:
        """Connections per process: as configured, or the requests and uploads in flight plus
        a headroom."""
        if self.db_pool_size:
            return self.db_pool_size
        return self.max_requests_in_flight + self.max_uploads_in_flight + DB_POOL_HEADROOM

    @cached_property
    def effective_secret_key(self) -> str:
        """The token-signing secret: configured, or created once in data_dir and reused."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_FILE_NAME
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: link fails if another process (a second
        # worker) got there first, and then everyone uses the first key, never half of one.
        draft = self.data_dir / f".{SECRET_FILE_NAME}.{secrets.token_hex(8)}"
        draft.touch(mode=0o600)
        draft.write_text(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (from flags or tests) on top."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
