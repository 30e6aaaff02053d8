"""Credentials in query strings never reach a log line: the scrubbing rules and the filter."""

from __future__ import annotations

import logging
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.logs import REDACTED, JSONFormatter, SecretQueryFilter, scrub_query

URL_SAFE = string.ascii_letters + string.digits + "-_.~"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '127.0.0.1:5 - "WebSocket /api/v1/route-rooms/r1?token=eyJ.a-b" [accepted]',
            f'127.0.0.1:5 - "WebSocket /api/v1/route-rooms/r1?token={REDACTED}" [accepted]',
        ),
        ("/api/v1/route-rooms/r1?ticket=T1", f"/api/v1/route-rooms/r1?ticket={REDACTED}"),
        ("/live/s1?share=S1&zoom=3", f"/live/s1?share={REDACTED}&zoom=3"),
        ("/x?a=1&ACCESS_TOKEN=A1&b=2", f"/x?a=1&ACCESS_TOKEN={REDACTED}&b=2"),
        ("/x?%74oken=ENCODED", f"/x?%74oken={REDACTED}"),  # read as "token" by the server
        ("/x?token=T1&token=T2", f"/x?token={REDACTED}&token={REDACTED}"),
        ("/api/v1/rides?limit=20&cursor=abc", "/api/v1/rides?limit=20&cursor=abc"),
        ("what? nothing secret here", "what? nothing secret here"),
        ("/x?tokens=kept&retoken=kept", "/x?tokens=kept&retoken=kept"),
    ],
)
def test_scrub_query_hides_only_secret_parameters(line: str, expected: str) -> None:
    assert scrub_query(line) == expected


@given(
    secret=st.text(alphabet=URL_SAFE, min_size=12, max_size=200),
    name=st.sampled_from(["token", "ticket", "share", "Token", "refresh_token"]),
    before=st.text(alphabet=URL_SAFE, max_size=10),
    after=st.text(alphabet=URL_SAFE, max_size=10),
)
def test_no_secret_survives_scrubbing(secret: str, name: str, before: str, after: str) -> None:
    line = f'"GET /p/{before}?a={before}&{name}={secret}&z={after} HTTP/1.1" 200'
    scrubbed = scrub_query(line)
    assert f"{name}={REDACTED}" in scrubbed
    assert scrubbed.replace(f"{name}={REDACTED}", "") == line.replace(f"{name}={secret}", "")


def _record(name: str, msg: str, args: tuple[object, ...]) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_the_filter_scrubs_uvicorn_websocket_and_access_lines() -> None:
    scrubber = SecretQueryFilter()
    socket_line = _record(
        "uvicorn.error",
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:40000", "/api/v1/route-rooms/r1?token=SECRET-TOKEN"),
    )
    access_line = _record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:40000", "GET", "/live/s1?share=SECRET-SHARE", "1.1", 200),
    )
    assert scrubber.filter(socket_line) and scrubber.filter(access_line)
    assert socket_line.getMessage() == (
        f'127.0.0.1:40000 - "WebSocket /api/v1/route-rooms/r1?token={REDACTED}" [accepted]'
    )
    # The arguments keep their shape: uvicorn's own access formatter unpacks all five.
    assert access_line.args == ("127.0.0.1:40000", "GET", f"/live/s1?share={REDACTED}", "1.1", 200)


def test_the_filter_scrubs_messages_and_extra_fields_before_json_formatting() -> None:
    record = _record("bikenode.access", "GET /x?ticket=SECRET-TICKET", ())
    record.path = "/x?token=SECRET-TOKEN"
    SecretQueryFilter().filter(record)
    line = JSONFormatter().format(record)
    assert "SECRET" not in line
    assert f"GET /x?ticket={REDACTED}" in line
