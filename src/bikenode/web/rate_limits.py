"""Rate limits by tier with the `limits` library, in memory or in Redis (shared by all nodes).

Every /api/ request counts against one general limit: per user for a signed-in caller (the
tier's, or an admin's override), per IP address for anonymous ones. Sign-in, registration,
password change, password reset and upload also count against a stricter limit of their own.
Answers carry RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and RateLimit-Policy
(IETF httpapi draft), and a refused request gets 429 with Retry-After.

If the Redis that holds the counts cannot be reached, BIKENODE_RATE_LIMIT_REDIS_DOWN decides:
"open" serves the request uncounted (and logs it), "closed" answers 503 with Retry-After.
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import anyio.to_thread
from limits import RateLimitItem, WindowStats, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bikenode.accounts import TokenError, TokenSettings, verify_access_token
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.web.problems import problem_response

log = logging.getLogger("bikenode.web")

PLAN_CACHE_S = 30.0  # an admin's override reaches every node within this long
STORE_DOWN_RETRY_S = 5  # Retry-After while the rate-limit store is unreachable (fail closed)
STORE_DOWN_LOG_S = 30.0  # at most one warning per this long while the store is down
REDIS_TIMEOUT_S = 0.5  # a Redis that does not answer within this long counts as down


@dataclass(frozen=True)
class StrictRule:
    """A stricter limit for some routes, counted per caller (user, else IP)."""

    name: str
    methods: frozenset[str]
    path: re.Pattern[str]
    limit: RateLimitItem


@dataclass(frozen=True)
class RatePolicy:
    """The limits in force, parsed from settings."""

    anonymous: RateLimitItem
    tiers: dict[str, RateLimitItem]
    strict: tuple[StrictRule, ...]


def build_policy(settings: Settings) -> RatePolicy:
    """The rate policy from settings ("100/minute" style strings)."""
    post = frozenset({"POST"})
    strict = (
        StrictRule(
            "login",
            post,
            re.compile(r"^/api/v1/auth/(web/)?login(/mfa)?$"),
            parse(settings.rate_limit_login),
        ),
        StrictRule(
            "register",
            post,
            re.compile(r"^/api/v1/auth/register$"),
            parse(settings.rate_limit_register),
        ),
        StrictRule(
            "password",
            post,
            re.compile(r"^/api/v1/me/password$"),
            parse(settings.rate_limit_password_change),
        ),
        StrictRule(
            "password reset",
            post,
            re.compile(r"^/api/v1/auth/password-reset$"),
            parse(settings.rate_limit_password_reset),
        ),
        StrictRule(
            "password reset confirmation",
            post,
            re.compile(r"^/api/v1/auth/password-reset/confirm$"),
            parse(settings.rate_limit_password_reset_confirm),
        ),
        StrictRule(
            "upload",
            post,
            re.compile(r"^/api/v1/uploads(/tus)?$"),
            parse(settings.rate_limit_upload),
        ),
    )
    return RatePolicy(
        anonymous=parse(settings.rate_limit_anonymous),
        tiers={
            "standard": parse(settings.rate_limit_standard),
            "premium": parse(settings.rate_limit_premium),
        },
        strict=strict,
    )


def general_limit(
    policy: RatePolicy, *, tier: str | None, override_per_minute: int | None
) -> RateLimitItem:
    """The general limit of a caller: an override, else the tier's, else the anonymous one."""
    if override_per_minute is not None:
        return parse(f"{override_per_minute}/minute")
    if tier is None:
        return policy.anonymous
    return policy.tiers.get(tier, policy.tiers["standard"])


def strict_rules_for(policy: RatePolicy, method: str, path: str) -> list[StrictRule]:
    """The stricter rules that a request to this route also counts against."""
    return [r for r in policy.strict if method in r.methods and r.path.match(path)]


def make_storage(redis_url: str) -> Storage:
    """Redis storage when a URL is set (limits shared by all nodes), else in-process memory."""
    if redis_url:
        # Errors come as limits' StorageError; a Redis that hangs fails as fast as one that
        # refuses connections.
        storage = storage_from_string(
            redis_url,
            wrap_exceptions=True,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
        )
        return cast(Storage, storage)
    return MemoryStorage()


PlanLookup = Callable[[uuid.UUID], tuple[str, int | None]]


class RateLimitMiddleware:
    """Pure ASGI middleware counting /api/ requests against the caller's limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: RatePolicy,
        storage: Storage,
        tokens: TokenSettings,
        plan_lookup: PlanLookup,
        fail_open: bool = True,
    ) -> None:
        self.app = app
        self.policy = policy
        self.limiter = MovingWindowRateLimiter(storage)
        self.tokens = tokens
        self.plan_lookup = plan_lookup
        self.fail_open = fail_open
        self._plans: dict[uuid.UUID, tuple[float, str, int | None]] = {}
        self._store_down_logged_at = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        user_id = self._user_id(scope)
        caller = f"user:{user_id}" if user_id else f"ip:{_client_ip(scope)}"
        tier, override = await self._plan(user_id) if user_id else (None, None)
        checks = [("all", general_limit(self.policy, tier=tier, override_per_minute=override))]
        checks += [
            (r.name, r.limit) for r in strict_rules_for(self.policy, scope["method"], scope["path"])
        ]
        try:
            refused, shown = await self._count_all(checks, caller)
        except StorageError as error:
            await self._store_down(scope, receive, send, error)
            return
        if refused is not None and shown is not None:
            await self._refuse(scope, receive, send, refused, shown)
            return
        headers = _headers(*shown) if shown else []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _count_all(
        self, checks: list[tuple[str, RateLimitItem]], caller: str
    ) -> tuple[str | None, tuple[RateLimitItem, int, float] | None]:
        """The first limit that refuses (if any), and the tightest limit to show."""
        shown: tuple[RateLimitItem, int, float] | None = None
        for name, item in checks:
            allowed, stats = await self._count(item, name, caller)
            if shown is None or stats.remaining < shown[1] or not allowed:
                shown = (item, stats.remaining, stats.reset_time)
            if not allowed:
                return name, shown
        return None, shown

    async def _count(self, item: RateLimitItem, name: str, caller: str) -> tuple[bool, WindowStats]:
        if isinstance(self.limiter.storage, MemoryStorage):  # microseconds: no thread needed
            return self._count_now(item, name, caller)
        # Redis is a network round trip on a blocking client: keep it off the event loop.
        return await anyio.to_thread.run_sync(self._count_now, item, name, caller)

    def _count_now(self, item: RateLimitItem, name: str, caller: str) -> tuple[bool, WindowStats]:
        allowed = self.limiter.hit(item, name, caller)
        return allowed, self.limiter.get_window_stats(item, name, caller)

    def _user_id(self, scope: Scope) -> uuid.UUID | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer" or not token:
                    return None
                try:
                    return verify_access_token(self.tokens, token.strip(), now=utcnow()).user_id
                except TokenError:
                    return None  # counted as anonymous; the route answers 401 itself
        return None

    async def _plan(self, user_id: uuid.UUID) -> tuple[str, int | None]:
        cached = self._plans.get(user_id)
        if cached and time.monotonic() - cached[0] < PLAN_CACHE_S:
            return cached[1], cached[2]
        tier, override = await anyio.to_thread.run_sync(self.plan_lookup, user_id)
        if len(self._plans) > 100_000:  # bounded memory under many users
            self._plans.clear()
        self._plans[user_id] = (time.monotonic(), tier, override)
        return tier, override

    async def _store_down(
        self, scope: Scope, receive: Receive, send: Send, error: StorageError
    ) -> None:
        """The counts cannot be read: serve uncounted (fail open) or answer 503 (closed)."""
        now = time.monotonic()
        if now - self._store_down_logged_at > STORE_DOWN_LOG_S:
            self._store_down_logged_at = now
            log.warning(
                "rate-limit store unreachable; requests are %s",
                "served uncounted" if self.fail_open else "refused with 503",
                extra={"error": f"{type(error.storage_error).__name__}: {error.storage_error}"},
            )
        if self.fail_open:
            await self.app(scope, receive, send)
            return
        detail = (
            "expected to check this request's rate limit, but the rate-limit store cannot be "
            f"reached; try again in {STORE_DOWN_RETRY_S} s"
        )
        headers = {"Retry-After": str(STORE_DOWN_RETRY_S)}
        response = problem_response(503, detail, title="Service unavailable", headers=headers)
        await response(scope, receive, send)

    def forget_plan(self, user_id: uuid.UUID) -> None:
        """Drop a cached plan (after an admin changed it on this node)."""
        self._plans.pop(user_id, None)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        name: str,
        shown: tuple[RateLimitItem, int, float],
    ) -> None:
        item, _remaining, reset_time = shown
        retry_after_s = max(1, math.ceil(reset_time - time.time()))
        what = "requests" if name == "all" else f"{name} requests"
        detail = (
            f"too many {what}: at most {item.amount} per {item.get_expiry()} s; "
            f"try again in {retry_after_s} s"
        )
        headers = {k.decode(): v.decode() for k, v in _headers(*shown)}
        headers["Retry-After"] = str(retry_after_s)
        response = problem_response(429, detail, title="Too many requests", headers=headers)
        await response(scope, receive, send)


def _headers(item: RateLimitItem, remaining: int, reset_time: float) -> list[tuple[bytes, bytes]]:
    reset_s = max(0, math.ceil(reset_time - time.time()))
    return [
        (b"ratelimit-limit", str(item.amount).encode()),
        (b"ratelimit-remaining", str(max(0, remaining)).encode()),
        (b"ratelimit-reset", str(reset_s).encode()),
        (b"ratelimit-policy", f"{item.amount};w={item.get_expiry()}".encode()),
    ]


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
