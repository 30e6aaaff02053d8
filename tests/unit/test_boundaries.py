"""The import contracts hold today, and they fire when a module reaches into another's internals.

Each test lints a copy of the package, so a planted import never touches the real tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_copy(
    tmp_path: Path, plant: tuple[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run lint-imports over a copy of src/bikenode, with one import line planted if asked."""
    shutil.copytree(
        ROOT / "src" / "bikenode",
        tmp_path / "src" / "bikenode",
        ignore=shutil.ignore_patterns("__pycache__", "static", "migrations"),
    )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    if plant is not None:
        module, line = plant
        target = tmp_path / "src" / Path(*module.split(".")).with_suffix(".py")
        target.write_text(target.read_text() + f"\n{line}  # planted\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold_on_the_package_as_it_is(tmp_path: Path) -> None:
    result = lint_copy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("importer", "line", "broken"),
    [
        (
            "bikenode.live.service",
            "from bikenode.rides.models import Ride",
            "bikenode.live.service -> bikenode.rides.models",
        ),
        (
            "bikenode.governance.service",
            "from bikenode.audit.models import AuditEvent",
            "bikenode.governance.service -> bikenode.audit.models",
        ),
        (
            "bikenode.planner.service",
            "from bikenode.accounts.repo import get_user",
            "bikenode.planner.service -> bikenode.accounts.repo",
        ),
        (
            "bikenode.rides.routes",
            "from bikenode.accounts.models import User",
            "bikenode.rides.routes -> bikenode.accounts.models",
        ),
        (
            "bikenode.rides.service",
            "from bikenode.web.dependencies import CurrentUser",
            "bikenode.rides.service -> bikenode.web.dependencies",
        ),
        (
            "bikenode.live.routes",
            "from bikenode.web.observability import Metrics",
            "bikenode.live.routes -> bikenode.web.observability",
        ),
    ],
)
def test_reaching_into_another_package_breaks_a_contract(
    tmp_path: Path, importer: str, line: str, broken: str
) -> None:
    result = lint_copy(tmp_path, plant=(importer, line))
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout
