"""A real Valhalla server on loopback, with routing tiles built from the Helsinki extract.

scripts/valhalla unpacks Valhalla's binaries into .cache/valhalla (BIKENODE_VALHALLA_DIR
overrides). Outside CI missing binaries skip their tests; in CI that is an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.corpus import REPO, in_ci
from tests.osm_extract import osm_extract
from tests.servers import free_port

VALHALLA = Path(os.environ.get("BIKENODE_VALHALLA_DIR") or REPO / ".cache" / "valhalla")
MISSING = f"Valhalla is not at {VALHALLA}: run scripts/valhalla"


def valhalla_dir() -> Path:
    if not (VALHALLA / "valhalla" / "bin" / "valhalla_service").is_file():
        if in_ci():
            raise RuntimeError(MISSING)
        pytest.skip(MISSING)
    return VALHALLA / "valhalla"


@contextmanager
def valhalla_server(folder: Path) -> Iterator[str]:
    """Build tiles of the extract in folder, serve them; yields the server's base URL."""
    home = valhalla_dir()
    port = free_port()
    tiles = folder / "tiles"
    tiles.mkdir()
    config = subprocess.run(
        [sys.executable, str(home / "valhalla_build_config.py"), "--mjolnir-tile-dir", str(tiles),
         "--mjolnir-tile-extract", "", "--mjolnir-traffic-extract", "", "--mjolnir-admin", "",
         "--mjolnir-timezone", "", "--httpd-service-listen", f"tcp://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (folder / "valhalla.json").write_text(config.stdout)
    subprocess.run(
        [str(home / "bin" / "valhalla_build_tiles"), "-c", str(folder / "valhalla.json"), str(osm_extract())],
        check=True, capture_output=True, cwd=folder,  # it writes duplicateways.txt in its cwd
    )  # fmt: skip
    log = (folder / "service.log").open("wb")
    process = subprocess.Popen(
        [str(home / "bin" / "valhalla_service"), str(folder / "valhalla.json"), "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"valhalla_service exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/status", timeout=2) as response:
                if json.loads(response.read()).get("version"):
                    return
        except (urllib.error.URLError, ConnectionError, ValueError):
            pass
        time.sleep(0.1)  # the server is loading its tiles
    raise RuntimeError("valhalla_service was not ready within 30 s")
