"""Two-factor sign-in in the web app: enrol in settings, then sign in with a code."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.factories import STRONG_PASSWORD, totp_code

# Several sign-ins per test from one address: the strict sign-in limit is not under test here.
SERVER_ENV = {"BIKENODE_RATE_LIMIT_LOGIN": "200/minute"}


def _post(api: Api, path: str, body: dict[str, Any]) -> Any:
    response = api.request.post(path, data=body, headers={"Authorization": f"Bearer {api.token}"})
    assert response.ok, f"POST {path}: {response.status} {response.text()}"
    return response.json()


def _rider_with_mfa(api: Api) -> tuple[str, str, list[str]]:
    """A new rider with MFA on (set up through the API): e-mail, TOTP secret, recovery codes."""
    email = new_email("mfa")
    api.register_and_login(email)
    secret = _post(api, "/api/v1/me/mfa/totp", {"current_password": STRONG_PASSWORD})["secret"]
    codes = _post(api, "/api/v1/me/mfa/totp/confirm", {"code": totp_code(secret)})
    return email, secret, codes["recovery_codes"]


def _password_step(web: App, email: str) -> None:
    web.goto("/signin", "signin")
    web.page.get_by_label("E-mail address").fill(email)
    web.page.get_by_label("Password").fill(STRONG_PASSWORD)
    web.page.get_by_role("button", name="Sign in").click()
    expect(web.page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    expect(web.page.get_by_label("Authentication code")).to_be_focused()


def _code_step(web: App, code: str) -> None:
    web.page.get_by_label("Authentication code").fill(code)
    web.page.get_by_role("button", name="Verify").click()


def _security(web: App) -> Locator:
    return web.page.get_by_role("region", name="Security")


def test_enrol_in_settings_then_sign_out_and_sign_in_with_a_code(web: App, fresh_api: Api) -> None:
    email = new_email("enrol")
    fresh_api.register_and_login(email)
    web.sign_in(email)
    web.goto("/settings", "settings")
    security = _security(web)
    expect(security.get_by_text("Two-factor sign-in is off.")).to_be_visible()
    security.get_by_label("Current password").fill(STRONG_PASSWORD)
    security.get_by_role("button", name="Set up two-factor sign-in").click()

    qr = security.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("(img) => img.complete && img.naturalWidth > 100")  # the SVG was drawn
    secret = security.locator("code.secret").get_attribute("data-secret") or ""
    assert security.locator("code.secret").inner_text().replace(" ", "") == secret
    expect(security.get_by_label("Code", exact=True)).to_be_focused()
    web.shot("settings-mfa-enrol")
    security.get_by_label("Code", exact=True).fill(totp_code(secret))
    security.get_by_role("button", name="Turn on").click()

    codes = security.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert all(len(code) == 19 for code in codes.all_inner_texts())
    web.shot("settings-recovery-codes")
    security.get_by_role("button", name="I have saved my recovery codes").click()
    expect(
        security.get_by_text("Two-factor sign-in is on. 10 of 10 recovery codes left.")
    ).to_be_visible()

    web.page.get_by_role("button", name="Sign out").click()
    web.wait_ready("signin")
    _password_step(web, email)
    web.shot("signin-second-step")
    _code_step(web, totp_code(secret, step_offset=1))  # a code of a later step: each works once
    web.wait_ready("dashboard")
    web.assert_no_script_errors()


def test_sign_in_with_a_recovery_code(web: App, fresh_api: Api) -> None:
    email, _secret, recovery = _rider_with_mfa(fresh_api)
    _password_step(web, email)
    _code_step(web, recovery[3].upper().replace("-", " "))  # typed loosely, still recognised
    web.wait_ready("dashboard")
    web.goto("/settings", "settings")
    expect(_security(web).get_by_text("9 of 10 recovery codes left.")).to_be_visible()
    web.assert_no_script_errors()


def test_a_wrong_code_says_so_and_the_right_one_still_works(web: App, fresh_api: Api) -> None:
    email, secret, _recovery = _rider_with_mfa(fresh_api)
    _password_step(web, email)
    _code_step(web, "000000")
    expect(web.page.get_by_role("alert")).to_have_text(
        "The code is not correct, or was already used. "
        "Enter the newest code from your app, or a recovery code."
    )
    expect(web.page.get_by_role("button", name="Verify")).to_be_enabled()
    web.shot("signin-wrong-code")
    _code_step(web, totp_code(secret, step_offset=1))
    web.wait_ready("dashboard")
    web.assert_no_script_errors()


def test_new_recovery_codes_and_turning_mfa_off_in_settings(web: App, fresh_api: Api) -> None:
    email, _secret, recovery = _rider_with_mfa(fresh_api)
    _password_step(web, email)
    _code_step(web, recovery[0])
    web.wait_ready("dashboard")
    web.goto("/settings", "settings")
    security = _security(web)
    renew = security.get_by_role("form", name="New recovery codes")
    renew.get_by_label("Code", exact=True).fill(recovery[1])
    renew.get_by_role("button", name="Make new recovery codes").click()
    fresh = security.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(fresh).to_have_count(10)
    new_codes = fresh.all_inner_texts()
    assert not set(new_codes) & set(recovery)
    security.get_by_role("button", name="I have saved my recovery codes").click()

    off = security.get_by_role("form", name="Turn off two-factor sign-in")
    off.get_by_label("Current password").fill(STRONG_PASSWORD)
    off.get_by_label("Code", exact=True).fill(recovery[2])  # an old code: it stopped working
    off.get_by_role("button", name="Turn off two-factor sign-in").click()
    expect(off.get_by_role("alert")).to_contain_text("The code is not correct")
    off.get_by_label("Code", exact=True).fill(new_codes[0])
    off.get_by_role("button", name="Turn off two-factor sign-in").click()
    expect(security.get_by_role("status")).to_have_text("Two-factor sign-in is off.")
    expect(security.get_by_role("button", name="Set up two-factor sign-in")).to_be_visible()
    web.assert_no_script_errors()
