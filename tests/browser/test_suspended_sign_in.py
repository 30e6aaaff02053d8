"""A suspended rider's refused sign-in in Chromium at desktop and phone widths: the page says
why, and sends their one appeal with the appeal token the refusal carried."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.browser.test_moderation import moderator  # noqa: F401 (a fixture)
from tests.factories import STRONG_PASSWORD

SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}


def _moderator_api(api: Api, email: str, recovery_code: str) -> Api:
    """The moderator signed in through the API with a recovery code (MFA is on)."""
    login = {"email": email, "password": STRONG_PASSWORD}
    mfa_token = api.request.post("/api/v1/auth/login", data=login).json()["mfa_token"]
    answer = api.request.post(
        "/api/v1/auth/login/mfa", data={"mfa_token": mfa_token, "code": recovery_code}
    )
    assert answer.ok, answer.text()
    return Api(api.request, answer.json()["access_token"])


def _suspend(api: Api, mod: Api, reason: str) -> tuple[str, str]:
    """A new rider, suspended for good by the moderator: their e-mail and id."""
    email = new_email("carla")
    api.register_and_login(email, "Carla")
    carla_id = api.get("/api/v1/me")["id"]
    body: dict[str, Any] = {
        "kind": "suspend", "object_kind": "user", "object_id": carla_id, "reason": reason,
    }  # fmt: skip
    acted = mod.request.post("/api/v1/moderation/actions", data=body, headers=mod._headers())
    assert acted.status == 201, acted.text()
    return email, carla_id


def _sign_in_refused(app: App, email: str) -> None:
    app.goto("/signin", "signin")
    app.page.get_by_label("E-mail address").fill(email)
    app.page.get_by_label("Password").fill(STRONG_PASSWORD)
    app.page.get_by_role("button", name="Sign in").click()


def test_a_suspended_rider_reads_why_and_appeals_from_the_sign_in_page(
    screen: App,
    fresh_api: Api,
    moderator: tuple[str, str, str],  # noqa: F811
) -> None:
    app, page = screen, screen.page
    mod_email, _, recovery = moderator
    mod = _moderator_api(fresh_api, mod_email, recovery)
    email, carla_id = _suspend(fresh_api, mod, "spam in every comment")

    _sign_in_refused(app, email)
    expect(page.get_by_role("heading", name="Your account is suspended")).to_be_visible()
    expect(page.get_by_text("This account is suspended by a moderator for good.")).to_be_visible()
    expect(page.get_by_text("Reason given: spam in every comment")).to_be_visible()
    form = page.get_by_role("form", name="Appeal the suspension")
    assert app.has_no_horizontal_overflow(), "the suspension page is wider than the screen"
    app.shot(f"suspended-{page.viewport_size['width'] if page.viewport_size else 0}")
    form.get_by_label("Why it should be undone").fill("my brother used my phone")
    form.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_role("status")).to_have_text(
        "Appeal sent. Sign in later to read the moderator's decision."
    )

    queue = mod.get("/api/v1/moderation/queue")
    mine = [a["appeal_text"] for a in queue["appeals"] if a["user_id"] == carla_id]
    assert mine == ["my brother used my phone"]

    # Once per action: the next refused sign-in shows the appeal waiting, no second form.
    _sign_in_refused(app, email)
    expect(page.get_by_text("Your appeal waits for a moderator.")).to_be_visible()
    assert page.get_by_role("form", name="Appeal the suspension").count() == 0
    app.assert_no_script_errors()
