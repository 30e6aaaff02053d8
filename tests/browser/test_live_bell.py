"""The bell follows new notifications live: two riders in two browser contexts; while Anna's
page stays open (no reload, no navigation), Bob gives kudos on her ride from his, and her
bell's count rises. Desktop width and 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import WIDTHS, new_email
from tests.browser.support import Api, App
from tests.synthetic import synthetic_gpx

SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}


@pytest.fixture
def other(browser: Browser, server: str) -> Iterator[App]:
    """A second rider's browser context (its own cookies and storage), desktop-sized."""
    context = browser.new_context(viewport=WIDTHS["desktop"])
    context.set_default_timeout(15_000)
    yield App(context.new_page(), server)
    context.close()


def test_kudos_from_another_rider_raises_the_bell_without_a_reload(
    screen: App, other: App, fresh_api: Api
) -> None:
    anna_email = new_email("anna")
    fresh_api.register_and_login(anna_email, "Anna")
    ride_id = fresh_api.import_ride("r.gpx", synthetic_gpx(datetime(2025, 6, 1, 7, tzinfo=UTC)))
    fresh_api.patch(f"/api/v1/rides/{ride_id}", {"visibility": "public"})
    bob_email = new_email("bob")
    Api(fresh_api.request).register_and_login(bob_email, "Bob")

    screen.sign_in(anna_email)
    page = screen.page
    count = page.locator("#nav a.bell .bell-count")
    expect(count).to_be_hidden()  # nothing unread yet
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    other.sign_in(bob_email)
    other.goto(f"/rides/{ride_id}", "ride")
    social = other.page.get_by_role("region", name="Kudos and comments")
    social.get_by_role("button", name="Give kudos (0)").click()
    expect(social.get_by_role("button", name="Kudos given (1)")).to_be_visible()

    expect(count).to_have_text("1", timeout=10_000)
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    assert page.evaluate("window.__samePage") is True
    assert screen.has_no_horizontal_overflow()
    page.locator("#nav a.bell").click()
    screen.wait_ready("notifications")
    expect(page.locator("li.notification")).to_have_count(1)
    expect(page.locator("li.notification")).to_contain_text("New kudos")
    screen.assert_no_script_errors()
    other.assert_no_script_errors()


def test_a_new_notification_appears_on_the_open_notifications_page(
    screen: App, other: App, fresh_api: Api
) -> None:
    anna_email = new_email("anna")
    fresh_api.register_and_login(anna_email, "Anna")
    ride_id = fresh_api.import_ride("r.gpx", synthetic_gpx(datetime(2025, 6, 2, 7, tzinfo=UTC)))
    fresh_api.patch(f"/api/v1/rides/{ride_id}", {"visibility": "public"})
    bob_email = new_email("bob")
    Api(fresh_api.request).register_and_login(bob_email, "Bob")

    screen.sign_in(anna_email)
    screen.goto("/notifications", "notifications")
    page = screen.page
    expect(page.locator("p.empty")).to_be_visible()  # nothing yet
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    other.sign_in(bob_email)
    other.goto(f"/rides/{ride_id}", "ride")
    social = other.page.get_by_role("region", name="Kudos and comments")
    social.get_by_role("button", name="Give kudos (0)").click()

    row = page.locator("li.notification")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_contain_text("New kudos")
    expect(row.get_by_role("button", name="Mark read")).to_be_visible()
    expect(page.locator("p.empty")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("1 unread")
    assert page.evaluate("window.__samePage") is True
    assert screen.has_no_horizontal_overflow()

    row.get_by_role("button", name="Mark read").click()
    expect(page.get_by_role("status")).to_have_text("All read")
    screen.assert_no_script_errors()
    other.assert_no_script_errors()
