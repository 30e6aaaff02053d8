"""Notifications in the browser: the bell's unread count, the notifications page, settings
per type and channel with quiet hours, and the unsubscribe page an e-mail links to (the mail
taken from a real SMTP server the app sends to). Desktop width and 390 px."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.servers import free_port
from tests.smtp_server import Inbox, smtp_server

SMTP_PORT = free_port()
SERVER_ENV = {
    "BIKENODE_RATE_LIMIT_STANDARD": "1000/minute",
    "BIKENODE_SMTP_HOST": "127.0.0.1",
    "BIKENODE_SMTP_PORT": str(SMTP_PORT),
    "BIKENODE_SMTP_STARTTLS": "false",
}
WAIT_S = 20.0


@pytest.fixture(scope="module", autouse=True)
def inbox() -> Iterator[Inbox]:
    with smtp_server(SMTP_PORT) as running:
        yield running


def _worn_chain(api: Api) -> None:
    """A bike with a worn chain: warn and due crossed at once, two notifications."""
    headers = {"Authorization": f"Bearer {api.token}"}
    bike = api.request.post(
        "/api/v1/bikes", data={"name": "Roubaix", "type": "road"}, headers=headers
    )
    assert bike.status == 201, bike.text()
    chain = {"type": "chain", "start_distance_m": 5e6, "installed_at": "2024-01-01T00:00:00Z"}
    path = f"/api/v1/bikes/{bike.json()['id']}/components"
    made = api.request.post(path, data=chain, headers=headers)
    assert made.status == 201, made.text()


def _until(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)  # the server's dispatcher and worker run on their own
    raise AssertionError(f"not within {WAIT_S} s: {what}")


def _rider(api: Api) -> str:
    email = new_email("notified")
    api.register_and_login(email)
    _worn_chain(api)
    _until(lambda: api.get("/api/v1/notifications/unread-count")["unread"] == 2, "2 unread")
    return email


def _mail_to(inbox: Inbox, email: str) -> EmailMessage:
    found: list[EmailMessage] = []

    def arrived() -> bool:
        found[:] = [m for m in inbox.messages if m["To"] == email]
        return bool(found)

    _until(arrived, f"an e-mail to {email}")
    return found[0]


def test_the_bell_counts_unread_and_the_page_marks_them_read(screen: App, fresh_api: Api) -> None:
    email = _rider(fresh_api)
    screen.sign_in(email)
    page = screen.page
    count = page.locator("#nav a.bell .bell-count")
    expect(count).to_have_text("2")
    expect(page.get_by_role("link", name="Notifications, 2 unread")).to_be_visible()
    page.locator("#nav a.bell").click()
    screen.wait_ready("notifications")
    items = page.locator("li.notification")
    expect(items).to_have_count(2)
    expect(page.locator("li.notification.unread")).to_have_count(2)
    assert screen.has_no_horizontal_overflow()
    items.first.get_by_role("button", name="Mark read").click()
    expect(count).to_have_text("1")
    expect(page.get_by_role("status").filter(has_text="1 unread")).to_be_visible()
    page.get_by_role("button", name="Mark all read").click()
    expect(count).to_be_hidden()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    assert fresh_api.get("/api/v1/notifications/unread-count") == {"unread": 0}
    items.first.get_by_role("link").click()  # the notification's link: the bikes page
    screen.wait_ready("bikes")
    screen.assert_no_script_errors()


def test_settings_switch_email_off_and_set_quiet_hours(screen: App, fresh_api: Api) -> None:
    email = new_email("prefs")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/settings", "settings")
    page = screen.page
    section = page.locator("section#notifications")
    expect(section.get_by_role("heading", name="Notifications")).to_be_visible()
    chain = section.locator("fieldset").filter(has_text="A component of your bike is due")
    chain.get_by_label("By e-mail").uncheck()
    section.get_by_label("Hold e-mail during quiet hours").check()
    section.get_by_label("From").fill("21:30")
    section.get_by_label("Until").fill("06:15")
    section.get_by_role("button", name="Save notification settings").click()
    expect(section.get_by_role("status")).to_have_text("Saved.")
    prefs = fresh_api.get("/api/v1/notifications/preferences")
    assert prefs["types"][0]["channels"] == {"in_app": True, "email": False, "push": True}
    assert prefs["quiet_hours"] == {"start_min": 21 * 60 + 30, "end_min": 6 * 60 + 15}
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_push_on_this_device_push_per_type_and_digests(
    screen: App, fresh_api: Api, server: str
) -> None:
    """The toggle is there once the service worker at /sw.js runs. A real subscription needs
    a push service (Google's, for Chromium) this machine cannot reach, so what is checked
    is the page: permission refused (headless Chromium never grants it unasked) says so and
    leaves the toggle off; push per type and digests are saved like the other settings."""
    email = new_email("push")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/settings", "settings")
    page = screen.page
    section = page.locator("section#notifications")
    toggle = section.get_by_label("Push on this device")
    expect(toggle).to_be_enabled()  # the service worker registered
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r && r.scope)")
    assert scope == f"{server}/"
    toggle.click()
    expect(section.get_by_role("alert")).to_contain_text("blocked")
    expect(toggle).not_to_be_checked()
    chain = section.locator("fieldset").filter(has_text="A component of your bike is due")
    chain.get_by_label("By push").uncheck()
    kudos = section.locator("fieldset").filter(has_text="Kudos on your ride")
    kudos.get_by_label("E-mail digest").select_option("weekly")
    section.get_by_label("Digest time").select_option("07:00")
    section.get_by_label("Weekly digest on").select_option("Monday")
    section.get_by_role("button", name="Save notification settings").click()
    expect(section.get_by_role("status")).to_have_text("Saved.")
    prefs = fresh_api.get("/api/v1/notifications/preferences")
    assert prefs["types"][0]["channels"] == {"in_app": True, "email": True, "push": False}
    assert (prefs["digests"]["kudos"], prefs["digests"]["comment"]) == ("weekly", "off")
    assert prefs["digest_schedule"] == {"hour": 7, "weekday": 0}
    assert fresh_api.request.get("/sw.js").headers["content-type"].startswith("text/javascript")
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_the_unsubscribe_link_of_a_real_email_works_without_signing_in(
    screen: App, fresh_api: Api, inbox: Inbox
) -> None:
    email = _rider(fresh_api)
    message = _mail_to(inbox, email)
    body = message.get_body(("plain",))
    assert body is not None
    [link] = [w for w in body.get_content().split() if "/unsubscribe?token=" in w]
    where = urlsplit(link)
    screen.goto(f"{where.path}?{where.query}", "unsubscribe")  # a fresh context: signed out
    page = screen.page
    expect(page.get_by_text("A component of your bike is due for service")).to_be_visible()
    assert fresh_api.get("/api/v1/notifications/preferences")["types"][0]["channels"]["email"]
    page.get_by_role("button", name="Stop these e-mails").click()
    expect(page.get_by_role("status")).to_contain_text("no more e-mails")
    prefs = fresh_api.get("/api/v1/notifications/preferences")
    assert prefs["types"][0]["channels"] == {"in_app": True, "email": False, "push": True}
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()


def test_a_forged_unsubscribe_link_says_so(web: App) -> None:
    web.goto("/unsubscribe?token=forged.component_due.sig", "unsubscribe")
    expect(web.page.get_by_role("alert")).to_contain_text("unsubscribe link")
