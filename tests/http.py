"""A tiny JSON-over-HTTP client for tests that drive a real `bikenode serve` process.

It behaves like a polite client: on 429 it waits as Retry-After says and tries again, so a
test that polls is not failed by the rate limits a real server enforces.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

MAX_RATE_LIMIT_WAITS = 20


def call_json(
    base: str,
    path: str,
    *,
    body: Any = None,
    data: bytes | None = None,
    content_type: str = "application/json",
    token: str | None = None,
    timeout_s: float = 60,
) -> Any:
    """POST (with a body) or GET a path and return the decoded JSON answer."""
    payload = json.dumps(body).encode() if body is not None else data
    for _ in range(MAX_RATE_LIMIT_WAITS):
        request = urllib.request.Request(
            base + path, data=payload, method="POST" if payload is not None else "GET"
        )
        request.add_header("Content-Type", content_type)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(float(error.headers.get("Retry-After") or 1))
            error.close()
    raise RuntimeError(f"still rate-limited after {MAX_RATE_LIMIT_WAITS} waits: {path}")


def post_json(
    base: str, path: str, body: Any, *, token: str | None = None, timeout_s: float = 60
) -> tuple[int, dict[str, str], Any]:
    """POST a JSON body once; the status, headers (lower-case names) and decoded answer."""
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, _lower(response.headers.items()), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, _lower(error.headers.items()), json.loads(error.read() or b"null")


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}
