"""Security headers on every response: CSP, framing, sniffing, referrer, HSTS behind TLS."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bikenode.config import Settings

# API answers are data, never documents: nothing may load, run or frame them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# /docs is Swagger UI from this origin (vendored); it sets styles inline on elements, so
# styles may be inline, scripts never. It may not be framed either.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_PATHS = ("/docs",)
HSTS = "max-age=31536000; includeSubDomains"
BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), payment=(), usb=()",
}


def security_headers(path: str, *, tls: bool) -> dict[str, str]:
    """The headers a response to `path` gets unless the route set its own."""
    headers = dict(BASE_HEADERS)
    headers["content-security-policy"] = DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP
    if tls:  # HSTS over plain HTTP is ignored by browsers and would mislead a reader
        headers["strict-transport-security"] = HSTS
    if path.startswith("/api/"):
        # API answers carry personal data (profile, streams, exports, tokens): no browser or
        # shared cache may keep them. A route that may be cached sets its own Cache-Control.
        headers["cache-control"] = "no-store"
    return headers


class SecurityHeadersMiddleware:
    """Adds security_headers() to every HTTP response, keeping any the route set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"], tls=scope.get("scheme") == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [
                    (k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_middleware(app: FastAPI, settings: Settings) -> None:
    """Add rate limits, the CORS allow-list and security headers (in that order, inside out)."""
    from bikenode.accounts import get_rate_plan
    from bikenode.web.rate_limits import RateLimitMiddleware, build_policy, make_storage

    session_factory = app.state.read_session_factory

    def plan_lookup(user_id: uuid.UUID) -> tuple[str, int | None]:
        with session_factory() as session:
            plan = get_rate_plan(session, user_id)
        return plan.tier, plan.requests_per_minute

    if settings.rate_limit_enabled:
        app.add_middleware(
            RateLimitMiddleware,
            policy=build_policy(settings),
            storage=make_storage(settings.redis_url),
            tokens=app.state.accounts.tokens,
            plan_lookup=plan_lookup,
            fail_open=settings.rate_limit_redis_down == "open",
        )
    origins = [o.strip() for o in settings.cors_allow_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            # No X-Requested-With: the cookie-based web session stays same-origin only.
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Upload-Length",
                "Upload-Offset",
                "Upload-Metadata",
                "Tus-Resumable",
            ],
            expose_headers=[
                "Location",
                "Retry-After",
                "X-Request-ID",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
                "Upload-Offset",
                "Upload-Length",
                "Tus-Resumable",
            ],
            allow_credentials=False,  # bearer tokens only; never cookies across origins
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
