"""The webhooks page in the browser: create one for a real receiver on loopback, the secret
shown once and verifying the delivery a ride upload sends, the deliveries log with the
receiver's status code, rotate, pause and resume, delete; a 410's notification links to the
disabled webhook with its log open. Desktop width and 390 px."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App, training_gpx
from tests.webhook_receiver import Receiver, webhook_receiver

SERVER_ENV = {
    "BIKENODE_RATE_LIMIT_STANDARD": "1000/minute",
    "BIKENODE_WEBHOOKS_ALLOWED_HOSTS": "127.0.0.1",  # the test's receiver, as for a LAN host
}
WAIT_S = 20.0
WHSEC = re.compile(r"^whsec_\S+$")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _until(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)  # the server's dispatcher and worker run on their own
    raise AssertionError(f"not within {WAIT_S} s: {what}")


def test_a_webhook_is_made_verified_logged_rotated_paused_and_deleted(
    screen: App, fresh_api: Api, receiver: Receiver
) -> None:
    email = new_email("hooks")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/settings", "settings")
    page = screen.page
    page.get_by_role("link", name="manage webhooks").click()
    screen.wait_ready("webhooks")
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()

    form = page.locator("form").filter(has_text="New webhook")
    form.get_by_label("Receiver URL").fill(receiver.url)
    form.get_by_label("A ride is changed (ride.updated)").check()
    form.get_by_role("button", name="Create webhook").click()
    secret_box = page.locator(".webhook-secret")
    expect(secret_box).to_have_text(WHSEC)
    secret = secret_box.inner_text()
    receiver.secrets.append(secret)
    card = page.locator("li.webhook")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("ride.created, ride.updated")
    expect(card).to_contain_text("Active")
    assert screen.has_no_horizontal_overflow()

    fresh_api.import_ride("hooked.gpx", training_gpx(60, start=datetime(2025, 6, 1, 7, tzinfo=UTC)))
    _until(lambda: receiver.store, "a verified delivery at the receiver")
    assert receiver.requests[0].verified_by == [secret]  # the secret the page showed signs
    card.get_by_role("button", name="Show deliveries").click()
    row = card.locator("table.deliveries tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td.status-code")).to_have_text("200")
    expect(row).to_contain_text("ride.created")
    assert screen.has_no_horizontal_overflow()

    card.get_by_role("button", name="Rotate secret").click()
    rotated = card.locator(".webhook-secret")
    expect(rotated).to_have_text(WHSEC)
    assert rotated.inner_text() != secret
    expect(page.locator(".webhook-secret").filter(has_text=secret)).to_have_count(0)

    card.get_by_role("button", name="Pause").click()
    expect(card).to_contain_text("Paused")
    [hook] = fresh_api.get("/api/v1/webhooks")["webhooks"]
    assert hook["disabled_at"] is not None
    card.get_by_role("button", name="Resume").click()
    expect(card).to_contain_text("Active")
    assert fresh_api.get("/api/v1/webhooks")["webhooks"][0]["disabled_at"] is None

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="Webhook deleted.")).to_be_visible()
    expect(page.locator("li.webhook")).to_have_count(0)
    assert fresh_api.get("/api/v1/webhooks")["webhooks"] == []
    screen.assert_no_script_errors()


def test_a_private_address_is_refused_with_a_clear_message(screen: App, fresh_api: Api) -> None:
    email = new_email("hooks-refused")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    screen.goto("/settings/webhooks", "webhooks")
    page = screen.page
    form = page.locator("form").filter(has_text="New webhook")
    form.get_by_label("Receiver URL").fill("http://10.0.0.1/hook")
    form.get_by_role("button", name="Create webhook").click()
    expect(form.get_by_role("alert")).to_be_visible()
    expect(page.locator("li.webhook")).to_have_count(0)
    assert screen.has_no_horizontal_overflow()


def test_a_webhook_disabled_by_a_410_is_told_and_its_link_shows_the_log(
    screen: App, fresh_api: Api, receiver: Receiver
) -> None:
    email = new_email("gone")
    fresh_api.register_and_login(email)
    screen.sign_in(email)
    receiver.statuses = [410]
    body = {"url": receiver.url, "event_types": ["ride.created"]}
    auth = {"Authorization": f"Bearer {fresh_api.token}"}
    made = fresh_api.request.post("/api/v1/webhooks", data=body, headers=auth)
    assert made.status == 201, made.text()
    hook = made.json()
    receiver.secrets.append(hook["secret"])  # unverified requests get 401, not the 410
    fresh_api.import_ride("gone.gpx", training_gpx(60, start=datetime(2025, 6, 2, 7, tzinfo=UTC)))

    def told() -> bool:
        items = fresh_api.get("/api/v1/notifications")["items"]
        return any(n["type"] == "webhook_disabled" for n in items)

    _until(told, "a webhook_disabled notification")
    screen.goto("/notifications", "notifications")
    page = screen.page
    page.get_by_role("link", name="A webhook to 127.0.0.1 was disabled").click()
    screen.wait_ready("webhooks")
    card = page.locator(f'li.webhook[data-id="{hook["id"]}"]')
    expect(card).to_contain_text("Paused: the receiver answered 410 Gone")
    expect(card.locator("table.deliveries tbody tr td.status-code")).to_have_text("410")
    assert screen.has_no_horizontal_overflow()
    screen.assert_no_script_errors()
