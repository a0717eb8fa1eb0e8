"""`pes pages DIR`: the caseload board and every case page on it as standalone HTML files, and
`pes audit CASE --format pdf`: a case's audit file, printed."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.pages.case_page import case_page
from adapters.pages.caseload_board import caseload_board
from adapters.pages.printing import PrintingUnavailable, print_to_pdf
from application.bootstrap import build_case_management, open_caseload_view
from application.case_file import case_file_of
from application.clock import utc_today
from application.settings import Settings
from domain.case import CaseStatus, Program, case_id_of
from domain.errors import CaseNotFound
from scripts.arguments import iso_date, output_folder
from scripts.exit_codes import ExitCode
from scripts.system import require_stores


def cmd_pages(settings: Settings, args: argparse.Namespace) -> int:
    """Writes DIR/caseload.html and DIR/cases/<case number>.html for each case on the board."""
    require_stores(settings, "events", "caseload")
    today = args.today or utc_today()
    app = build_case_management(settings)
    view = open_caseload_view(settings, app.policies)
    try:
        board = view.caseload(
            today,
            caseworker_id=args.caseworker,
            status=args.status,
            program=args.program,
            overdue_only=args.overdue,
        )
    finally:
        view.close()
    cases_dir = args.out / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    for line in board.lines:
        number = line.case.case_number
        file = case_file_of(app, case_id_of(number), today, as_of=args.as_of)
        (cases_dir / f"{number}.html").write_text(case_page(file, app.policies), encoding="utf-8")
    filters = {
        name: str(value)
        for name, value in (
            ("caseworker", args.caseworker),
            ("program", args.program),
            ("status", args.status),
            ("today", args.today),
            ("overdue", "true" if args.overdue else None),
        )
        if value
    }
    board_page = caseload_board(board, filters, lambda number: f"cases/{number}.html", None)
    (args.out / "caseload.html").write_text(board_page, encoding="utf-8")
    print(f"{args.out / 'caseload.html'} and {len(board.lines)} case page(s) in {cases_dir}")
    return 0


def write_audit_file(settings: Settings, case: str, as_of: date | None, out: Path | None) -> int:
    """`pes audit CASE --format pdf`: the audit file printed by a headless Chromium."""
    if out is None:
        print("pes audit: a PDF needs --out FILE", file=sys.stderr)
        return ExitCode.BAD_INPUT
    require_stores(settings, "events")
    app = build_case_management(settings)
    try:
        file = case_file_of(app, case_id_of(case), utc_today(), as_of=as_of)
    except CaseNotFound:
        print(f"pes audit: no case {case} in the event store", file=sys.stderr)
        return ExitCode.BAD_INPUT
    try:
        pdf = print_to_pdf(case_page(file, app.policies, produced_at=datetime.now(UTC)))
    except PrintingUnavailable as error:
        print(f"pes audit: {error}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    out.write_bytes(pdf)
    print(out)
    return 0


def add_pages_command(pages: argparse.ArgumentParser) -> None:
    pages.add_argument(
        "out", metavar="DIR", type=output_folder, help="the folder the pages are written into"
    )
    pages.add_argument("--caseworker", help="only this caseworker's cases")
    pages.add_argument(
        "--program", choices=[p.value for p in Program], help="only this program's cases"
    )
    pages.add_argument(
        "--status", choices=[s.value for s in CaseStatus], help="only cases with this status"
    )
    pages.add_argument(
        "--overdue", action="store_true", help="only cases with a deadline overdue on --today"
    )
    pages.add_argument("--today", type=iso_date, help="judge deadlines on this day")
    pages.add_argument("--as-of", type=iso_date, help="show each case as of this business date")
