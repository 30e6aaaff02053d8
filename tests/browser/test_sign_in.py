"""Signing in and out: clear errors, keyboard use, a session the page's scripts cannot read."""

from __future__ import annotations

import re

from playwright.sync_api import expect

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
