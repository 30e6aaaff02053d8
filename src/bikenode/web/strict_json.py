"""JSON request bodies parsed strictly: NaN, Infinity and overflowing numbers are refused."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

MAX_JSON_BODY_BYTES = 1024 * 1024


class NonFiniteNumber(ValueError):
    """A JSON body the API refuses though it parses: a non-finite number, unstorable text."""


def _refuse_constant(name: str) -> float:
    raise NonFiniteNumber(f"expected a finite number, got {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(f"expected a finite number, got {text[:40]} (out of range)")
    return value


def loads_strict(body: bytes) -> Any:
    """Parse JSON, refusing NaN, Infinity, numbers that overflow to infinity, and text no
    database can store (a NUL character, half of a surrogate pair)."""
    value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    # In an ASCII body (zero bytes aside: UTF-16 and -32 bodies have them) both can only come
    # as \u escapes, and a raw NUL is refused by the parser; so only other bodies are walked.
    if b"\\u" in body or b"\x00" in body or not body.isascii():
        _check_text(value)
    return value


def _check_text(value: Any) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise NonFiniteNumber("expected text without NUL characters (U+0000)")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise NonFiniteNumber("expected valid Unicode text (a lone surrogate)") from None


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) > MAX_JSON_BODY_BYTES:
                raise json.JSONDecodeError(
                    f"expected at most {MAX_JSON_BODY_BYTES} bytes of JSON, got {len(body)}", "", 0
                )
            try:
                self._json = loads_strict(body)
            except NonFiniteNumber as error:
                # FastAPI turns a JSONDecodeError (only) into a 422 validation answer.
                raise json.JSONDecodeError(str(error), "", 0) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """An APIRoute whose handlers see StrictJSONRequest bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
