"""What the browser tests share: a driver for the app's pages, API calls, test rides."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import (
    APIRequestContext,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    expect,
)

from tests.corpus import CORPUS as CORPUS
from tests.factories import STRONG_PASSWORD
from tests.tile_server import TILE

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing leaves the machine: every host name but loopback fails to resolve. Base-map
    # tiles from the default tile server are answered inside the browser (fake_tiles).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
IMPORT_TIMEOUT_S = 120.0


@dataclass
class App:
    """One browser tab on the app, with the errors its scripts reported."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # A refused request shows up as "Failed to load resource"; the page handles those.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")

    def goto(self, path: str, ready: str) -> None:
        """Open a page and wait until the app says it is drawn and usable."""
        self.page.goto(self.base + path)
        self.wait_ready(ready)

    def wait_ready(self, ready: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("data-ready", ready)

    def sign_in(self, email: str, password: str = STRONG_PASSWORD, then: str = "dashboard") -> None:
        self.goto("/signin", "signin")
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.wait_ready(then)

    def shot(self, name: str) -> None:
        """Save a full-page screenshot as a test artefact."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def has_no_horizontal_overflow(self) -> bool:
        return bool(
            self.page.evaluate(
                "() => document.documentElement.scrollWidth <= window.innerWidth"
                " && document.body.scrollWidth <= window.innerWidth"
            )
        )

    def assert_no_script_errors(self) -> None:
        assert not self.errors, self.errors


@dataclass
class Api:
    """The HTTP API, called directly: to set up data fast and to read the true numbers."""

    request: APIRequestContext
    token: str = ""

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str) -> Any:
        response = self.request.get(path, headers=self._headers())
        assert response.ok, f"GET {path}: {response.status} {response.text()}"
        return response.json()

    def patch(self, path: str, changes: dict[str, Any]) -> None:
        response = self.request.patch(path, data=changes, headers=self._headers())
        assert response.ok, response.text()

    def register_and_login(self, email: str, name: str = "Test Rider") -> None:
        body = {"email": email, "password": STRONG_PASSWORD, "display_name": name}
        created = self.request.post("/api/v1/auth/register", data=body)
        assert created.status == 202, created.text()
        login = {"email": email, "password": STRONG_PASSWORD}
        self.token = self.request.post("/api/v1/auth/login", data=login).json()["access_token"]

    def upload(self, name: str, data: bytes) -> dict[str, Any]:
        """Upload one file and wait until it is processed; the upload's final state."""
        multipart: Any = {
            "files": {"name": name, "mimeType": "application/octet-stream", "buffer": data}
        }
        response = self.request.post(
            "/api/v1/uploads", multipart=multipart, headers=self._headers()
        )
        assert response.status == 202, response.text()
        return self.wait_for_upload(response.json()["uploads"][0]["id"])

    def wait_for_upload(self, upload_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + IMPORT_TIMEOUT_S
        while time.monotonic() < deadline:
            state: dict[str, Any] = self.get(f"/api/v1/uploads/{upload_id}")
            if state["status"] in ("done", "failed"):
                return state
            time.sleep(0.1)  # polling the server's job, not waiting on the browser
        raise AssertionError(f"upload {upload_id} not processed within {IMPORT_TIMEOUT_S} s")

    def import_ride(self, name: str, data: bytes) -> str:
        """Upload one activity file and return the id of the ride it became."""
        state = self.upload(name, data)
        [item] = state["items"]
        assert item["status"] == "imported", item
        return str(item["ride_id"])


def training_gpx(points: int, *, start: datetime | None = None, name: str = "Long ride") -> bytes:
    """A GPX loop of one-second samples with elevation, heart rate, cadence and power.

    The loop grows with the number of points, so that every ride goes at about 18 km/h.
    """
    start = start or datetime(2024, 6, 1, 7, 0, tzinfo=UTC)
    rows = [
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gpx version="1.1" creator="bikenode-browser-tests" xmlns="http://www.topografix.com/GPX/1/1"'
        ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>{name}</name><type>cycling</type><trkseg>"
    ]
    size = points / 20_000
    for i in range(points):
        angle = i / points * 2 * math.pi
        lat = 46.0 + size * (0.15 * math.sin(angle) + 0.01 * math.sin(9 * angle))
        lon = 7.0 + size * 0.25 * (1 - math.cos(angle))
        when = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        elevation_m = 600 + 250 * size * math.sin(3 * angle)
        power_w = 200 + int(80 * math.sin(i / 60))
        rows.append(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{elevation_m:.1f}</ele>'
            f"<time>{when}</time><extensions><power>{power_w}</power>"
            f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{130 + i % 25}</gpxtpx:hr>"
            f"<gpxtpx:cad>{85 + i % 10}</gpxtpx:cad></gpxtpx:TrackPointExtension>"
            "</extensions></trkpt>"
        )
    rows.append("</trkseg></trk></gpx>")
    return "\n".join(rows).encode()


OSM_TILES = "https://tile.openstreetmap.org/**"


def fake_tiles(context: BrowserContext) -> list[str]:
    """Answer the default tile server's requests in the browser with a plain tile; returns
    the list the requested tile URLs are added to."""
    requested: list[str] = []

    def answer(route: Route) -> None:
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE)

    context.route(OSM_TILES, answer)
    return requested
