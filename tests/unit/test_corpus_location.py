"""The corpus of device files can live anywhere (BIKENODE_CORPUS_DIR), and CI never skips it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.corpus import CORPUS, REPO


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_the_corpus_folder_is_taken_from_the_environment(tmp_path: Path) -> None:
    found = _run(
        sys.executable,
        "-c",
        "from tests.corpus import CORPUS; print(CORPUS)",
        BIKENODE_CORPUS_DIR=str(tmp_path),
    )
    assert found.stdout.strip() == str(tmp_path.resolve()), found.stderr


def test_in_ci_a_missing_corpus_stops_pytest_with_a_clear_message(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    stopped = _run(
        sys.executable,
        "-m",
        "pytest",
        "tests/unit/test_logs.py",
        "-q",
        "-p",
        "no:randomly",
        CI="true",
        BIKENODE_CORPUS_DIR=missing,
    )
    assert stopped.returncode != 0
    assert (
        f"the shared corpus of device files is not at {missing}" in stopped.stdout + stopped.stderr
    )


def test_in_ci_scripts_test_refuses_to_start_without_the_corpus(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    refused = _run("scripts/test", CI="true", BIKENODE_CORPUS_DIR=missing)
    assert refused.returncode == 2
    assert f"not at {missing}; set BIKENODE_CORPUS_DIR" in refused.stderr


def test_this_run_has_the_corpus_or_is_not_ci() -> None:
    assert CORPUS.is_dir() or os.environ.get("CI", "").lower() not in ("1", "true", "yes")
