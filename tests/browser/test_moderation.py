"""The moderation page in Chromium at desktop and phone widths: a moderator (MFA on) hides a
reported comment with a reason from the queue, its author appeals from their own list, and
the moderator overturns the appeal, which shows the comment again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Playwright, expect
from sqlalchemy import text

from bikenode.db.engine import create_db_engine
from tests.browser.conftest import new_email
from tests.browser.support import Api, App
from tests.browser.test_market import _server_database
from tests.factories import STRONG_PASSWORD, totp_code
from tests.synthetic import synthetic_gpx

SERVER_ENV = {"BIKENODE_RATE_LIMIT_STANDARD": "1000/minute"}


def _post(api: Api, path: str, body: dict[str, Any]) -> Any:
    response = api.request.post(path, data=body, headers=api._headers())
    assert response.ok, f"POST {path}: {response.status} {response.text()}"
    return response.json()


@pytest.fixture
def moderator(
    playwright: Playwright, server: str, tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[tuple[str, str, str]]:
    """A rider with MFA on, granted moderation (as an admin would: the flag set in the
    database): e-mail, TOTP secret and a recovery code."""
    context = playwright.request.new_context(base_url=server)
    api, email = Api(context), new_email("moderator")
    api.register_and_login(email, "Mod")
    secret = _post(api, "/api/v1/me/mfa/totp", {"current_password": STRONG_PASSWORD})["secret"]
    codes = _post(api, "/api/v1/me/mfa/totp/confirm", {"code": totp_code(secret)})
    engine = create_db_engine(_server_database(tmp_path_factory, database_url))
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts_users SET moderator = true WHERE email = :email"),
            {"email": email},
        )
    engine.dispose()
    yield email, secret, codes["recovery_codes"][0]
    context.dispose()


def _sign_in_with_code(app: App, email: str, code: str) -> None:
    app.goto("/signin", "signin")
    app.page.get_by_label("E-mail address").fill(email)
    app.page.get_by_label("Password").fill(STRONG_PASSWORD)
    app.page.get_by_role("button", name="Sign in").click()
    app.page.get_by_label("Authentication code").fill(code)
    app.page.get_by_role("button", name="Verify").click()
    app.wait_ready("dashboard")


def _sign_out(app: App) -> None:
    app.page.get_by_role("button", name="Sign out").click()
    app.wait_ready("signin")


def _fits(app: App, where: str) -> None:
    assert app.has_no_horizontal_overflow(), f"{where} is wider than the screen"


def _reported_comment(api: Api) -> tuple[str, str]:
    """Anna's public ride, Bob's comment on it, Anna's report of the comment: Bob's e-mail
    and the ride's id."""
    api.register_and_login(new_email("anna"), "Anna")
    ride_id = api.import_ride("a.gpx", synthetic_gpx(datetime(2025, 6, 1, 7, tzinfo=UTC)))
    api.patch(f"/api/v1/rides/{ride_id}", {"visibility": "public"})
    anna = Api(api.request, api.token)
    bob_email = new_email("bob")
    api.register_and_login(bob_email, "Bob")
    comment = _post(api, f"/api/v1/rides/{ride_id}/comments", {"body": "buy cheap watches"})
    report = {"kind": "comment", "id": comment["id"], "reason": "spam link"}
    _post(anna, "/api/v1/reports", report)
    return bob_email, ride_id


def test_hide_from_the_queue_appeal_and_overturn(
    screen: App, fresh_api: Api, moderator: tuple[str, str, str]
) -> None:
    app, page = screen, screen.page
    bob_email, ride_id = _reported_comment(fresh_api)
    mod_email, secret, recovery = moderator

    # The enrolment used this step's code, and each code works once: the next step's.
    _sign_in_with_code(app, mod_email, totp_code(secret, step_offset=1))
    page.get_by_role("link", name="Moderation").click()
    app.wait_ready("moderation")
    reports = page.get_by_role("list", name="Open reports")
    expect(reports.get_by_text("buy cheap watches")).to_be_visible()
    expect(reports.get_by_text("Reason given: spam link")).to_be_visible()
    _fits(app, "the moderation queue")
    app.shot(f"moderation-queue-{page.viewport_size['width'] if page.viewport_size else 0}")
    form = page.get_by_role("form", name="Act on the report of Bob's comment")
    until = form.get_by_label("Suspended until (leave empty: for good)")
    expect(until).to_be_hidden()
    form.get_by_label("Action").select_option("suspend")
    expect(until).to_be_visible()  # only a suspension has an end date
    form.get_by_label("Action").select_option("hide")
    expect(until).to_be_hidden()
    form.get_by_label("Reason").fill("selling watches")
    form.get_by_role("button", name="Act").click()
    expect(page.get_by_text("No open reports.")).to_be_visible()
    _sign_out(app)

    app.sign_in(bob_email)
    assert page.get_by_role("link", name="Moderation").count() == 0  # riders do not moderate
    app.goto("/moderation", "moderation")
    mine = page.get_by_role("list", name="Actions against you")
    expect(mine.get_by_role("heading", name="Hidden by a moderator: your comment")).to_be_visible()
    expect(mine.get_by_text("Reason: selling watches")).to_be_visible()
    _fits(app, "the actions against you")
    appeal = page.get_by_role("form", name="Appeal this action")
    appeal.get_by_label("Why it should be undone").fill("a joke among friends")
    appeal.get_by_role("button", name="Appeal").click()
    expect(mine.get_by_text("Your appeal waits for a moderator.")).to_be_visible()
    _sign_out(app)

    _sign_in_with_code(app, mod_email, recovery)
    app.goto("/moderation", "moderation")
    appeals = page.get_by_role("list", name="Appeals")
    expect(appeals.get_by_text("a joke among friends")).to_be_visible()
    decide = page.get_by_role("form", name="Decide the appeal")
    decide.get_by_label("Reason").fill("fair enough")
    decide.get_by_role("button", name="Overturn").click()
    expect(page.get_by_text("No appeals waiting.")).to_be_visible()
    _fits(app, "the moderation page")
    app.goto(f"/rides/{ride_id}", "ride")
    expect(page.get_by_text("buy cheap watches")).to_be_visible()  # shown again
    app.assert_no_script_errors()
