"""Where the shared corpus of real device files is: BIKENODE_CORPUS_DIR, else ../shared/corpus
beside the repository. Outside CI a missing corpus skips its tests; in CI it is an error."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("BIKENODE_CORPUS_DIR") or REPO / ".." / "shared" / "corpus").resolve()
MISSING = (
    f"the shared corpus of device files is not at {CORPUS}; set BIKENODE_CORPUS_DIR to its folder"
)


def in_ci() -> bool:
    """Whether this run is CI's (CI=true, as CI services and .ci/run set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
