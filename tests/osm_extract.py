"""Where the real OpenStreetMap extract of the routing tests is (scripts/osm-extract puts it
in .cache/osm): BIKENODE_OSM_EXTRACT, else .cache/osm/Helsinki.osm.pbf. Outside CI a missing
extract skips its tests; in CI it is an error, as for the corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.corpus import REPO, in_ci

EXTRACT = Path(
    os.environ.get("BIKENODE_OSM_EXTRACT") or REPO / ".cache" / "osm" / "Helsinki.osm.pbf"
)
MISSING = f"the OpenStreetMap extract is not at {EXTRACT}: run scripts/osm-extract"
# Two places in central Helsinki, 1.3 km apart: the Esplanadi park and the Kallio bridge end.
ESPLANADI = (60.1670, 24.9440)
PITKASILTA = (60.1780, 24.9520)


def osm_extract() -> Path:
    """The extract's path; skips (fails in CI) when it is missing."""
    if not EXTRACT.is_file():
        if in_ci():
            raise RuntimeError(MISSING)
        pytest.skip(MISSING)
    return EXTRACT
