"""The API reference at /docs works with no network beyond this server."""

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
    expect(
        web.page.locator(".opblock-summary-path", has_text="/api/v1/uploads").first
    ).to_be_visible()
    assert elsewhere == []
    web.assert_no_script_errors()
