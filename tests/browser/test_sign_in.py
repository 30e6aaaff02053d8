"""Signing in and out: clear errors, keyboard use, a session the page's scripts cannot read."""

from __future__ import annotations

import re

from playwright.sync_api import Route, expect

from tests.browser.conftest import Rider
from tests.browser.support import App
from tests.factories import STRONG_PASSWORD


def test_a_wrong_password_shows_a_clear_message(web: App, rider: Rider) -> None:
    web.goto("/signin", "signin")
    web.shot("signin")
    web.page.get_by_label("E-mail address").fill(rider.email)
    web.page.get_by_label("Password").fill("this is not my password")
    web.page.get_by_role("button", name="Sign in").click()
    alert = web.page.get_by_role("alert")
    expect(alert).to_have_text(
        "The e-mail address or password is not correct. Check both and try again."
    )
    expect(web.page.get_by_role("button", name="Sign in")).to_be_enabled()
    assert web.page.url.endswith("/signin")
    web.shot("signin-wrong-password")
    web.assert_no_script_errors()


def test_sign_in_with_the_keyboard_alone(web: App, rider: Rider) -> None:
    web.goto("/signin", "signin")
    expect(web.page.locator("h1")).to_be_focused()
    web.page.keyboard.press("Tab")
    expect(web.page.get_by_label("E-mail address")).to_be_focused()
    web.page.keyboard.type(rider.email)
    web.page.keyboard.press("Tab")
    web.page.keyboard.type(STRONG_PASSWORD)
    web.page.keyboard.press("Enter")
    web.wait_ready("dashboard")
    web.assert_no_script_errors()


def test_the_session_survives_a_reload_and_sign_out_ends_it(web: App, rider: Rider) -> None:
    web.sign_in(rider.email)
    assert "bikenode_refresh" not in web.page.evaluate("() => document.cookie")
    cookies = web.page.context.cookies()
    [session] = [c for c in cookies if c["name"] == "bikenode_refresh"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert session["path"] == "/api/v1/auth/web"

    web.goto("/rides", "rides")  # a full page load: the cookie brings the session back
    expect(web.page.get_by_role("button", name="Sign out")).to_be_visible()
    web.page.get_by_role("button", name="Sign out").click()
    web.wait_ready("signin")
    web.goto("/rides", "signin")  # signed out: sent to sign in, then back
    assert re.search(r"/signin\?next=%2Frides$", web.page.url), web.page.url
    web.page.get_by_label("E-mail address").fill(rider.email)
    web.page.get_by_label("Password").fill(STRONG_PASSWORD)
    web.page.get_by_role("button", name="Sign in").click()
    web.wait_ready("rides")
    web.assert_no_script_errors()


def test_sign_up_explains_a_password_that_is_too_short(web: App) -> None:
    web.goto("/signup", "signup")
    web.page.get_by_label("Your name").fill("Shorty")
    web.page.get_by_label("E-mail address").fill("shorty@example.org")
    password = web.page.get_by_label("Password")
    password.fill("too short")
    web.page.get_by_role("button", name="Create account").click()
    # The browser's own check stops the form first, saying why.
    message = password.evaluate("(input) => input.validationMessage")
    assert "15" in message, message
    web.assert_no_script_errors()


def test_sign_up_with_a_taken_email_asks_to_check_the_mail(web: App, rider: Rider) -> None:
    web.goto("/signup", "signup")
    web.page.get_by_label("Your name").fill("Copycat")
    web.page.get_by_label("E-mail address").fill(rider.email)
    web.page.get_by_label("Password").fill("not the rider's own passphrase")
    web.page.get_by_role("button", name="Create account").click()
    expect(web.page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(web.page.get_by_role("status")).to_contain_text(f"If {rider.email} already has")
    expect(web.page.get_by_role("link", name="Sign in").last).to_be_visible()
    web.assert_no_script_errors()


def test_a_busy_server_at_start_keeps_the_session_and_the_page_recovers(
    web: App, rider: Rider
) -> None:
    """A 429 or 503 on the first refresh neither signs the rider out nor leaves a blank page."""
    web.sign_in(rider.email)
    refusals: list[str] = []

    def busy_twice(route: Route) -> None:
        if len(refusals) < 2:
            refusals.append(route.request.url)
            route.fulfill(
                status=429 if not refusals[1:] else 503,
                headers={"Retry-After": "1", "Content-Type": "application/problem+json"},
                body='{"title": "Too many requests", "status": 429, "detail": "slow down"}',
            )
        else:
            route.continue_()

    web.page.route("**/api/v1/auth/web/refresh", busy_twice)
    web.page.goto(web.base + "/rides")  # a full load: the session comes back by a refresh
    web.wait_ready("busy")
    expect(web.page.get_by_role("heading", name="BikeNode is busy")).to_be_visible()
    expect(web.page.get_by_role("status")).to_contain_text("Trying again in 1 s")
    web.wait_ready("rides")  # came back by itself, still signed in
    assert len(refusals) == 2
    expect(web.page.get_by_role("button", name="Sign out")).to_be_visible()
    web.assert_no_script_errors()


def test_a_busy_answer_to_a_read_is_retried_after_the_wait_it_asks_for(
    web: App, rider: Rider
) -> None:
    web.sign_in(rider.email)
    refused: list[str] = []

    def busy_once(route: Route) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=503, headers={"Retry-After": "1"}, body="")
        else:
            route.continue_()

    web.page.route("**/api/v1/rides?*", busy_once)
    web.page.get_by_role("link", name="Rides").first.click()
    web.wait_ready("rides")
    assert refused
    expect(web.page.locator("[aria-busy]")).to_have_count(0)
    expect(web.page.get_by_role("alert")).to_have_count(0)  # no "server answered 503" box
    [ride_id, *_] = rider.rides.values()
    expect(web.page.locator(f'a[href="/rides/{ride_id}"]').first).to_be_visible()
    web.assert_no_script_errors()
