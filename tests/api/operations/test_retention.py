"""Retention deletes what its settings say has expired, reports it first on a dry run, and
never touches what a ride needs."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.live.models import LiveBatch, LiveSession
from bikenode.operations.retention import apply_retention
from bikenode.rides.models import Ride, RideOriginal, Upload, UploadChunk
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

DAY = timedelta(days=1)


def _ride(client: TestClient, headers: dict[str, str], seed: int) -> uuid.UUID:
    start = datetime(2026, 3, 1, tzinfo=UTC) + seed * DAY
    [upload] = upload_files(client, headers, [(f"r{seed}.gpx", synthetic_gpx(start, seed=seed))])
    return uuid.UUID(upload["items"][0]["ride_id"])


def _age(session: Session, ride_id: uuid.UUID, days: int) -> None:
    session.execute(update(Ride).where(Ride.id == ride_id).values(created_at=utcnow() - days * DAY))
    session.commit()


def _originals(session: Session) -> set[uuid.UUID]:
    found = set(session.scalars(select(RideOriginal.ride_id)))
    session.rollback()  # end the unit of work: it holds the write lock on SQLite
    return found


def test_originals_older_than_the_setting_go_and_their_rides_stay(
    client: TestClient, session: Session, settings: Settings
) -> None:
    _, headers = signed_in(client)
    old, new = _ride(client, headers, 1), _ride(client, headers, 2)
    _age(session, old, 40)
    policy = settings.model_copy(update={"retention_originals_days": 30})

    [report, *_] = apply_retention(session, policy, now=utcnow(), dry_run=True)
    assert (report.what, report.days, report.items) == ("original files of rides", 30, 1)
    assert report.size_bytes > 0
    assert _originals(session) == {old, new}  # a dry run deletes nothing

    [done, *_] = apply_retention(session, policy, now=utcnow(), dry_run=False)
    assert (done.items, done.size_bytes) == (1, report.size_bytes)
    session.expire_all()
    assert _originals(session) == {new}
    streams = client.get(f"/api/v1/rides/{old}/streams?keys=lat_deg", headers=headers)
    assert streams.status_code == 200 and streams.json()["streams"]["lat_deg"]
    export = client.get("/api/v1/me/export", headers=headers)
    assert export.status_code == 200, export.text
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert f"originals/{new}/r2.gpx" in names
    assert not any(name.startswith(f"originals/{old}/") for name in names)


def test_nothing_goes_while_every_setting_keeps_forever(
    client: TestClient, session: Session, settings: Settings
) -> None:
    _, headers = signed_in(client)
    old = _ride(client, headers, 3)
    _age(session, old, 4000)
    forever = {"retention_abandoned_uploads_days": 0, "retention_app_credentials_days": 0}
    keep = settings.model_copy(update=forever)
    lines = apply_retention(session, keep, now=utcnow(), dry_run=False)
    assert [line.days for line in lines] == [0, 0, 0, 0, 0]
    assert _originals(session) == {old}


def test_unfinished_uploads_and_positions_kept_as_rides_expire(
    session: Session, settings: Settings
) -> None:
    owner, now = uuid.uuid4(), utcnow()
    stale = Upload(owner_id=owner, filename="a.fit", status="receiving", created_at=now - 9 * DAY)
    fresh = Upload(owner_id=owner, filename="b.fit", status="receiving", created_at=now - DAY)
    session.add_all([stale, fresh])
    session.flush()
    session.add(UploadChunk(upload_id=stale.id, offset=0, data=b"x" * 100))
    kept_as_ride = LiveSession(
        owner_id=owner, status="ended", ride_id=uuid.uuid4(), ended_at=now - 40 * DAY
    )
    never_a_ride = LiveSession(owner_id=owner, status="ended", ended_at=now - 40 * DAY)
    session.add_all([kept_as_ride, never_a_ride])
    session.flush()
    for number, live in enumerate((kept_as_ride, never_a_ride)):
        session.add(
            LiveBatch(
                session_id=live.id,
                batch_no=number,
                first_time_ms=0,
                last_time_ms=1000,
                point_count=5,
                points=b"{}",
            )
        )
    session.commit()
    policy = settings.model_copy(
        update={"retention_live_positions_days": 30, "retention_abandoned_uploads_days": 7}
    )
    lines = {line.what: line for line in apply_retention(session, policy, now=now, dry_run=False)}
    assert lines["positions of live sessions kept as rides"].items == 5
    assert lines["unfinished resumable uploads"].items == 1
    session.expire_all()
    assert set(session.scalars(select(Upload.id))) == {fresh.id}
    assert list(session.scalars(select(UploadChunk.upload_id))) == []
    assert list(session.scalars(select(LiveBatch.session_id))) == [never_a_ride.id]
