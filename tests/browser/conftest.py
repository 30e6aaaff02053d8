"""A real `bikenode serve` and the system Chromium, driven by Playwright.

The server uses the suite's database when it is PostgreSQL (BIKENODE_TEST_DB=postgresql),
so the browser suite runs on both backends; on SQLite it keeps its own file.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, ViewportSize, sync_playwright
from sqlalchemy import text

from bikenode.db.base import Base
from bikenode.db.engine import create_db_engine
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, CORPUS, Api, App, fake_tiles
from tests.corpus import MISSING
from tests.servers import free_port

_emails = itertools.count(1)


def new_email(prefix: str = "rider") -> str:
    return f"{prefix}{next(_emails)}-{time.monotonic_ns()}@example.org"


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"bikenode serve exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)  # the server is starting; nothing in a browser to wait on yet
    raise RuntimeError(f"bikenode serve was not ready within 60 s:\n{log.read_text()[-3000:]}")


# One server per test module: on PostgreSQL it shares the suite's database, and its job worker
# must not run while other modules' tests use that database and its job queue.
@pytest.fixture(scope="module")
def server_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of the module's server (e.g. to import a routing graph into)."""
    return tmp_path_factory.mktemp("browser-server")


@pytest.fixture(scope="module")
def server(server_data: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of `python -m bikenode serve` on a free port, stopped after the module.

    A test module may set SERVER_ENV (a dict of BIKENODE_* variables) for its server.
    """
    data = server_data
    env = dict(os.environ, BIKENODE_DATA_DIR=str(data), BIKENODE_LOG_LEVEL="WARNING")
    env["BIKENODE_ARGON2_MEMORY_KIB"] = "19456"
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    port = free_port()
    env["BIKENODE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # links in e-mails
    env.update(getattr(request.module, "SERVER_ENV", {}))
    log = data / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bikenode",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(data),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process, log)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module", autouse=True)
def _empty_shared_database(database_url: str) -> Iterator[None]:
    """Leave a shared PostgreSQL database empty for the suites that run after this module."""
    yield
    if database_url.startswith("sqlite"):
        return
    import bikenode.models  # noqa: F401  (registers every table)

    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"Chromium is not at {CHROMIUM}: `apt-get install chromium`")
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def web(browser: Browser, server: str) -> Iterator[App]:
    """A fresh browser context (no cookies, empty cache) on a desktop-sized window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    fake_tiles(context)
    yield App(context.new_page(), server)
    context.close()


WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


@pytest.fixture(params=sorted(WIDTHS))
def screen(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[App]:
    """A fresh browser context at desktop width or at a phone's 390 px."""
    phone = request.param == "phone"
    context = browser.new_context(
        viewport=WIDTHS[request.param],
        accept_downloads=True,
        is_mobile=phone,
        device_scale_factor=2 if phone else 1,
    )
    context.set_default_timeout(15_000)
    fake_tiles(context)
    yield App(context.new_page(), server)
    context.close()


@pytest.fixture(scope="module")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(MISSING)
    return CORPUS


@dataclass(frozen=True)
class Rider:
    """A rider with rides, made through the API (the UI's own sign-up is tested apart)."""

    email: str
    api: Api
    rides: dict[str, str]  # corpus file -> ride id


RIDE_FILES = (
    "fit/fitparse__Edge810-Vector-2013-08-16-15-35-10.fit",  # GPS, power, heart rate, cadence
    "gpx/gpsbabel__wahoo-element-bolt.gpx",
)


@pytest.fixture(scope="module")
def rider(playwright: Playwright, server: str, corpus_dir: Path) -> Iterator[Rider]:
    context = playwright.request.new_context(base_url=server)
    api = Api(context)
    email = new_email()
    api.register_and_login(email)
    api.patch("/api/v1/me", {"ftp_w": 250, "max_hr_bpm": 190})  # so that imports compute zones
    rides = {
        name: api.import_ride(Path(name).name, (corpus_dir / name).read_bytes())
        for name in RIDE_FILES
    }
    yield Rider(email, api, rides)
    context.dispose()


@pytest.fixture
def fresh_api(playwright: Playwright, server: str) -> Iterator[Api]:
    """An API client for a rider of the test's own."""
    context = playwright.request.new_context(base_url=server)
    yield Api(context)
    context.dispose()
