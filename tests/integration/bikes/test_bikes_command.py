"""`bikenode bikes --user EMAIL`: the garage and the parts due, as the rider's terminal shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bikenode.accounts.models import User
from bikenode.bikes import service
from tests.service_factories import make_user


def _bikes(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BIKENODE_DATA_DIR=str(tmp_path), BIKENODE_DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "bikenode", "bikes", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_garage_lists_bikes_and_each_parts_interval(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    owner = make_user(session)
    email = session.get(User, owner).email  # type: ignore[union-attr]
    bike = service.create_bike(
        session, owner_id=owner, fields={"name": "Tarmac", "type": "road", "brand": "Specialized"}
    )
    service.create_component(
        session,
        owner_id=owner,
        fields={"type": "chain", "brand": "KMC", "model": "X11"},
        bike_id=bike.id,
        installed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.close()
    shown = _bikes(tmp_path, database_url, "--user", email)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Tarmac  road"
    [chain] = [line for line in lines if "chain KMC X11" in line]
    assert chain.split()[0] == "0%" and chain.split()[1] == "ok" and "on Tarmac" in chain


def test_an_unknown_rider_is_named_and_nothing_is_listed(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    missing = _bikes(tmp_path, database_url, "--user", "nobody@example.org")
    assert missing.returncode == 2
    assert "no user with the e-mail address nobody@example.org" in missing.stderr
    assert missing.stdout == ""
