"""`/docs` and `/redoc` render in a real Chromium (Debian's) from assets served by the API
itself: no request of the page leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser_support import DEADLINE_MS, launched_chromium, needs_chromium, opened
from tests.integration.api_support import served_api

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API on a real socket; yields its origin."""
    with served_api(tmp_path_factory.mktemp("docs")) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as chromium:
        yield chromium


def operation_count(origin: str, browser: Browser) -> int:
    page, _ = opened(browser, f"{origin}/openapi.json")
    document = page.evaluate("JSON.parse(document.body.innerText)")
    page.close()
    return sum(len(operations) for operations in document["paths"].values())


def test_swagger_ui_lists_every_operation_with_every_request_to_the_api(
    origin: str, browser: Browser
) -> None:
    expected = operation_count(origin, browser)

    page, recorded = opened(browser, f"{origin}/docs")
    # Locator waits, not wait_for_function: the page's CSP forbids the eval that one polls with.
    page.locator(".opblock").nth(expected - 1).wait_for(state="attached", timeout=DEADLINE_MS)
    page.wait_for_load_state("networkidle", timeout=DEADLINE_MS)

    assert page.locator(".opblock").count() == expected > 40
    assert page.get_by_text("/cases/{case_id}/self-sufficiency-plan", exact=True).count() >= 1
    assert f"{origin}/openapi.json" in recorded.urls
    assert recorded.elsewhere(origin) == []
    assert recorded.failures == {}
    page.close()


def test_redoc_renders_every_operation_and_sends_nothing_off_the_machine(
    origin: str, browser: Browser
) -> None:
    expected = operation_count(origin, browser)

    page, recorded = opened(browser, f"{origin}/redoc")
    page.locator('[data-section-id^="operation/"]').nth(expected - 1).wait_for(
        state="attached", timeout=DEADLINE_MS
    )
    page.wait_for_load_state("networkidle", timeout=DEADLINE_MS)

    assert page.locator('[data-section-id^="operation/"]').count() == expected
    # ReDoc's bundle asks for its attribution logo on a CDN; the page's Content-Security-Policy
    # refuses it in the browser, before any request is sent.
    assert {url: recorded.failures.get(url) for url in recorded.elsewhere(origin)} == {
        url: "csp" for url in recorded.elsewhere(origin)
    }
    page.close()


def test_the_docs_pages_allow_loading_from_their_own_origin_only(
    origin: str, browser: Browser
) -> None:
    page = browser.new_page()
    for path in ("/docs", "/redoc"):
        response = page.goto(f"{origin}{path}", timeout=DEADLINE_MS)
        assert response is not None and response.status == 200
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "https:" not in policy
    page.close()


def test_the_assets_are_the_installed_package_files(origin: str, browser: Browser) -> None:
    from api.docs_pages import ASSETS

    page = browser.new_page()
    response = page.goto(f"{origin}/docs-assets/swagger-ui-bundle.js", timeout=DEADLINE_MS)
    assert response is not None and response.status == 200
    assert len(response.body()) == Path(ASSETS, "swagger-ui-bundle.js").stat().st_size
    page.close()
