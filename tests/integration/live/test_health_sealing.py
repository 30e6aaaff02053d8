"""Live heart rate sealed at rest: re-sealed on rotation, bound to its batch, migrated."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bikenode.config import Settings
from bikenode.encryption import (
    KEY_FILE_NAME,
    DecryptionFailed,
    KeyRing,
    add_key_to_file,
    current_key_ring,
    install_key_ring,
    key_file_path,
    key_id_of,
    parse_data_keys,
)
from bikenode.governance.service import start_reencryption
from bikenode.live import health_key_counts
from bikenode.live.logic import encode_batch
from bikenode.live.models import LiveBatch, LiveSession
from bikenode.live.storage import batch_columns, pack_columns, reseal_health_batch, unpack_columns
from tests.factories import signed_in
from tests.integration.accounts.test_totp_sealing import _uuid_param
from tests.integration.governance.test_gdpr_and_keys_cli import _cli_database, _run
from tests.integration.test_cli import _env
from tests.live_tools import columns
from tests.migration_tools import migrate

BATCHES = (1, 2, 3)


def _sessions(client: TestClient) -> sessionmaker[Session]:
    return client.app.state.session_factory  # type: ignore[attr-defined,no-any-return]


def _ride(client: TestClient) -> tuple[str, dict[str, str]]:
    """A live session with three batches sent over the rider socket; its id and the rider."""
    _, headers = signed_in(client)
    live = client.post("/api/v1/live/sessions", json={}, headers=headers).json()
    with client.websocket_connect(f"/api/v1/live/sessions/{live['id']}/ride") as rider:
        rider.send_json({"type": "hello", "token": headers["Authorization"].split()[1]})
        assert rider.receive_json()["type"] == "welcome"
        for batch_no in BATCHES:
            rider.send_json(encode_batch(batch_no, columns(batch_no)))
            assert rider.receive_json()["type"] == "ack"
    return live["id"], headers


def _stored(client: TestClient) -> list[LiveBatch]:
    with _sessions(client)() as db:
        rows = list(db.scalars(select(LiveBatch).order_by(LiveBatch.batch_no)))
        db.expunge_all()
        return rows


def _sent_heart_rate() -> list[int | None]:
    return [hr for n in BATCHES for hr in columns(n)["hr"]]


def _ended_ride_heart_rate(client: TestClient, session_id: str, headers: dict[str, str]) -> object:
    ended = client.post(f"/api/v1/live/sessions/{session_id}/end", headers=headers).json()
    streams = client.get(f"/api/v1/rides/{ended['ride_id']}/streams?keys=hr_bpm", headers=headers)
    return streams.json()["streams"]["hr_bpm"]


def test_rotation_reseals_live_heart_rate_and_it_reads_back_with_the_old_key_gone(
    client: TestClient, settings: Settings
) -> None:
    session_id, headers = _ride(client)
    before = _stored(client)
    old_key = current_key_ring().current_key_id
    assert {row.health_key_id for row in before} == {old_key}
    new_key = add_key_to_file(settings)  # what `bikenode keys rotate` does first
    with _sessions(client)() as db:
        assert health_key_counts(db) == {old_key: len(BATCHES)}
        start_reencryption(db, actor="test")
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    after = _stored(client)
    assert [row.health_key_id for row in after] == [new_key] * len(BATCHES)
    for old, new in zip(before, after, strict=True):
        assert new.health_sealed is not None and key_id_of(new.health_sealed) == new_key
        assert new.health_sealed != old.health_sealed and new.points == old.points
    with _sessions(client)() as db:
        assert health_key_counts(db) == {new_key: len(BATCHES)}
        assert reseal_health_batch(db, after=None).changed == 0  # a second pass finds none
    previous = current_key_ring()
    keys = parse_data_keys(key_file_path(settings).read_text())
    install_key_ring(KeyRing([key for key in keys if key[0] == new_key]))
    try:
        assert _ended_ride_heart_rate(client, session_id, headers) == pytest.approx(
            _sent_heart_rate()
        )
    finally:
        install_key_ring(previous)


def test_a_sealed_heart_rate_moved_to_another_batch_does_not_open_there(
    client: TestClient,
) -> None:
    _ride(client)
    first, second, _third = _stored(client)
    assert batch_columns(second)["hr"] == columns(2)["hr"]
    with _sessions(client)() as db:
        db.execute(
            update(LiveBatch)
            .where(LiveBatch.id == second.id)
            .values(health_sealed=first.health_sealed)
        )
        db.commit()
    _first, moved, _third = _stored(client)
    with pytest.raises(DecryptionFailed):
        batch_columns(moved)


def test_the_migration_seals_plain_heart_rate_and_its_downgrade_restores_it(
    empty_database: Engine,
) -> None:
    migrate(empty_database, "0003_live")
    session_id = uuid.uuid4()
    plain = json.dumps(columns(1), separators=(",", ":")).encode()
    now = "2025-01-01 00:00:00+00:00"
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO live_sessions (id, owner_id, name, visibility, status, started_at)"
                " VALUES (:id, :owner, 'Old', 'private', 'live', :now)"
            ),
            {
                "id": _uuid_param(empty_database, session_id),
                "owner": _uuid_param(empty_database, uuid.uuid4()),
                "now": now,
            },
        )
        for batch_no, points in ((1, plain), (2, b'{"t":[1,2]}')):
            connection.execute(
                text(
                    "INSERT INTO live_batches (session_id, batch_no, first_time_ms, last_time_ms,"
                    " point_count, points, received_at)"
                    " VALUES (:session, :no, 1, 2, 10, :points, :now)"
                ),
                {
                    "session": _uuid_param(empty_database, session_id),
                    "no": batch_no,
                    "points": points,
                    "now": now,
                },
            )
    previous = current_key_ring()
    install_key_ring(KeyRing([("migration-key", os.urandom(32))]))
    try:
        migrate(empty_database, "heads")
        with Session(empty_database) as db:
            sealed, unsealed = db.scalars(select(LiveBatch).order_by(LiveBatch.batch_no)).all()
            assert "hr" not in json.loads(sealed.points)
            assert sealed.health_key_id == "migration-key"
            assert sealed.health_sealed is not None
            assert key_id_of(sealed.health_sealed) == "migration-key"
            assert batch_columns(sealed) == columns(1)
            # A batch that had no heart rate column gets no sealed value.
            assert (unsealed.health_sealed, unsealed.health_key_id) == (None, None)
            assert batch_columns(unsealed) == {"t": [1, 2]}
        migrate(empty_database, "0003_live", down=True)
        with empty_database.connect() as connection:
            restored = (
                connection.execute(text("SELECT points FROM live_batches ORDER BY batch_no"))
                .scalars()
                .all()
            )
            names = connection.execute(text("SELECT * FROM live_batches")).keys()
        assert [bytes(points) for points in restored] == [plain, b'{"t":[1,2]}']
        assert "health_sealed" not in names
    finally:
        install_key_ring(previous)


def test_keys_status_and_rotate_count_and_reseal_live_batches(
    tmp_path: Path,
    database_url: str,
    engine: Engine,  # on PostgreSQL the CLI shares the suite's database: emptied after
) -> None:
    env = _env(tmp_path / "data", database_url)
    upgraded = _run(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    key_file = tmp_path / "data" / KEY_FILE_NAME
    [(old_key, _secret)] = parse_data_keys(key_file.read_text())
    db = _cli_database(tmp_path, database_url)
    with Session(db) as session:
        live = LiveSession(owner_id=uuid.uuid4())
        session.add(live)
        session.flush()
        packed = pack_columns(
            live.id, 1, columns(1), KeyRing(parse_data_keys(key_file.read_text()))
        )
        session.add(
            LiveBatch(
                session_id=live.id,
                batch_no=1,
                first_time_ms=1,
                last_time_ms=2,
                point_count=10,
                points=packed.points,
                health_sealed=packed.health_sealed,
                health_key_id=packed.health_key_id,
            )
        )
        session.commit()
        session_id = live.id
    assert f"{old_key}: 1 live batches' heart rate" in _run(env, "keys", "status").stdout
    rotated = _run(env, "keys", "rotate", "--wait")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-sealed the heart rate of 1 live batches" in rotated.stdout
    new_key = rotated.stdout.split("new current key ")[1].split()[0]
    status = _run(env, "keys", "status").stdout
    assert f"{new_key}: 1 live batches' heart rate" in status
    assert f"{old_key}: 1 live batches" not in status
    only_new = KeyRing([k for k in parse_data_keys(key_file.read_text()) if k[0] == new_key])
    with Session(db) as session:
        stored = session.scalars(select(LiveBatch)).one()
        opened = unpack_columns(session_id, 1, stored.points, stored.health_sealed, only_new)
    db.dispose()
    assert opened == columns(1)
