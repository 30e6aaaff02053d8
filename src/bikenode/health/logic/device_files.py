"""Telling a device's FIT file from a CSV file, and how large one may be.

A FIT file says so in its header: bytes 8 to 11 are ".FIT" (12- and 14-byte headers alike).
A day's monitoring file is a few kilobytes and a month of a watch's wellness data a few
hundred: 1 MB, the CSV import's limit, holds them (a request body is capped at 1 MiB anyway,
web/limits.py; only ride uploads get more).
"""

from __future__ import annotations

__all__ = ["MAX_FIT_BYTES", "is_fit"]

MAX_FIT_BYTES = 1_000_000


def is_fit(data: bytes) -> bool:
    """Whether the bytes start with a FIT file header."""
    return len(data) >= 12 and data[8:12] == b".FIT"
