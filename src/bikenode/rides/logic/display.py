"""Preparing streams for screens and pages: downsampling and cursor tokens."""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from bikenode.rides.formats.activity import FloatArray


class BadCursor(ValueError):
    """A pagination cursor that this server did not write."""


def display_indices(point_count: int, resolution: int | None) -> npt.NDArray[np.intp]:
    """Indices of about `resolution` evenly spread points, always with the first and last."""
    if resolution is None or resolution >= point_count or point_count <= 2:
        return np.arange(point_count)
    resolution = max(resolution, 2)
    return np.unique(np.linspace(0, point_count - 1, resolution).round().astype(np.intp))


def stream_to_json(values: FloatArray, decimals: int) -> list[float | None]:
    """A stream as JSON-ready numbers, rounded, with None where a value is missing."""
    rounded = np.round(values, decimals)
    return [None if math.isnan(v) else v for v in rounded.tolist()]


def encode_cursor(sort_value: Any, ride_id: str) -> str:
    """An opaque cursor for keyset pagination: the last row's sort value and id."""
    raw = json.dumps([sort_value, ride_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, str]:
    """The sort value and id a cursor holds; BadCursor if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, ride_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, TypeError):
        raise BadCursor("expected a cursor from a previous page, got something else") from None
    if not isinstance(ride_id, str) or not isinstance(value, str | int | float):
        raise BadCursor("expected a cursor from a previous page, got something else")
    return value, ride_id
