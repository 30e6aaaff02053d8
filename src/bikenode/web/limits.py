"""Request body limits enforced while the body streams in, before anything is parsed."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimitMiddleware:
    """Refuse bodies over a limit: 1 MiB by default, more under the given path prefixes.

    A declared Content-Length over the limit is refused at once; a body without one is
    counted as it arrives and cut off when it passes the limit.
    """

    def __init__(self, app: ASGIApp, *, large_prefixes: dict[str, int]) -> None:
        self.app = app
        self.large_prefixes = large_prefixes

    def _limit(self, path: str) -> int:
        for prefix, limit in self.large_prefixes.items():
            if path.startswith(prefix):
                return limit
        return DEFAULT_MAX_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, int(declared))
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"expected a body of at most {limit} bytes, got more")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, limit: int, got: int
    ) -> None:
        from bikenode.web.problems import problem_response

        detail = f"expected a body of at most {limit} bytes, got {got}"
        if limit > DEFAULT_MAX_BODY_BYTES:
            detail += "; a resumable tus upload has no request size limit"
        await problem_response(413, detail, title="Content too large")(scope, receive, send)
