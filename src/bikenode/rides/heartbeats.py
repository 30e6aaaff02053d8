"""What other domains may read of the health data in a ride's original file: the RR
intervals of its FIT hrv messages (health turns them into the day's HRV), and the reading of
FIT monitoring files, which are no rides but share the FIT decoder."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bikenode.rides.formats.activity import FloatArray, ParseError
from bikenode.rides.formats.fit_health import fit_rr_intervals_ms
from bikenode.rides.models import Ride, RideOriginal

# Originals were size-checked on upload; this only bounds a damaged row's inflation.
MAX_ORIGINAL_BYTES = 512 * 1024 * 1024
FIT_HEADER_BYTES = 12


@dataclass(frozen=True)
class RideHeartbeats:
    """A ride's beat-to-beat intervals (ms, file order) with its owner, start (UTC, None if
    untimed) and recording device (None if the file named none)."""

    ride_id: uuid.UUID
    owner_id: uuid.UUID
    started_at: datetime | None
    device: str | None
    rr_ms: FloatArray


def ride_heartbeats(session: Session, ride_id: uuid.UUID) -> RideHeartbeats | None:
    """The RR intervals of the ride's original FIT file; None when there is no such ride, its
    original is gone (retention) or not FIT, unreadable, or has no hrv messages."""
    ride = session.get(Ride, ride_id)
    original = session.get(RideOriginal, ride_id)
    if ride is None or original is None:
        return None
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        # The header first: a GPX or TCX original is never inflated whole.
        head = inflater.decompress(original.data_gz, FIT_HEADER_BYTES)
        if head[8:12] != b".FIT":
            return None
        data = head + inflater.decompress(inflater.unconsumed_tail, MAX_ORIGINAL_BYTES)
    except zlib.error:
        return None
    try:
        rr = fit_rr_intervals_ms(data)
    except ParseError:
        return None
    if rr.size == 0:
        return None
    return RideHeartbeats(ride.id, ride.owner_id, ride.started_at, ride.device, rr)
