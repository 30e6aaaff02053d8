"""Pure ride logic, no I/O: cleaning, analytics and the columnar stream codec."""

from __future__ import annotations

from bikenode.rides.logic.analytics import BestPower, FastestDistance, RideSummary, summarise
from bikenode.rides.logic.cleaning import ImplausibleActivity, clean_activity
from bikenode.rides.logic.codec import CorruptStreamBlob, decode_streams, encode_streams
from bikenode.rides.logic.geo import BoundingBox
from bikenode.rides.logic.motion import Split
from bikenode.rides.logic.zones import ZoneTime

__all__ = [
    "BestPower",
    "BoundingBox",
    "CorruptStreamBlob",
    "FastestDistance",
    "ImplausibleActivity",
    "RideSummary",
    "Split",
    "ZoneTime",
    "clean_activity",
    "decode_streams",
    "encode_streams",
    "summarise",
]
