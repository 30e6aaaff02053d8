"""The repair market in Chromium, with two browsers at once: a rider posts a job about their
bike, a mechanic nearby finds it and quotes, the rider accepts, the mechanic does and
invoices the work, the rider pays and reviews; the bike's history shows the service. At
desktop width and at a phone's 390 px."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect
from sqlalchemy import text

from bikenode.db.engine import create_db_engine
from tests.browser.conftest import WIDTHS, new_email
from tests.browser.support import Api, App

SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}
HOME = (48.85837, 2.29448)
SERVICE_TIMEOUT_S = 60.0


def _server_database(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> str:
    """The served app's database: the shared PostgreSQL, or the SQLite file in its data dir."""
    if not database_url.startswith("sqlite"):
        return database_url
    folders = sorted(
        tmp_path_factory.getbasetemp().glob("browser-server*/bikenode.sqlite3"),
        key=lambda p: p.stat().st_mtime,
    )
    return f"sqlite:///{folders[-1]}"


@pytest.fixture
def mechanic_email(
    playwright: Playwright, server: str, tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[str]:
    """A registered user made a mechanic (as an admin would: the role set in the database)."""
    context = playwright.request.new_context(base_url=server)
    email = new_email("mechanic")
    Api(context).register_and_login(email, "Spokes & Sons")
    engine = create_db_engine(_server_database(tmp_path_factory, database_url))
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts_users SET role = 'mechanic' WHERE email = :email"),
            {"email": email},
        )
    engine.dispose()
    yield email
    context.dispose()


def _wait_for_service(api: Api, bike_id: str) -> dict[str, object]:
    """The served app's dispatcher adds the job to the bike's log in the background."""
    deadline = time.monotonic() + SERVICE_TIMEOUT_S
    while time.monotonic() < deadline:
        items = api.get(f"/api/v1/bikes/{bike_id}/history")["items"]
        services = [e for e in items if e["kind"] == "service"]
        if services:
            return services[0]  # type: ignore[no-any-return]
        time.sleep(0.2)  # polling the server's background work, not the browser
    raise AssertionError(f"no service logged on bike {bike_id} within {SERVICE_TIMEOUT_S} s")


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def test_a_repair_goes_from_posted_to_reviewed_in_two_browsers(
    screen: App, browser: Browser, fresh_api: Api, mechanic_email: str
) -> None:
    rider = screen
    email = new_email()
    fresh_api.register_and_login(email)
    bike = fresh_api.request.post(
        "/api/v1/bikes",
        data={"name": "Allez", "type": "road"},
        headers={"Authorization": f"Bearer {fresh_api.token}"},
    ).json()
    chain = fresh_api.request.post(
        f"/api/v1/bikes/{bike['id']}/components",
        data={"type": "chain", "installed_at": "2024-01-01T00:00:00Z"},
        headers={"Authorization": f"Bearer {fresh_api.token}"},
    )
    assert chain.ok, chain.text()
    rider.sign_in(email)
    rider.goto("/market", "market")
    form = rider.page.get_by_role("form", name="Post a repair job")
    form.get_by_label("Bike").select_option(label="Allez")
    form.get_by_label("Chain").check()
    form.get_by_label("What needs doing").fill("Creaking bottom bracket")
    form.get_by_label("Details").fill("Creaks under load")
    form.get_by_label("Latitude").fill(str(HOME[0]))
    form.get_by_label("Longitude").fill(str(HOME[1]))
    _fits(rider, "the repairs page")
    form.get_by_role("button", name="Post the job").click()
    rider.wait_ready("market-job")
    expect(rider.page.locator(".job-state")).to_have_text("Open for quotes")
    expect(rider.page.get_by_text(f"{HOME[0]:.3f}")).to_have_count(0)  # never the exact point
    job_url = rider.page.url

    size = rider.page.viewport_size or WIDTHS["desktop"]
    context = browser.new_context(viewport=size)
    context.set_default_timeout(15_000)
    mechanic = App(context.new_page(), rider.base)
    try:
        mechanic.sign_in(mechanic_email)
        mechanic.goto("/market", "market")
        search = mechanic.page.get_by_role("form", name="Find open jobs")
        search.get_by_label("Latitude").fill("48.86")
        search.get_by_label("Longitude").fill("2.30")
        search.get_by_role("button", name="Find open jobs").click()
        quote = mechanic.page.get_by_role("form", name="Quote for Creaking bottom bracket")
        # Line items: labour by the hour and a part, at Germany's 19 % (the country's rate)
        quote.get_by_role("button", name="Add a line").click()
        rows = quote.locator(".line-row")
        for n, (kind, item, qty, unit) in enumerate(
            (("labour", "Fit and face", "1.5", "40"), ("part", "BB-RS500", "1", "29.99"))
        ):
            rows.nth(n).get_by_label("Kind").select_option(kind)
            rows.nth(n).get_by_label("Item").fill(item)
            rows.nth(n).get_by_label("Quantity").fill(qty)
            rows.nth(n).get_by_label("Unit price before tax (EUR)").fill(unit)
        quote.get_by_label("Country (for its tax rates)").fill("DE")
        quote.get_by_label("Message").fill("Thursday morning")
        quote.get_by_role("button", name="Send the quote").click()
        expect(quote.get_by_role("status")).to_have_text("Quote sent.")
        _fits(mechanic, "the mechanic's open jobs")

        rider.page.reload()
        rider.wait_ready("market-job")
        expect(rider.page.locator(".quote")).to_contain_text("107.09")  # 89.99 + 19 % per line
        lines = rider.page.locator(".quote table.lines tbody tr")
        expect(lines).to_have_count(2)
        expect(lines.nth(0)).to_contain_text("Fit and face")
        expect(lines.nth(0)).to_contain_text("1.5")
        _fits(rider, "the quote's lines")
        rider.page.get_by_role("button", name="Accept this quote").click()
        expect(rider.page.locator(".job-state")).to_have_text("Quote accepted")

        mechanic.page.goto(job_url)
        mechanic.wait_ready("market-job")
        for step, state in (
            ("Start the work", "Work in progress"),
            ("Mark the work done", "Work done"),
        ):
            mechanic.page.get_by_role("button", name=step).click()
            expect(mechanic.page.locator(".job-state")).to_have_text(state)
        extra = mechanic.page.locator(".line-items .line-row").first  # agreed in the thread
        extra.get_by_label("Kind").select_option("part")
        extra.get_by_label("Item").fill("Brake cable")
        extra.get_by_label("Quantity").fill("2")
        extra.get_by_label("Unit price before tax (EUR)").fill("3.50")
        mechanic.page.get_by_role("button", name="Send the invoice").click()
        expect(mechanic.page.locator(".job-state")).to_have_text("Invoiced")
        _fits(mechanic, "the job page")
        mechanic.assert_no_script_errors()
    finally:
        context.close()

    rider.page.reload()
    rider.wait_ready("market-job")
    invoice = rider.page.locator(".invoice")
    expect(invoice.get_by_role("heading")).to_have_text(re.compile(r"Invoice \d{4}-000001"))
    expect(invoice.locator("tbody tr")).to_have_count(3)
    expect(invoice.locator("tbody tr").nth(2)).to_contain_text("Brake cable (added)")
    expect(invoice.locator(".invoice-total")).to_contain_text("115.42")  # 107.09 + 8.33
    _fits(rider, "the invoice")
    with rider.page.expect_download() as downloaded:
        invoice.get_by_role("link", name=re.compile("Download invoice")).click()
    pdf = Path(downloaded.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and downloaded.value.suggested_filename.endswith("-000001.pdf")
    rider.page.get_by_role("button", name="Pay the invoice").click()
    expect(rider.page.locator(".job-state")).to_have_text("Paid (held until you review)")
    review = rider.page.get_by_role("form", name="Review the work")
    review.get_by_label("Rating").select_option("5")
    review.get_by_label("Review").fill("Silent again")
    review.get_by_role("button", name="Send the review").click()
    expect(rider.page.locator(".job-state")).to_have_text("Reviewed")
    _fits(rider, "the reviewed job")
    service = _wait_for_service(fresh_api, bike["id"])
    assert "Creaking bottom bracket" in str(service["notes"])
    rider.assert_no_script_errors()


def test_another_rider_sees_no_job_page(screen: App, fresh_api: Api, tmp_path: Path) -> None:
    email = new_email()
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/market/jobs/00000000-0000-4000-8000-000000000000", "market-job")
    expect(screen.page.get_by_role("heading", level=1)).to_have_text("Job not found")
