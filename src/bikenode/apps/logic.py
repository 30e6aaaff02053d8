"""Pure rules of third-party access: scopes, which scope a route needs, redirect URIs."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from bikenode.errors import InvalidInput

# Scope -> the plain words the consent page shows.
SCOPES: dict[str, str] = {
    "profile:read": "See your profile (name, units, public details)",
    "rides:read": "See your public rides (never your private ones)",
    "rides:read_all": "See all your rides, private ones included",
    "rides:write": "Upload, edit and delete your rides",
    "live:read": "See your live sessions",
    "webhooks:manage": "Create and remove webhooks on your account",
    "fitness:read": "See your fitness figures (load, power curves)",
    "health:read": "See your health data (heart rate variability, sleep, weight)",
}
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# (route path prefix, methods, scope): the longest matching prefix wins. A route no row
# matches refuses every app token (account routes: password, sessions, erasure, MFA, apps).
SCOPE_TABLE: tuple[tuple[str, frozenset[str], str], ...] = (
    ("/api/v1/me", frozenset({"GET"}), "profile:read"),
    ("/api/v1/users/{user_id}", frozenset({"GET"}), "profile:read"),
    ("/api/v1/rides", READS, "rides:read"),
    ("/api/v1/rides", WRITES, "rides:write"),
    ("/api/v1/uploads", WRITES, "rides:write"),
    # These read the rider's private rides too (totals, records, the feed, uploads' ride
    # names) and do not yet filter them for an app: they need the scope that allows them.
    ("/api/v1/rides/stats", READS, "rides:read_all"),
    ("/api/v1/rides/records", READS, "rides:read_all"),
    ("/api/v1/rides/sports", READS, "rides:read_all"),
    ("/api/v1/uploads", READS, "rides:read_all"),
    ("/api/v1/feed", READS, "rides:read_all"),
    ("/api/v1/users/{user_id}/rides", frozenset({"GET"}), "rides:read_all"),
    ("/api/v1/live", READS, "live:read"),
    ("/api/v1/webhooks", READS | WRITES, "webhooks:manage"),
    ("/api/v1/fitness", READS, "fitness:read"),
    ("/api/v1/health", READS, "health:read"),
)
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2048


def required_scope(method: str, route_path: str) -> str | None:
    """The scope an app token needs for this route template, or None: never for apps."""
    best: tuple[int, str] | None = None
    for prefix, methods, scope in SCOPE_TABLE:
        matches = route_path == prefix or route_path.startswith(prefix + "/")
        if matches and method in methods and (best is None or len(prefix) > best[0]):
            best = (len(prefix), scope)
    if best is None:
        return None
    # The profile rows cover only the exact path; deeper routes under /me are the account's.
    prefix_len = best[0]
    if best[1] == "profile:read" and len(route_path) != prefix_len:
        return None
    return best[1]


def parse_scope(scope: str | None) -> list[str]:
    """The scopes of a space-separated string, in table order; InvalidInput for unknown ones."""
    asked = set((scope or "").split())
    unknown = sorted(asked - SCOPES.keys())
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}; expected some of {sorted(SCOPES)}")
    if not asked:
        raise InvalidInput("expected at least one scope")
    return [name for name in SCOPES if name in asked]


def check_redirect_uri(uri: str) -> str:
    """The URI if an app may register it: https, or http on loopback (RFC 8252); no fragment."""
    if len(uri) > MAX_URI_LENGTH:
        raise InvalidInput(f"a redirect URI has at most {MAX_URI_LENGTH} characters")
    try:
        parts = urlsplit(uri)
        hostname, _ = parts.hostname, parts.port  # port: ValueError when out of range
    except ValueError:
        raise InvalidInput(f"expected an absolute redirect URI, got {uri!r}") from None
    if parts.fragment or not hostname:
        raise InvalidInput(f"expected an absolute redirect URI without a fragment, got {uri!r}")
    loopback = hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme == "https" or (parts.scheme == "http" and loopback):
        return uri
    raise InvalidInput(f"expected https or http://127.0.0.1 / localhost, got {uri!r}")


def new_secret(prefix: str) -> str:
    """A fresh 256-bit secret, its kind readable from its prefix (bna_, bnr_, bnp_...)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The stored form of a secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def is_app_token(token: str) -> bool:
    """True for tokens this domain issues (app access tokens and personal tokens)."""
    return token.startswith((ACCESS_PREFIX, PERSONAL_PREFIX))


ACCESS_PREFIX, REFRESH_PREFIX, PERSONAL_PREFIX = "bna_", "bnr_", "bnp_"
CLIENT_PREFIX, CLIENT_SECRET_PREFIX = "bnc_", "bns_"
