"""Driving Debian's Chromium through Playwright: launching it, and what a page asked for."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEADLINE_MS = 60_000

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (Debian package `chromium`; `make system-deps`)",
    ),
]


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    # Playwright's own browser download cannot work here: it drives the system's Chromium.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox"],  # CI runs as root, where Chromium's sandbox cannot start
            timeout=DEADLINE_MS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Recorded:
    """Every request a page made, those the browser refused to send and why, and what its
    console reported as an error."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.failures: dict[str, str | None] = {}
        self.console_errors: list[str] = []
        page.on("request", self.request)
        page.on("requestfailed", self.failed)
        page.on("console", lambda message: self._console(message.type, message.text))
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def request(self, request: Request) -> None:
        self.urls.append(request.url)

    def failed(self, request: Request) -> None:
        self.failures[request.url] = request.failure

    def _console(self, kind: str, text: str) -> None:
        if kind == "error":
            self.console_errors.append(text)

    def elsewhere(self, origin: str) -> list[str]:
        """Network requests to anywhere but `origin` (data: and blob: URLs stay in the page)."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob")
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin
        ]


def opened(browser: Browser, url: str, **context: object) -> tuple[Page, Recorded]:
    page = browser.new_page(**context)  # type: ignore[arg-type]
    page.set_default_timeout(DEADLINE_MS)
    recorded = Recorded(page)
    page.goto(url, wait_until="load", timeout=DEADLINE_MS)
    return page, recorded
