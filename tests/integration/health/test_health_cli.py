"""`bikenode health add / import / list` on a data folder, as a rider without the web app
would use them: values stored sealed under the folder's keys, bad input refused whole."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

BIKENODE = [sys.executable, "-m", "bikenode"]
RIDER = "ada@example.org"


def _bikenode(
    data_dir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BIKENODE_DATA_DIR=str(data_dir), BIKENODE_ARGON2_MEMORY_KIB="19456")
    env.pop("BIKENODE_DATABASE_URL", None)  # the folder's own SQLite database
    return subprocess.run(
        [*BIKENODE, *args], input=stdin, capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    created = _bikenode(folder, "user", "create", RIDER, "--password-stdin", stdin="p" * 20)
    assert created.returncode == 0, created.stderr
    return folder


def _listed(data_dir: Path) -> list[str]:
    shown = _bikenode(data_dir, "health", "list", "--user", RIDER, "--days", "60")
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.splitlines()


def test_values_entered_and_imported_are_listed_and_a_wrong_file_writes_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()  # the rider's zone is UTC until they set one
    first, second = today - timedelta(days=10), today - timedelta(days=9)
    added = _bikenode(
        data_dir, "health", "add", "--user", RIDER, "resting_hr_bpm", "52", "--day", str(first)
    )
    assert added.returncode == 0, added.stderr
    assert f"{first}  resting_hr_bpm  52  (manual)" in added.stdout

    good = tmp_path / "good.csv"
    good.write_text(f"day,metric,value\n{first},weight_kg,71.5\n{second},sleep_h,7.25\n")
    imported = _bikenode(data_dir, "health", "import", "--user", RIDER, str(good))
    assert imported.returncode == 0, imported.stderr
    assert "2 values imported" in imported.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(f"day,metric,value\n{second},mood_1_5,4\n{second},mood_1_5,9\n")
    refused = _bikenode(data_dir, "health", "import", "--user", RIDER, str(bad))
    assert refused.returncode == 1
    assert f"{bad}:3:" in refused.stderr and "nothing imported" in refused.stderr

    assert sorted(_listed(data_dir)) == sorted(
        [
            f"{first}  resting_hr_bpm  52  (manual)",
            f"{first}  weight_kg  71.5  (manual)",
            f"{second}  sleep_h  7.25  (manual)",
        ]
    )


def test_wrong_values_users_and_days_are_refused_with_what_was_expected(data_dir: Path) -> None:
    out_of_range = _bikenode(data_dir, "health", "add", "--user", RIDER, "resting_hr_bpm", "900")
    assert out_of_range.returncode == 1 and "error:" in out_of_range.stderr
    unknown = _bikenode(data_dir, "health", "add", "--user", RIDER, "blood_type", "1")
    assert unknown.returncode == 1 and "resting_hr_bpm" in unknown.stderr
    nobody = _bikenode(data_dir, "health", "add", "--user", "nobody@example.org", "steps", "10")
    assert nobody.returncode == 2 and "no user" in nobody.stderr
    bad_day = _bikenode(
        data_dir, "health", "add", "--user", RIDER, "steps", "10", "--day", "2026-13-40"
    )
    assert bad_day.returncode == 2 and "YYYY-MM-DD" in bad_day.stderr
    assert _listed(data_dir) == []
