"""JSON request bodies parsed strictly: NaN, Infinity and overflowing numbers are refused."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
from fastapi import Request, Response
from fastapi.routing import APIRoute

MAX_JSON_BODY_BYTES = 1024 * 1024
# No request body of the API nests deeper than a few levels; deeper ones are refused before
# parsing (the parser recurses, and a 1 MiB body can nest half a million levels).
MAX_JSON_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


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
    database can store (a NUL character, half of a surrogate pair), and nesting deeper than
    MAX_JSON_DEPTH."""
    # The depth is at most the number of opening brackets: counting them is cheap.
    openings = body.count(b"[") + body.count(b"{")
    if openings > MAX_JSON_DEPTH and (depth := json_depth(body)) > MAX_JSON_DEPTH:
        raise NonFiniteNumber(f"expected JSON nested at most {MAX_JSON_DEPTH} deep, got {depth}")
    value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    # In an ASCII body (zero bytes aside: UTF-16 and -32 bodies have them) both can only come
    # as \u escapes, and a raw NUL is refused by the parser; so only other bodies are walked.
    if b"\\u" in body or b"\x00" in body or not body.isascii():
        _check_text(value)
    return value


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings aside)."""
    if b"\\" in body:  # escaped quotes: take the strings out first (slower, rarely needed)
        body = _STRING.sub(b"", body)
        outside: Any = True
    else:  # every quote opens or closes a string
        codes = np.frombuffer(body, dtype=np.uint8)
        outside = np.cumsum(codes == ord('"')) % 2 == 0
    codes = np.frombuffer(body, dtype=np.uint8)
    steps = np.zeros(codes.shape, dtype=np.int64)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(steps * outside).max(initial=0))


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
