"""A newcomer signs up, uploads files and an archive in the browser, and opens a ride."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Locator, expect

from tests.browser.conftest import new_email
from tests.browser.support import App, training_gpx
from tests.factories import STRONG_PASSWORD

FIT_RIDE = "fit/fitparse__Edge810-Vector-2013-08-16-15-35-10.fit"
GPX_RIDE = "gpx/gpsbabel__wahoo-element-bolt.gpx"
NOT_AN_ACTIVITY = "fit/fitparse__Settings.fit"  # a valid FIT file of device settings
ARCHIVE_RIDE = "fit/gc__Karoo-Botley_BW_Swanmore_Wickham-2025-05-09-1238.fit"

DROP_FILES = """async (files) => {
  const transfer = new DataTransfer();
  for (const {name, data} of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name));
  }
  const zone = document.getElementById("dropzone");
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
    zone.dispatchEvent(new DragEvent(type, init));
  }
}"""


def _row(web: App, name: str) -> Locator:
    return web.page.locator("li.upload").filter(has=web.page.locator(".name", has_text=name))


def _sign_up(web: App, email: str) -> None:
    web.goto("/signup", "signup")
    web.shot("signup")
    web.page.get_by_label("Your name").fill("Newcomer")
    web.page.get_by_label("E-mail address").fill(email)
    web.page.get_by_label("Password").fill(STRONG_PASSWORD)
    web.page.get_by_role("button", name="Create account").click()
    web.wait_ready("upload")


def test_a_newcomer_signs_up_uploads_and_opens_a_ride(
    web: App, corpus_dir: Path, tmp_path: Path
) -> None:
    _sign_up(web, new_email("newcomer"))
    files = [corpus_dir / name for name in (FIT_RIDE, GPX_RIDE, NOT_AN_ACTIVITY)]
    web.page.set_input_files("#pick-files", files)
    finished = web.page.locator("li.upload[data-state=done], li.upload[data-state=failed]")
    expect(finished).to_have_count(3, timeout=60_000)

    fit_row = _row(web, Path(FIT_RIDE).name)
    expect(fit_row).to_have_attribute("data-state", "done")
    expect(fit_row.locator("progress")).to_have_attribute("value", "1")
    imported = fit_row.locator("li[data-status=imported] a")
    expect(imported).to_have_text("open the ride")
    fit_ride_url = imported.get_attribute("href")
    assert fit_ride_url and re.fullmatch(r"/rides/[0-9a-f-]{36}", fit_ride_url)
    expect(_row(web, Path(GPX_RIDE).name).locator("li[data-status=imported]")).to_have_count(1)
    expect(_row(web, Path(NOT_AN_ACTIVITY).name)).to_have_attribute("data-outcome", "failed")
    failed = _row(web, Path(NOT_AN_ACTIVITY).name).locator("li[data-status=failed]")
    expect(failed).to_contain_text("Not an activity: expected a FIT activity file")

    # Drag and drop: a zip with a new ride and a copy of the FIT file, plus a stray text file.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("export/new.fit", (corpus_dir / ARCHIVE_RIDE).read_bytes())
        bundle.writestr("export/again.fit", (corpus_dir / FIT_RIDE).read_bytes())
    dropped = [
        {"name": "export.zip", "data": base64.b64encode(archive.getvalue()).decode()},
        {"name": "notes.txt", "data": base64.b64encode(b"not a ride").decode()},
    ]
    web.page.evaluate(DROP_FILES, dropped)
    expect(_row(web, "notes.txt")).to_have_attribute("data-state", "skipped")
    zip_row = _row(web, "export.zip")
    expect(zip_row).to_have_attribute("data-state", "done", timeout=60_000)
    expect(zip_row.locator(".status")).to_have_text("Done: 1 imported, 1 duplicate.")
    duplicate = zip_row.locator("li[data-status=duplicate]")
    expect(duplicate).to_contain_text("again.fit")
    expect(duplicate.locator("a")).to_have_attribute("href", fit_ride_url)

    # A folder: its activity files are uploaded, anything else is skipped.
    folder = tmp_path / "garmin"
    folder.mkdir()
    start = datetime(2022, 3, 4, 9, 0, tzinfo=UTC)
    (folder / "club-ride.gpx").write_bytes(training_gpx(600, start=start, name="Club ride"))
    (folder / "readme.txt").write_text("not a ride")
    web.page.set_input_files("#pick-folder", folder)
    club_ride = _row(web, "garmin/club-ride.gpx")
    expect(club_ride).to_have_attribute("data-state", "done", timeout=60_000)
    expect(club_ride.locator("li[data-status=imported]")).to_have_count(1)
    expect(_row(web, "garmin/readme.txt")).to_have_attribute("data-state", "skipped")
    web.shot("upload")

    duplicate.locator("a").click()
    web.wait_ready("ride")
    assert web.page.url.endswith(fit_ride_url)
    expect(web.page.locator("path.ride-track")).to_have_count(1)
    web.assert_no_script_errors()
