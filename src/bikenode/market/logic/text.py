"""Free text people send each other (messages, quotes, reviews): kept as text, cleaned.

Pages insert it as text, never as HTML, so markup is harmless and kept as typed; what is
removed are control characters (but newline and tab) and the bidirectional overrides that
can make a message read differently from what it holds ("Trojan Source").
"""

from __future__ import annotations

import re

_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """The text without control characters or bidi overrides, trimmed."""
    return _UNWANTED.sub("", text).strip()
