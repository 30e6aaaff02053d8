"""Request body limits enforced while the body streams in, before anything is parsed."""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimitMiddleware:
    """Refuse bodies over a limit: 1 MiB by default, more under the given path prefixes.

    A declared Content-Length over the limit is refused at once; a body without one is
    counted as it arrives and cut off when it passes the limit. A body that pauses longer
    than body_timeout_s between two chunks (a slow-loris client) is cut off with 408.
    """

    def __init__(
        self, app: ASGIApp, *, large_prefixes: dict[str, int], body_timeout_s: float = 30.0
    ) -> None:
        self.app = app
        self.large_prefixes = large_prefixes
        self.body_timeout_s = body_timeout_s

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
        complete = False

        async def counting_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body, receive() only waits for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except TimeoutError:
                raise HTTPException(
                    408,
                    f"expected the request body to keep arriving; nothing came for "
                    f"{self.body_timeout_s:g} s after {received} bytes",
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
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
