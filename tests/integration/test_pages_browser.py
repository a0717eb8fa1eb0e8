"""The pages in a real Chromium (Debian's): each renders from the synthetic caseload with its
key elements, sends no request off the machine, logs no console error, passes axe-core's
accessibility check with no serious or critical violation, works from the keyboard, and fits a
1280 px screen and a tablet."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from adapters.replay_report import write_reports
from application.policy_replay import load_candidates, replay_policy
from application.settings import Settings
from domain.base import Role
from tests.browser_support import DEADLINE_MS, launched_chromium, needs_chromium, opened
from tests.integration.api_support import ROLE_ACTORS, served_api, token_for
from tests.integration.pages_support import (
    CAP_CASE,
    OUTCOME,
    TAMPERED_CASE,
    PagesData,
    fill_pages_data,
)

pytestmark = needs_chromium

AXE = (
    Path(__file__).resolve().parents[2]
    / ".cache"
    / "npm"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
REPLAYED = ("window-only.json", "wider-window.json", "two-month-services.json")
CANDIDATES = Path(__file__).resolve().parents[2] / "docs" / "replay"
PRINTED_PAGES_AT_MOST = 8
A4_LANDSCAPE_POINTS = (842, 595)
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}
PAGES = {
    "case": f"/pages/cases/{CAP_CASE}",
    "tampered case": f"/pages/cases/{TAMPERED_CASE}",
    "case as of a date": f"/pages/cases/{CAP_CASE}?as_of=2025-03-01",
    "caseload board": "/pages/caseload",
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> PagesData:
    return fill_pages_data(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def origin(data: PagesData) -> Iterator[str]:
    with served_api(data.data_dir) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def replay_page(data: PagesData, origin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replay comparison of the same store under three candidates, written as `pes replay`
    writes it, its case numbers leading to the API's case pages."""
    candidates = load_candidates([CANDIDATES / name for name in REPLAYED])
    findings = replay_policy(Settings(data_dir=data.data_dir), candidates)
    out = tmp_path_factory.mktemp("replay")
    write_reports(findings, out, lambda number: f"{origin}/pages/cases/{number}")
    return out / "replay.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as chromium:
        yield chromium


def signed_in() -> dict[str, object]:
    return {
        "extra_http_headers": {"Authorization": f"Bearer {token_for(ROLE_ACTORS[Role.SUPERVISOR])}"}
    }


def serious_violations(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical, each with the elements it found."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make browser-assets` (axe-core from npm)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_renders_locally_without_console_errors_or_serious_accessibility_violations(
    origin: str, browser: Browser, name: str
) -> None:
    page, recorded = opened(browser, origin + PAGES[name], viewport=DESKTOP, **signed_in())
    page.wait_for_load_state("networkidle", timeout=DEADLINE_MS)

    assert page.locator("h1").count() == 1
    assert recorded.elsewhere(origin) == []
    assert recorded.failures == {}
    assert recorded.console_errors == []
    page.close()
    # axe runs its own script, which the pages' Content-Security-Policy (no script at all)
    # would refuse: it is checked in a page loaded with that policy bypassed.
    checked, _ = opened(
        browser, origin + PAGES[name], viewport=DESKTOP, bypass_csp=True, **signed_in()
    )
    assert serious_violations(checked) == []
    checked.close()


def test_the_window_end_is_drawn_at_outcome_plus_12_months_VR_02(
    origin: str, browser: Browser
) -> None:
    page, _ = opened(browser, origin + PAGES["case"], viewport=DESKTOP, **signed_in())

    window = page.locator("svg.case-drawing g.span.window rect")
    svg = page.locator("svg.case-drawing")
    first = date.fromisoformat(svg.get_attribute("data-first") or "")
    last = date.fromisoformat(svg.get_attribute("data-last") or "")
    left = float(svg.get_attribute("data-plot-left") or 0)
    right = float(svg.get_attribute("data-plot-right") or 0)
    end = date(2026, 1, 15) + timedelta(days=1)  # the window's last day, drawn to its end
    expected_x = left + (end - first).days / (last - first).days * (right - left)
    x = float(window.get_attribute("x") or 0) + float(window.get_attribute("width") or 0)

    assert date(2025, 1, 15) == OUTCOME
    assert abs(x - expected_x) < 0.5
    assert window.bounding_box() is not None  # drawn, not just present
    page.close()


def test_a_service_beyond_its_cap_and_a_broken_chain_are_visible(
    origin: str, browser: Browser
) -> None:
    page, _ = opened(browser, origin + PAGES["case"], viewport=DESKTOP, **signed_in())
    beyond = page.locator("svg.case-drawing g.span.beyond-cap")
    assert beyond.count() == 1 and beyond.is_visible()
    assert page.get_by_text("Hash chain verified").is_visible()
    page.close()

    tampered, _ = opened(browser, origin + PAGES["tampered case"], viewport=DESKTOP, **signed_in())
    assert tampered.get_by_text("Hash chain broken").is_visible()
    assert tampered.locator("#chain li").count() == 1
    tampered.close()


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1280px", "tablet"])
def test_the_pages_fit_the_screen_without_sideways_scrolling(
    origin: str, browser: Browser, viewport: dict[str, int]
) -> None:
    for path in PAGES.values():
        page, _ = opened(browser, origin + path, viewport=viewport, **signed_in())
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {viewport['width']}px screen"
        page.close()


def test_the_board_works_from_the_keyboard_and_signing_in_through_the_form(
    origin: str, browser: Browser
) -> None:
    page, _ = opened(browser, origin + "/pages/caseload", viewport=DESKTOP)
    assert page.url.startswith(origin + "/pages/sign-in")
    page.get_by_label("Your token").fill(token_for(ROLE_ACTORS[Role.SUPERVISOR]))
    page.keyboard.press("Enter")
    page.wait_for_url(origin + "/pages/caseload", timeout=DEADLINE_MS)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "caseworker"
    page.keyboard.type("cw-1")
    page.keyboard.press("Enter")
    page.wait_for_url("**caseworker=cw-1**", timeout=DEADLINE_MS)
    assert page.locator("section h2").all_inner_texts() == ["cw-1"]

    page.get_by_role("link", name=CAP_CASE).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/pages/cases/{CAP_CASE}", timeout=DEADLINE_MS)
    assert page.locator("h1").inner_text() == f"Case {CAP_CASE}"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert (
        cookies["pes_token"]["httpOnly"]
        and json.dumps(cookies["pes_token"]["sameSite"]) == '"Strict"'
    )
    page.close()


@pytest.mark.parametrize(
    ("case", "chain"),
    [(CAP_CASE, "verified to version 5"), (TAMPERED_CASE, "BROKEN after version 2 of 5")],
)
def test_the_audit_file_prints_to_a_pdf_headed_with_case_date_policy_and_chain(
    origin: str, case: str, chain: str
) -> None:
    auditor = {"Authorization": f"Bearer {token_for(ROLE_ACTORS[Role.AUDITOR])}"}
    response = httpx.get(
        f"{origin}/pages/cases/{case}/audit-file.pdf", headers=auditor, timeout=DEADLINE_MS / 1000
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="audit-file-{case}.pdf"' in response.headers["content-disposition"]
    pdf = PdfReader(io.BytesIO(response.content))
    first = " ".join((pdf.pages[0].extract_text() or "").split())
    printed_text = " ".join(printed.extract_text() or "" for printed in pdf.pages)
    assert 1 <= len(pdf.pages) <= PRINTED_PAGES_AT_MOST
    for printed in pdf.pages:
        size = (round(float(printed.mediabox.width)), round(float(printed.mediabox.height)))
        assert size == A4_LANDSCAPE_POINTS
    # Everything printed, up to the case's last fact and the footer after it.
    assert printed_text.index("Service authorized") < printed_text.index("money is in US dollars")
    assert f"Audit file of case {case}" in first
    assert f"Produced {datetime.now(UTC):%Y-%m-%d}" in first
    assert "Policy versions 2018-10-02" in first
    assert f"Hash chain {chain}" in first


def test_the_replay_comparison_renders_locally_accessible_and_links_to_case_pages(
    replay_page: Path, origin: str, browser: Browser
) -> None:
    page, recorded = opened(browser, replay_page.as_uri(), viewport=DESKTOP)

    assert [url for url in recorded.urls if not url.startswith("file:")] == []
    assert recorded.console_errors == []
    side = page.locator("#candidates thead th")
    assert side.all_inner_texts()[1:] == [
        "in force",
        "window-only",
        "wider-window",
        "two-month-services",
    ]
    bars = page.locator("svg.replay-chart g[data-candidate]")
    assert {bars.nth(i).get_attribute("data-candidate") for i in range(bars.count())} == {
        "window-only",
        "wider-window",
        "two-month-services",
    }
    assert page.locator("#termination-shifts").count() == 1
    for breakdown in ("rule", "service-type", "provider", "caseworker", "program"):
        assert page.locator(f"#by-{breakdown}").count() == 1, breakdown
    link = page.locator("#findings a").first
    href = link.get_attribute("href") or ""
    assert href == f"{origin}/pages/cases/{link.inner_text()}"
    amounts = page.locator("#findings td.num").all_inner_texts()
    assert amounts and all(re.fullmatch(r"—|\$[\d,]+\.\d\d|[+-][\d,]+ days", a) for a in amounts)
    assert serious_violations(page) == []
    page.close()
