"""`bikenode gdpr` and `bikenode keys` as an operator runs them, against real processes."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from bikenode.accounts.body_metrics import BodyMetrics, body_metrics_context, decode_body_metrics
from bikenode.db.engine import create_db_engine
from bikenode.encryption import KEY_FILE_NAME, DecryptionFailed, KeyRing, key_id_of, parse_data_keys
from tests.integration.test_cli import BIKENODE, _env, _request, server  # noqa: F401 (fixture)
from tests.synthetic import synthetic_gpx

EMAIL = "gdpr@example.org"
PASSWORD = "a long enough cli passphrase"


def _run(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BIKENODE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def _cli_database(tmp_path: Path, database_url: str) -> Engine:
    """The database the CLI processes use (on SQLite, the file in their data folder)."""
    if database_url.startswith("sqlite"):
        return create_db_engine(f"sqlite:///{tmp_path / 'data' / 'bikenode.sqlite3'}")
    return create_db_engine(database_url)


def _count(db: Engine, table: str) -> int:
    with db.connect() as connection:
        return int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def _rider_with_rides(tmp_path: Path, database_url: str, rides: int) -> dict[str, str]:
    env = _env(tmp_path / "data", database_url)
    created = _run(env, "user", "create", EMAIL, "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    files = []
    for n in range(rides):
        path = tmp_path / f"ride{n}.gpx"
        path.write_bytes(synthetic_gpx(datetime(2024, 3, 1 + n, 7, tzinfo=UTC), points=200, seed=n))
        files.append(str(path))
    imported = _run(env, "import", "--user", EMAIL, *files)
    assert imported.returncode == 0, imported.stderr
    return env


def test_gdpr_export_then_erase_from_the_command_line(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env = _rider_with_rides(tmp_path, database_url, 2)
    out = tmp_path / "export.zip"
    exported = _run(env, "gdpr", "export", EMAIL, str(out))
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("profile.json"))["email"] == EMAIL
        ride_files = [n for n in archive.namelist() if n.startswith("rides/")]
        originals = [n for n in archive.namelist() if n.startswith("originals/")]
        assert len(ride_files) == len(originals) == 2
        ride = json.loads(archive.read(ride_files[0]))
        assert ride["streams"]["hr_bpm"][:3] == [120, 121, 122]
    cli_db = _cli_database(tmp_path, database_url)
    assert _count(cli_db, "rides") == 2
    refused = _run(env, "gdpr", "erase", EMAIL)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    erased = _run(env, "gdpr", "erase", EMAIL, "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "2 rides" in erased.stdout
    assert _count(cli_db, "rides") == _count(cli_db, "rides_streams") == 0
    assert _count(cli_db, "accounts_users") == _count(cli_db, "rides_uploads") == 0
    with cli_db.connect() as connection:
        events = connection.execute(text("SELECT event_type FROM audit_events")).scalars().all()
    cli_db.dispose()
    assert {"governance.data_exported", "governance.user_erased"} <= set(events)
    again = _run(env, "gdpr", "export", EMAIL, str(tmp_path / "again.zip"))
    assert again.returncode == 2 and "no user" in again.stderr


def test_keys_rotate_reencrypts_in_the_running_server_while_it_serves(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    server: str,  # noqa: F811
) -> None:
    env = _rider_with_rides(tmp_path, database_url, 3)
    token = _request(f"{server}/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})[
        "access_token"
    ]
    metrics = {"weight_kg": 68.7, "resting_hr_bpm": 44}
    assert _patch(f"{server}/api/v1/me", metrics, token) == metrics
    before = _run(env, "keys", "status")
    old_key = before.stdout.split("current key: ")[1].split(";")[0]
    assert f"{old_key}: 3 rides" in before.stdout
    assert f"{old_key}: 1 users' weight and resting HR" in before.stdout
    ride_id = _request(f"{server}/api/v1/rides", token=token)["items"][0]["id"]
    streams_url = f"{server}/api/v1/rides/{ride_id}/streams?keys=hr_bpm"
    expected = _request(streams_url, token=token)["streams"]["hr_bpm"]
    rotated = _run(env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    new_key = rotated.stdout.split("new current key ")[1].split()[0]
    deadline = time.monotonic() + 60
    while True:  # the server's worker re-encrypts; reads keep working meanwhile
        assert _request(streams_url, token=token)["streams"]["hr_bpm"] == expected
        assert _metrics(_request(f"{server}/api/v1/me", token=token)) == metrics
        status = _run(env, "keys", "status").stdout
        if f"{new_key}: 3 rides" in status and f"{new_key}: 1 users' weight" in status:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    assert f"{old_key}:" not in status.split("known keys")[1].split("\n", 1)[1]
    assert _request(streams_url, token=token)["streams"]["hr_bpm"] == expected
    assert _metrics(_request(f"{server}/api/v1/me", token=token)) == metrics
    _check_weight_resealed_and_bound_to_its_user(tmp_path, database_url, env, server, new_key)


def _patch(url: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PATCH")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return _metrics(json.loads(response.read()))


def _metrics(profile: dict[str, Any]) -> dict[str, Any]:
    return {"weight_kg": profile["weight_kg"], "resting_hr_bpm": profile["resting_hr_bpm"]}


def _check_weight_resealed_and_bound_to_its_user(
    tmp_path: Path, database_url: str, env: dict[str, str], base_url: str, new_key: str
) -> None:
    """The stored weight opens under the new key alone, for its own user only."""
    other = "other@example.org"
    created = _run(env, "user", "create", other, "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    cli_db = _cli_database(tmp_path, database_url)
    query = text("SELECT id, body_metrics_sealed, body_metrics_key_id FROM accounts_users")
    with cli_db.begin() as connection:
        rows = {str(uuid.UUID(str(row.id))): row for row in connection.execute(query)}
        [(rider_id, rider)] = [(k, r) for k, r in rows.items() if r.body_metrics_sealed]
        [other_id] = set(rows) - {rider_id}
        # Move the rider's sealed blob onto the other user's row, as a database thief could.
        connection.execute(
            text(
                "UPDATE accounts_users SET body_metrics_sealed = :sealed,"
                " body_metrics_key_id = :key_id WHERE email = :other"
            ),
            {"sealed": rider.body_metrics_sealed, "key_id": new_key, "other": other},
        )
    cli_db.dispose()
    sealed = bytes(rider.body_metrics_sealed)
    assert rider.body_metrics_key_id == key_id_of(sealed) == new_key
    keys = parse_data_keys((tmp_path / "data" / KEY_FILE_NAME).read_text())
    new_only = KeyRing([key for key in keys if key[0] == new_key])  # the old key could go
    opened = new_only.decrypt(sealed, context=body_metrics_context(uuid.UUID(rider_id)))
    assert decode_body_metrics(opened) == BodyMetrics(68.7, 44)
    with pytest.raises(DecryptionFailed):
        new_only.decrypt(sealed, context=body_metrics_context(uuid.UUID(other_id)))
    # The server refuses the moved value too: the other user sees no weight, not the rider's.
    token = _request(f"{base_url}/api/v1/auth/login", {"email": other, "password": PASSWORD})
    moved = _request(f"{base_url}/api/v1/me", token=token["access_token"])
    assert _metrics(moved) == {"weight_kg": None, "resting_hr_bpm": None}
