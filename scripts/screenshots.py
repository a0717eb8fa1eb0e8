"""Screenshots of every page for docs/pages.md, taken in Debian's Chromium from the data the
page tests use (a synthetic caseload, a service beyond its cap, a refused attempt, a tampered
case) and a replay of it under three candidates. `make screenshots` writes docs/pages/*.png."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from playwright.sync_api import ViewportSize

from adapters.pages.case_page import case_page
from adapters.replay_report import write_reports
from application.bootstrap import build_case_management
from application.case_file import case_file_of
from application.policy_replay import load_candidates, replay_policy
from application.settings import Settings
from domain.base import Role
from domain.case import case_id_of
from tests.browser_support import launched_chromium
from tests.integration.api_support import ROLE_ACTORS, served_api, token_for
from tests.integration.pages_support import CAP_CASE, TAMPERED_CASE, fill_pages_data

REPOSITORY = Path(__file__).resolve().parents[1]
OUT = REPOSITORY / "docs" / "pages"
CANDIDATES = [
    REPOSITORY / "docs" / "replay" / name
    for name in ("window-only.json", "wider-window.json", "two-month-services.json")
]
DESKTOP: ViewportSize = {"width": 1280, "height": 1000}
A4_LANDSCAPE: ViewportSize = {"width": 1123, "height": 794}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        data = fill_pages_data(Path(directory) / "data", synthetic_cases=60)
        settings = Settings(data_dir=data.data_dir)
        findings = replay_policy(settings, load_candidates(CANDIDATES))
        app = build_case_management(settings)
        audit_file = Path(directory) / "audit-file.html"
        audit_file.write_text(
            case_page(
                case_file_of(app, case_id_of(CAP_CASE), date.today()),
                app.policies,
                produced_at=datetime.now(UTC),
            ),
            encoding="utf-8",
        )
        app.close()
        with served_api(data.data_dir) as port:
            origin = f"http://127.0.0.1:{port}"
            write_reports(
                findings, Path(directory) / "replay", lambda n: f"{origin}/pages/cases/{n}"
            )
            signed_in = {"Authorization": f"Bearer {token_for(ROLE_ACTORS[Role.SUPERVISOR])}"}
            shots = {
                "case-page.png": f"{origin}/pages/cases/{CAP_CASE}",
                "case-page-as-of.png": f"{origin}/pages/cases/{CAP_CASE}?as_of=2025-02-01",
                "case-page-broken-chain.png": f"{origin}/pages/cases/{TAMPERED_CASE}",
                "caseload-board.png": f"{origin}/pages/caseload",
                "replay-comparison.png": (Path(directory) / "replay" / "replay.html").as_uri(),
            }
            with launched_chromium() as browser:
                for name, url in shots.items():
                    page = browser.new_page(viewport=DESKTOP, extra_http_headers=signed_in)
                    page.goto(url, wait_until="load")
                    page.screenshot(path=str(OUT / name))
                    page.close()
                page = browser.new_page(viewport=A4_LANDSCAPE)
                page.goto(audit_file.as_uri(), wait_until="load")
                page.emulate_media(media="print")
                page.screenshot(path=str(OUT / "audit-file-print.png"))
                page.close()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(REPOSITORY))


if __name__ == "__main__":
    main()
