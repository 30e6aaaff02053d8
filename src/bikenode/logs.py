"""Structured JSON logs, each line carrying the request id of the request that wrote it."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from urllib.parse import unquote_plus

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Query parameters that carry a credential: a route room's `token` or `ticket`, a live share
# link's `share`, and the usual OAuth and signing names. Their values never reach a log line.
SECRET_QUERY_PARAMS = frozenset(
    {
        "token",
        "ticket",
        "share",
        "access_token",
        "refresh_token",
        "id_token",
        "mfa_token",
        "code",
        "password",
        "secret",
        "key",
        "api_key",
        "apikey",
        "signature",
        "sig",
    }
)
REDACTED = "[redacted]"
# A query string inside a log message or argument: from "?" up to a space or a quote (uvicorn
# quotes the request target). Records are scrubbed before formatting, so no JSON escapes yet.
_QUERY = re.compile(r"\?([^\s\"'<>]*)")

# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as a field.
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _scrub_pairs(match: re.Match[str]) -> str:
    pairs = []
    for pair in match.group(1).split("&"):
        name, equals, _value = pair.partition("=")
        # Starlette decodes names ("%74oken" is read as "token"), so compare decoded names.
        secret = bool(equals) and unquote_plus(name).strip().lower() in SECRET_QUERY_PARAMS
        pairs.append(f"{name}={REDACTED}" if secret else pair)
    return "?" + "&".join(pairs)


def scrub_query(text: str) -> str:
    """The text with the value of every secret-bearing query parameter replaced by a marker."""
    return _QUERY.sub(_scrub_pairs, text) if "?" in text else text


def _scrubbed(value: object) -> object:
    return scrub_query(value) if isinstance(value, str) else value


class SecretQueryFilter(logging.Filter):
    """Scrubs credentials from query strings in every record it sees (message, arguments,
    extra fields), so that uvicorn's `"WebSocket /path?token=..." [accepted]` lines and access
    lines keep the request but not the secret. Installed on the log handler, it sees the
    records of every logger, uvicorn's included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrubbed(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _scrubbed(arg) for key, arg in record.args.items()}
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, scrub_query(value))
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Send all logs to stderr, as JSON lines unless told otherwise, secrets scrubbed from
    every query string they quote."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SecretQueryFilter())
    handler.setFormatter(
        JSONFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our middleware writes one access line per request with the request id and route.
    logging.getLogger("uvicorn.access").disabled = True
