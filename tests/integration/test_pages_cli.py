"""`pes pages DIR` writes the caseload board and its case pages as standalone files linked to each
other; `pes audit CASE --format pdf` prints a case's audit file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from adapters.pages.printing import chromium
from scripts.exit_codes import ExitCode
from tests.integration.pages_support import CAP_CASE, PagesData, fill_pages_data
from tests.integration.test_cli_arguments import assert_refused_in_one_line, pes


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> PagesData:
    return fill_pages_data(tmp_path_factory.mktemp("pages-cli"), synthetic_cases=8)


def test_pes_pages_writes_the_board_and_a_page_per_case_it_links_to(
    data: PagesData, tmp_path: Path
) -> None:
    run = pes(data.data_dir, "pages", str(tmp_path / "pages"))

    assert run.returncode == ExitCode.OK, run.stderr
    board = (tmp_path / "pages" / "caseload.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="(cases/[^"]+\.html)">', board)
    assert sorted(links) == sorted(
        f"cases/{n}.html" for n in (*data.synthetic_case_numbers, CAP_CASE, "VR-PAGES-TAMPERED")
    )
    for link in links:
        page = (tmp_path / "pages" / link).read_text(encoding="utf-8")
        assert "<svg" in page and 'id="chain"' in page
    assert "http://" not in board and "https://" not in board


def test_pes_pages_for_one_caseworker_as_of_a_date(data: PagesData, tmp_path: Path) -> None:
    run = pes(
        data.data_dir, "pages", str(tmp_path), "--caseworker", "cw-1", "--as-of", "2025-01-20"
    )

    assert run.returncode == ExitCode.OK, run.stderr
    written = sorted(p.name for p in (tmp_path / "cases").iterdir())
    assert written == ["VR-PAGES-CAP.html", "VR-PAGES-TAMPERED.html"]
    assert 'class="later"' in (tmp_path / "cases" / "VR-PAGES-CAP.html").read_text()


def test_pes_pages_refuses_a_bad_date_in_one_line(data: PagesData, tmp_path: Path) -> None:
    assert_refused_in_one_line(
        pes(data.data_dir, "pages", str(tmp_path), "--as-of", "2025-02-30"), "--as-of"
    )


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (`make system-deps`)")
def test_pes_audit_prints_the_audit_file_as_a_pdf(data: PagesData, tmp_path: Path) -> None:
    out = tmp_path / "audit-file.pdf"
    run = pes(data.data_dir, "audit", CAP_CASE, "--format", "pdf", "--out", str(out))

    assert run.returncode == ExitCode.OK, run.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert f"Audit file of case {CAP_CASE}" in (PdfReader(out).pages[0].extract_text() or "")


def test_pes_audit_pdf_needs_a_file_to_write(data: PagesData) -> None:
    run = pes(data.data_dir, "audit", CAP_CASE, "--format", "pdf")

    assert run.returncode == ExitCode.BAD_INPUT
    assert run.stderr.strip() == "pes audit: a PDF needs --out FILE"
