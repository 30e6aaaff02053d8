"""Forgotten password in the web app: a link by e-mail (the server's outbox), a new password."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.factories import STRONG_PASSWORD, totp_code

NEW_PASSWORD = "the passphrase after the reset"
# No BIKENODE_SMTP_HOST: the server writes each message to DATA_DIR/outbox, as it does for a
# self-hoster without mail.


def _link_for(tmp_path_factory: pytest.TempPathFactory, email: str) -> str:
    """The reset link in the outbox message to `email`, once the server has written it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for path in tmp_path_factory.getbasetemp().glob("browser-server*/outbox/*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            if message["To"] == email:
                found = re.search(r"http://\S+/reset-password#token=\S+", message.get_content())
                assert found, message.get_content()
                return found.group(0)
        time.sleep(0.1)  # the server delivers after it has answered: poll its outbox
    raise AssertionError(f"no reset e-mail to {email} in the outbox within 15 s")


def _ask_for_link(api: Api, email: str) -> None:
    response = api.request.post("/api/v1/auth/password-reset", data={"email": email})
    assert response.status == 202, response.text()


def test_forgot_password_then_a_new_password_from_the_emailed_link(
    web: App, fresh_api: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    email = new_email("forgetful")
    fresh_api.register_and_login(email)
    web.goto("/signin", "signin")
    web.page.get_by_role("link", name="Forgot password?").click()
    web.wait_ready("forgot-password")
    web.page.get_by_label("E-mail address").fill(email)
    web.page.get_by_role("button", name="Send reset link").click()
    expect(web.page.get_by_role("status")).to_have_text(
        "If an account exists for that address, a reset link is on its way. "
        "It works once, for 30 minutes."
    )
    web.shot("forgot-password")

    link = _link_for(tmp_path_factory, email)
    web.page.goto(link)
    web.wait_ready("reset-password")
    assert "#" not in web.page.url and "token" not in web.page.url  # out of the address bar
    web.page.get_by_label("New password").fill(NEW_PASSWORD)
    web.page.get_by_role("button", name="Set new password").click()
    expect(web.page.get_by_role("status")).to_have_text(
        "Your password is changed, and every session was signed out."
    )
    web.shot("reset-password-done")
    web.page.get_by_role("link", name="Sign in").last.click()
    web.sign_in(email, NEW_PASSWORD)

    # The same link a second time: it works once.
    web.page.goto(link)
    web.wait_ready("reset-password")
    web.page.get_by_label("New password").fill("and yet another passphrase")
    web.page.get_by_role("button", name="Set new password").click()
    expect(web.page.get_by_role("alert")).to_have_text(
        "This reset link is not valid any more: it works once, for 30 minutes. Ask for a new one."
    )
    web.assert_no_script_errors()


def test_with_mfa_the_reset_page_asks_for_the_code(
    web: App, fresh_api: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    email = new_email("reset-mfa")
    fresh_api.register_and_login(email)
    headers = {"Authorization": f"Bearer {fresh_api.token}"}

    def post(path: str, body: dict[str, Any]) -> Any:
        response = fresh_api.request.post(path, data=body, headers=headers)
        assert response.ok, response.text()
        return response.json()

    secret = post("/api/v1/me/mfa/totp", {"current_password": STRONG_PASSWORD})["secret"]
    post("/api/v1/me/mfa/totp/confirm", {"code": totp_code(secret)})
    _ask_for_link(fresh_api, email)
    web.page.goto(_link_for(tmp_path_factory, email))
    web.wait_ready("reset-password")
    web.page.get_by_label("New password").fill("tandem-7x")  # 8 characters are enough with MFA
    web.page.get_by_role("button", name="Set new password").click()
    expect(web.page.get_by_role("alert")).to_contain_text("This account uses two-factor sign-in")
    web.page.get_by_label("Authentication code").fill(totp_code(secret, step_offset=1))
    web.page.get_by_role("button", name="Set new password").click()
    expect(web.page.get_by_role("status")).to_contain_text("Your password is changed")
    web.assert_no_script_errors()


def test_the_reset_page_without_a_link_explains_itself(web: App) -> None:
    web.goto("/reset-password", "reset-password")
    expect(web.page.get_by_text("Open this page with the link from the e-mail.")).to_be_visible()
    web.page.get_by_role("link", name="Ask for a link").click()
    web.wait_ready("forgot-password")
    web.assert_no_script_errors()
