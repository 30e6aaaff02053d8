"""Third-party apps in the browser: the rider allows an app on the consent page, the app
gets its code, and the rider revokes it under Settings → Apps. At desktop width and 390 px.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Route, expect

from tests.browser.conftest import new_email
from tests.browser.support import Api, App

SERVER_ENV = {f"BIKENODE_RATE_LIMIT_{kind}": "100/minute" for kind in ("REGISTER", "LOGIN")}
CALLBACK = "http://127.0.0.1:9/callback"  # nothing listens: the browser test answers it


def test_a_rider_allows_an_app_and_revokes_it(screen: App, fresh_api: Api) -> None:
    email = new_email("apps")
    fresh_api.register_and_login(email, name="Ada Apps")
    bearer = {"Authorization": f"Bearer {fresh_api.token}"}
    body = {"name": "Coach tool", "redirect_uris": [CALLBACK], "confidential": False}
    app = fresh_api.request.post("/api/v1/apps", data=body, headers=bearer).json()
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "profile:read rides:read",
        "state": "s-123",
        "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    screen.page.route(f"{CALLBACK}*", lambda route: _answer(route))
    screen.sign_in(email)
    screen.page.goto(f"{screen.base}/oauth/authorize?{urlencode(query)}")
    screen.wait_ready("oauth-consent")
    expect(screen.page.locator("h1")).to_have_text("Allow Coach tool to use your account?")
    expect(screen.page.locator(".scope-list li")).to_have_count(2)
    size = screen.page.viewport_size
    screen.shot(f"oauth-consent-{size['width'] if size else 0}")
    assert screen.has_no_horizontal_overflow()
    with screen.page.expect_navigation(url=f"{CALLBACK}*"):
        screen.page.get_by_role("button", name="Allow").click()
    back = parse_qs(urlsplit(screen.page.url).query)
    assert back["state"] == ["s-123"]
    form = {
        "grant_type": "authorization_code",
        "code": back["code"][0],
        "redirect_uri": CALLBACK,
        "client_id": app["client_id"],
        "code_verifier": verifier,
    }
    token = fresh_api.request.post("/oauth/token", form=form).json()
    app_bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert fresh_api.request.get("/api/v1/me", headers=app_bearer).status == 200

    screen.goto("/settings", "settings")
    screen.page.get_by_role("link", name="Apps and tokens").click()
    screen.wait_ready("settings-apps")
    expect(screen.page.locator(".grant strong")).to_have_text(["Coach tool"])
    screen.shot(f"settings-apps-{size['width'] if size else 0}")
    assert screen.has_no_horizontal_overflow()
    screen.page.get_by_role("button", name="Revoke Coach tool").click()
    expect(screen.page.locator(".grant")).to_have_count(0)
    expect(screen.page.locator("[role=status]")).to_contain_text("can no longer use")
    assert fresh_api.request.get("/api/v1/me", headers=app_bearer).status == 401
    screen.assert_no_script_errors()


def _answer(route: Route) -> None:
    route.fulfill(status=200, content_type="text/plain", body="the app got its code")
