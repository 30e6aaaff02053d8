"""Heart rate is stored sealed (AES-256-GCM), read back whole, and re-sealed on rotation."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bikenode import rides
from bikenode.encryption import (
    DecryptionFailed,
    KeyRing,
    current_key_ring,
    install_key_ring,
    key_id_of,
)
from bikenode.governance.tasks import reencrypt_health
from bikenode.rides.imports import RiderContext, import_activity
from bikenode.rides.logic.codec import decode_streams
from bikenode.rides.models import RideStreams
from bikenode.rides.privacy import create_zone
from bikenode.rides.storage import load_streams
from tests.synthetic import synthetic_gpx

OLD = ("old", os.urandom(32))
NEW = ("new", os.urandom(32))


@pytest.fixture
def old_keys() -> Iterator[None]:
    previous = current_key_ring()
    install_key_ring(KeyRing([OLD]))
    yield
    install_key_ring(previous)


def _import(session: Session, owner_id: uuid.UUID, seed: int) -> uuid.UUID:
    start = datetime(2024, 5, 1 + seed, 8, tzinfo=UTC)
    result = import_activity(
        session,
        rider=RiderContext(owner_id=owner_id),
        filename=f"{seed}.gpx",
        data=synthetic_gpx(start, points=300, seed=seed),
    )
    session.commit()
    assert result.ride_id is not None, result.reason
    return result.ride_id


def test_heart_rate_is_stored_sealed_and_read_back(session: Session, old_keys: None) -> None:
    ride_id = _import(session, uuid.uuid4(), 1)
    stored = session.get(RideStreams, ride_id)
    assert stored is not None and stored.health_data is not None
    assert "hr_bpm" not in decode_streams(stored.data)  # the plain blob holds no heart rate
    assert stored.health_key_id == "old" == key_id_of(stored.health_data)
    hr = load_streams(session, ride_id)["hr_bpm"]
    assert np.array_equal(hr, 120 + np.arange(300) % 30)
    # A sealed blob moved to another ride's row does not open there.
    other_id = _import(session, uuid.uuid4(), 2)
    other = session.get(RideStreams, other_id)
    assert other is not None
    other.health_data = stored.health_data
    with pytest.raises(DecryptionFailed):
        load_streams(session, other_id)
    session.rollback()


def test_rotation_reseals_everything_while_reads_keep_working(
    session: Session, engine: object, old_keys: None
) -> None:
    owner = uuid.uuid4()
    ids = [_import(session, owner, seed) for seed in range(1, 6)]
    before = {i: load_streams(session, i)["hr_bpm"] for i in ids}
    install_key_ring(KeyRing([NEW, OLD]))  # the operator puts a new key first
    # Mid-rotation: rows under either key read fine.
    assert np.array_equal(load_streams(session, ids[0])["hr_bpm"], before[ids[0]])
    assert rides.health_key_counts(session)["old"] == 5
    session.commit()  # end the read: on SQLite a transaction holds the write lock
    factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    assert reencrypt_health(factory) == 5
    session.expire_all()
    assert rides.health_key_counts(session) == {"new": 5}
    install_key_ring(KeyRing([NEW]))  # the old key can now go
    for ride_id in ids:
        assert np.array_equal(load_streams(session, ride_id)["hr_bpm"], before[ride_id])
    session.commit()
    assert reencrypt_health(factory) == 0  # a second pass finds nothing to do


def test_rotation_seals_heart_rate_stored_before_encryption(session: Session) -> None:
    ride_id = _import(session, uuid.uuid4(), 3)
    row = session.get(RideStreams, ride_id)
    assert row is not None
    hr = load_streams(session, ride_id)["hr_bpm"]
    # What a row written before migration 0003 looks like: heart rate in the plain blob.
    from bikenode.rides.logic.codec import encode_streams

    row.data = encode_streams({**decode_streams(row.data), "hr_bpm": hr})
    row.health_data = row.health_key_id = None
    session.commit()
    factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    assert reencrypt_health(factory) == 1
    session.expire_all()
    row = session.scalars(select(RideStreams).where(RideStreams.ride_id == ride_id)).one()
    assert row.health_data is not None and "hr_bpm" not in decode_streams(row.data)
    assert np.array_equal(load_streams(session, ride_id)["hr_bpm"], hr)


def test_live_positions_are_masked_by_the_riders_zones(session: Session) -> None:
    owner = uuid.uuid4()
    create_zone(session, owner_id=owner, name="home", lat_deg=45.0, lon_deg=6.0, radius_m=200)
    lat = np.array([45.0, 45.0005, 45.1, np.nan])
    lon = np.array([6.0, 6.0, 6.1, np.nan])
    hidden = rides.hide_positions(session, owner_id=owner, lat_deg=lat, lon_deg=lon)
    assert hidden.tolist() == [True, True, False, False]
    nobody = rides.hide_positions(session, owner_id=uuid.uuid4(), lat_deg=lat, lon_deg=lon)
    assert not nobody.any()


def test_key_ring_parses_configuration_and_refuses_bad_keys() -> None:
    from bikenode.encryption import parse_data_keys

    key = base64.b64encode(bytes(32)).decode()
    assert [k for k, _ in parse_data_keys(f"a:{key}, b:{key}")] == ["a", "b"]
    for bad in (f"a:{key[:-4]}", f"a:{key},a:{key}", "nokey", f"bad id:{key}"):
        with pytest.raises(ValueError, match="expected"):
            parse_data_keys(bad)
