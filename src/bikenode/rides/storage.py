"""How a ride's streams are stored: health streams encrypted apart from the rest."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bikenode.encryption import KeyRing, current_key_ring
from bikenode.rides import repo
from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.codec import decode_streams, encode_streams
from bikenode.rides.models import RideStreams

# Health data (GDPR art. 9) is encrypted at rest; the rest stays plain so that it compresses
# and can be read by maintenance tools without keys.
HEALTH_STREAMS = ("hr_bpm",)


@dataclass(frozen=True)
class PackedStreams:
    """The blobs of one ride's streams as stored."""

    data: bytes
    health_data: bytes | None
    health_key_id: str | None


def health_context(ride_id: uuid.UUID) -> bytes:
    """The associated data binding a health blob to its ride."""
    return b"rides_streams.health_data:" + ride_id.bytes


def pack_streams(
    ride_id: uuid.UUID, streams: dict[str, FloatArray], key_ring: KeyRing
) -> PackedStreams:
    """The streams as a plain blob plus an encrypted blob of the health streams (if any)."""
    plain = {k: v for k, v in streams.items() if k not in HEALTH_STREAMS}
    health = {k: v for k, v in streams.items() if k in HEALTH_STREAMS}
    if not health:
        return PackedStreams(encode_streams(plain), None, None)
    sealed = key_ring.encrypt(encode_streams(health), context=health_context(ride_id))
    return PackedStreams(encode_streams(plain), sealed, key_ring.current_key_id)


def unpack_streams(
    ride_id: uuid.UUID,
    data: bytes,
    health_data: bytes | None,
    key_ring: KeyRing,
    names: Collection[str] | None = None,
) -> dict[str, FloatArray]:
    """Every stream of the ride (those in `names` when given), health streams decrypted; the
    health blob is only opened when a health stream is asked for."""
    streams = decode_streams(data, names)
    if health_data is not None and (names is None or not set(names).isdisjoint(HEALTH_STREAMS)):
        opened = key_ring.decrypt(health_data, context=health_context(ride_id))
        streams.update(decode_streams(opened, names))
    return streams


def load_streams(session: Session, ride_id: uuid.UUID) -> dict[str, FloatArray]:
    """Every stored stream of a ride, decrypted with the process's key ring ({} if none)."""
    stored = repo.get_streams(session, ride_id)
    if stored is None:
        return {}
    return unpack_streams(ride_id, stored.data, stored.health_data, current_key_ring())


def load_streams_of(
    session: Session, ride_ids: list[uuid.UUID], names: Collection[str] | None = None
) -> dict[uuid.UUID, dict[str, FloatArray]]:
    """The stored streams of several rides in one query, by ride id (a ride without streams
    is left out); decrypted as load_streams does, only those in `names` when given."""
    ring = current_key_ring()
    rows = session.execute(
        select(RideStreams.ride_id, RideStreams.data, RideStreams.health_data).where(
            RideStreams.ride_id.in_(ride_ids)
        )
    )
    return {
        ride_id: unpack_streams(ride_id, data, health, ring, names)
        for ride_id, data, health in rows
    }


def store_streams(
    session: Session, ride_id: uuid.UUID, streams: dict[str, FloatArray], point_count: int
) -> None:
    """Save (add or replace) a ride's streams, health streams encrypted; never commits."""
    packed = pack_streams(ride_id, streams, current_key_ring())
    stored = repo.get_streams(session, ride_id)
    if stored is None:
        stored = RideStreams(ride_id=ride_id, data=b"", point_count=point_count)
        session.add(stored)
    stored.data, stored.point_count = packed.data, point_count
    stored.health_data, stored.health_key_id = packed.health_data, packed.health_key_id


@dataclass(frozen=True)
class ReencryptBatch:
    """One step of re-encryption: rows changed, and the ride id to go on after (None: done)."""

    changed: int
    next_after: uuid.UUID | None


def reencrypt_health_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = 100
) -> ReencryptBatch:
    """Re-seal the next `limit` rides' health streams under the current key; flushes only.

    Rows already under the current key are skipped by the query. Rows without a health blob
    are checked once for health streams stored in plain (from before encryption), which are
    moved into an encrypted blob. Walks by ride id, so one pass ends even as rows change.
    """
    ring = current_key_ring()
    query = (
        select(RideStreams)
        .where(
            or_(
                RideStreams.health_key_id.is_(None),
                RideStreams.health_key_id != ring.current_key_id,
            )
        )
        .order_by(RideStreams.ride_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(RideStreams.ride_id > after)
    rows = session.scalars(query).all()
    changed = 0
    for row in rows:
        streams = unpack_streams(row.ride_id, row.data, row.health_data, ring)
        if row.health_data is None and not set(streams) & set(HEALTH_STREAMS):
            continue
        packed = pack_streams(row.ride_id, streams, ring)
        row.data, row.health_data, row.health_key_id = (
            packed.data,
            packed.health_data,
            packed.health_key_id,
        )
        changed += 1
    session.flush()
    return ReencryptBatch(changed, rows[-1].ride_id if len(rows) == limit else None)


def health_key_counts(session: Session) -> dict[str, int]:
    """How many rides' health streams each key id seals ("" counts rides with none)."""
    rows = session.execute(
        select(RideStreams.health_key_id, func.count()).group_by(RideStreams.health_key_id)
    )
    return {key_id or "": int(count) for key_id, count in rows}
