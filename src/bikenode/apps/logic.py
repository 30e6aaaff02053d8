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
    "rides:write": "Upload, edit and delete your rides, comments and kudos",
    "live:read": "See your live sessions",
    "live:write": "Start, end and share your live sessions and group rides",
    "webhooks:manage": "Create and remove webhooks on your account",
    "fitness:read": "See your fitness figures (load, power curves)",
    "fitness:write": "Change your fitness settings (thresholds, a ride's training stress)",
    "health:read": "See your health data (heart rate variability, sleep, weight)",
    "health:write": "Add and delete your health data",
    "social:read": "See who you follow, who follows you, your clubs and their posts",
    "social:write": "Follow and unfollow riders, post and answer in your clubs",
    "segments:read": "See segments and their leaderboards",
    "segments:write": "Create and delete your segments",
    "bikes:read": "See your bikes, their parts, sensors and maintenance due",
    "bikes:write": "Add and change your bikes, parts and maintenance",
    "market:read": "See your repair jobs, quotes and mechanics",
    "market:write": "Post repair jobs, quote, message and review (never pay)",
    "notifications:read": "See your notifications",
    "notifications:write": "Mark your notifications read and choose which ones you get",
    "routes:read": "See your planned routes and export them",
    "routes:write": "Plan, change, share and delete your routes",
    "sync": "Sync your whole account both ways, private rides included, as BikeNode's app does",
}
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL = READS | WRITES
Row = tuple[str, frozenset[str], str]
# (route path prefix, methods, scope): the longest matching prefix wins. A route no row
# matches, or one under NEVER_FOR_APPS, refuses every app token.
SCOPE_TABLE: tuple[Row, ...] = (
    ("/api/v1/me", frozenset({"GET"}), "profile:read"),
    ("/api/v1/users/{user_id}", frozenset({"GET"}), "profile:read"),
    ("/api/v1/rides", READS, "rides:read"),
    ("/api/v1/rides", WRITES, "rides:write"),
    ("/api/v1/comments", WRITES, "rides:write"),
    ("/api/v1/uploads", WRITES, "rides:write"),
    # These read the rider's private rides too (totals, records, the feed, uploads' ride
    # names, efforts on segments) and do not yet filter them for an app: they need the scope
    # that allows them.
    ("/api/v1/rides/stats", READS, "rides:read_all"),
    ("/api/v1/rides/records", READS, "rides:read_all"),
    ("/api/v1/rides/sports", READS, "rides:read_all"),
    ("/api/v1/uploads", READS, "rides:read_all"),
    ("/api/v1/feed", READS, "rides:read_all"),
    ("/api/v1/users/{user_id}/rides", frozenset({"GET"}), "rides:read_all"),
    ("/api/v1/segments/efforts/mine", READS, "rides:read_all"),
    ("/api/v1/segments/{segment_id}/efforts/mine", READS, "rides:read_all"),
    ("/api/v1/heatmaps/me", READS, "rides:read_all"),  # drawn from every ride, private ones too
    ("/api/v1/live", READS, "live:read"),
    ("/api/v1/live", WRITES, "live:write"),
    ("/api/v1/webhooks", ALL, "webhooks:manage"),
    ("/api/v1/fitness", READS, "fitness:read"),
    ("/api/v1/fitness/forecast", frozenset({"POST"}), "fitness:read"),  # computes, stores nothing
    ("/api/v1/fitness", WRITES, "fitness:write"),
    ("/api/v1/health", READS, "health:read"),
    ("/api/v1/health", WRITES, "health:write"),
    ("/api/v1/users/{user_id}/followers", READS, "social:read"),
    ("/api/v1/users/{user_id}/following", READS, "social:read"),
    ("/api/v1/users/{user_id}/follow", WRITES, "social:write"),
    ("/api/v1/users/{user_id}/mute", WRITES, "social:write"),
    ("/api/v1/me/follow-requests", READS, "social:read"),
    ("/api/v1/me/follow-requests", WRITES, "social:write"),
    ("/api/v1/me/followers", WRITES, "social:write"),
    ("/api/v1/me/mutes", READS, "social:read"),
    ("/api/v1/me/social", READS, "social:read"),
    ("/api/v1/clubs", READS, "social:read"),
    ("/api/v1/clubs", WRITES, "social:write"),
    ("/api/v1/reports", WRITES, "social:write"),
    ("/api/v1/segments", READS, "segments:read"),
    ("/api/v1/segments", WRITES, "segments:write"),
    # Released counts only; ?club= answers the rider's own clubs only, as club boards do.
    ("/api/v1/heatmaps/community", READS, "segments:read"),
    ("/api/v1/heatmaps/settings", READS, "segments:read"),
    ("/api/v1/bikes", READS, "bikes:read"),
    ("/api/v1/bikes", WRITES, "bikes:write"),
    ("/api/v1/components", READS, "bikes:read"),
    ("/api/v1/components", WRITES, "bikes:write"),
    ("/api/v1/maintenance", READS, "bikes:read"),
    ("/api/v1/maintenance", WRITES, "bikes:write"),
    ("/api/v1/sensors", READS, "bikes:read"),
    ("/api/v1/market", READS, "market:read"),
    ("/api/v1/market", WRITES, "market:write"),
    ("/api/v1/notifications", READS, "notifications:read"),
    ("/api/v1/notifications", WRITES, "notifications:write"),
    ("/api/v1/routes", READS, "routes:read"),
    ("/api/v1/routes", WRITES, "routes:write"),
    ("/api/v1/maps", READS, "routes:read"),
    ("/api/v1/maps/directions", frozenset({"POST"}), "routes:read"),  # computes, stores nothing
    ("/api/v1/sync", ALL, "sync"),
)
# (prefix, methods, why): routes never open to an app, whatever it holds; they win over
# SCOPE_TABLE. Every /api/v1 route is in one of the two (tests/api/apps/test_scope_table.py).
NEVER_FOR_APPS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("/api/v1/auth", ALL, "signing in, out and password resets are the rider's own"),
    ("/api/v1/me", frozenset({"PATCH"}), "the account's profile and settings"),
    ("/api/v1/me/password", ALL, "the password"),
    ("/api/v1/me/email-verification", ALL, "proving the address: emergency contacts trust it"),
    ("/api/v1/me/erase", ALL, "erasing the account"),
    ("/api/v1/me/social", WRITES, "who may follow the rider is their own decision"),
    ("/api/v1/me/sessions", ALL, "sign-in sessions"),
    ("/api/v1/me/mfa", ALL, "two-factor sign-in"),
    ("/api/v1/me/tokens", ALL, "personal tokens: no token makes another"),
    ("/api/v1/me/grants", ALL, "the apps a rider allowed: no app widens or hides its grant"),
    ("/api/v1/me/export", ALL, "the whole account's export (GDPR) is the rider's own"),
    ("/api/v1/me/coaches", ALL, "coach grants: who reads the rider's data"),
    ("/api/v1/me/athletes", ALL, "a coach's athletes, shared with the coach in person"),
    ("/api/v1/me/blocks", ALL, "blocks are the rider's own safety decision"),
    ("/api/v1/me/moderation-actions", ALL, "moderation of the rider and appeals"),
    ("/api/v1/apps", ALL, "registering apps"),
    ("/api/v1/oauth", ALL, "the consent page: an app cannot approve itself"),
    ("/api/v1/privacy-zones", ALL, "privacy zones hide the rider's home: only they move them"),
    ("/api/v1/heatmaps/settings", WRITES, "joining the community heatmap is the rider's choice"),
    ("/api/v1/market/jobs/{job_id}/payments", ALL, "paying is the rider's own act"),
    ("/api/v1/moderation", ALL, "moderators' powers"),
    ("/api/v1/admin", ALL, "administrators' powers"),
    ("/api/v1/users/{user_id}/role", ALL, "administrators' powers"),
    ("/api/v1/users/{user_id}/rate-limit", ALL, "administrators' powers"),
    ("/api/v1/users/{user_id}/moderator", ALL, "administrators' powers"),
    ("/api/v1/notifications/unsubscribe", ALL, "a signed e-mail link, no bearer token"),
    ("/api/v1/live/sessions/{session_id}/ride", frozenset({"WS"}), "sockets: web tokens"),
    ("/api/v1/live/sessions/{session_id}/watch", frozenset({"WS"}), "sockets: web tokens"),
    ("/api/v1/live/groups/{group_id}/watch", frozenset({"WS"}), "sockets: web tokens"),
    ("/api/v1/route-rooms", frozenset({"WS"}), "sockets: a room ticket, not a bearer token"),
)
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2048


def _longest(rows: tuple[tuple[str, frozenset[str], str], ...], method: str, path: str) -> Row:
    """The row with the longest prefix of path for this method, or ("", ..., "") if none."""
    best: Row = ("", frozenset(), "")
    for prefix, methods, value in rows:
        matches = path == prefix or path.startswith(prefix + "/")
        if matches and method in methods and len(prefix) > len(best[0]):
            best = (prefix, methods, value)
    return best


def never_for_apps(method: str, route_path: str) -> str | None:
    """Why no app token may call this route, or None if NEVER_FOR_APPS does not list it."""
    return _longest(NEVER_FOR_APPS, method, route_path)[2] or None


def required_scope(method: str, route_path: str) -> str | None:
    """The scope an app token needs for this route template, or None: never for apps."""
    if never_for_apps(method, route_path) is not None:
        return None
    prefix, _, scope = _longest(SCOPE_TABLE, method, route_path)
    # The profile rows cover only the exact path; deeper routes under /me are the account's.
    if not scope or (scope == "profile:read" and route_path != prefix):
        return None
    return scope


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
