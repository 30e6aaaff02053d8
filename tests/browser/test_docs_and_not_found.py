"""Pages outside the app's own routes: the API reference at /docs, and unknown addresses."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Request, expect

from tests.browser.support import App


def test_the_api_reference_renders_from_this_server_alone(web: App) -> None:
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        if urlsplit(request.url).netloc != urlsplit(web.base).netloc:
            elsewhere.append(request.url)

    web.page.on("request", note)
    web.page.goto(web.base + "/docs")
    tags = web.page.locator(".opblock-tag")
    expect(tags.filter(has_text="segments")).to_be_visible()  # the last tag: all are drawn
    tags.filter(has_text="rides").first.click()
    expect(
        web.page.locator(".opblock-summary-path", has_text="/api/v1/uploads").first
    ).to_be_visible()
    assert elsewhere == []
    web.assert_no_script_errors()


def test_an_unknown_address_shows_the_apps_not_found_page(web: App) -> None:
    answer = web.page.goto(web.base + "/no/such/page")
    assert answer is not None and answer.status == 404
    web.wait_ready("not-found")
    expect(web.page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(web.page.get_by_role("link", name="Go to the dashboard")).to_be_visible()
    web.assert_no_script_errors()
