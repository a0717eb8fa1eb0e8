"""`pes reports ...`: caseload over time, post-employment timeliness, overrides, outcomes,
cash-assistance participants' outcomes and the measures after exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from adapters.case_ordered_store import StaleLayout
from application.bootstrap import open_reporting_store
from application.clock import utc_today
from application.settings import Settings
from consumers.reporting import reports
from consumers.reporting.export import FORMATS, write_report
from consumers.reporting.store import ReportingStore
from domain.policy import PolicyBook
from scripts.arguments import iso_date, output_file
from scripts.exit_codes import ExitCode
from scripts.system import require_stores

Report = tuple[list[Any], type]


def cmd_reports(settings: Settings, args: argparse.Namespace) -> int:
    start, end = getattr(args, "start", None), getattr(args, "end", None)
    if start is not None and end is not None and end < start:
        print(
            f"pes reports {args.report_name}: --to {end} is before --from {start}", file=sys.stderr
        )
        return ExitCode.BAD_INPUT
    require_stores(settings, "reporting")
    store = open_reporting_store(settings)
    try:
        store.require_current_layout()
        rows, row_type = args.report(store, args)
    except StaleLayout as stale:
        print(f"pes reports: {stale}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    finally:
        store.close()
    write_report(rows, row_type, args.out or sys.stdout, args.format)
    if args.out:
        print(args.out)
    return 0


def _caseload(store: ReportingStore, args: argparse.Namespace) -> Report:
    dates = reports.month_ends(args.start, args.end)
    return reports.caseload_over_time(store, dates, args.program), reports.CaseloadCount


def _periods(args: argparse.Namespace) -> list[reports.Period]:
    if args.monthly:
        return reports.monthly_periods(args.start, args.end)
    return [reports.Period(args.start, args.end)]


def _timeliness(store: ReportingStore, args: argparse.Namespace) -> Report:
    return reports.timeliness(store, _periods(args), PolicyBook.default()), reports.TimelinessRow


def _overrides(store: ReportingStore, args: argparse.Namespace) -> Report:
    if args.by_rule:
        return reports.overrides_by_rule(store, _periods(args)), reports.OverrideCount
    return reports.overrides(store, reports.Period(args.start, args.end)), reports.OverrideRow


def _outcomes(store: ReportingStore, args: argparse.Namespace) -> Report:
    as_of = args.as_of or utc_today()
    if args.totals:
        return [reports.outcome_totals(store, as_of, args.program)], reports.OutcomeTotals
    return reports.outcomes(store, as_of, args.program), reports.OutcomeRow


def _participants(store: ReportingStore, args: argparse.Namespace) -> Report:
    as_of = args.as_of or utc_today()
    if args.totals:
        return [reports.participant_outcome_totals(store, as_of)], reports.ParticipantOutcomeTotals
    return reports.participant_outcomes(store, as_of), reports.ParticipantOutcomeRow


def _exits(store: ReportingStore, args: argparse.Namespace) -> Report:
    as_of = args.as_of or utc_today()
    if args.by_quarter:
        return reports.exits_by_quarter(store, as_of), reports.ExitQuarterRow
    return reports.exits(store, as_of), reports.ExitRow


def add_reports_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="report_name", required=True, metavar="REPORT")

    def add(
        name: str, report: Callable[[ReportingStore, argparse.Namespace], Report], help: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(report=report)
        sub.add_argument("--format", choices=FORMATS, default="csv", help="the output format")
        sub.add_argument(
            "--out", type=output_file, metavar="FILE", help="write to FILE instead of stdout"
        )
        return sub

    def span(sub: argparse.ArgumentParser, monthly: bool = True) -> None:
        sub.add_argument(
            "--from", dest="start", type=iso_date, required=True, help="first day (YYYY-MM-DD)"
        )
        sub.add_argument(
            "--to", dest="end", type=iso_date, required=True, help="last day (YYYY-MM-DD)"
        )
        if monthly:
            sub.add_argument("--monthly", action="store_true", help="one row per month")

    caseload = add("caseload", _caseload, "cases per caseworker and status at each month end")
    span(caseload, monthly=False)
    caseload.add_argument(
        "--program", choices=["vr", "cash_assistance"], help="only this program's cases"
    )
    span(
        add(
            "timeliness",
            _timeliness,
            "requests, determinations, authorizations: days and VR-02 window",
        )
    )
    overrides = add(
        "overrides", _overrides, "accepted overrides with who and why, or counts by rule"
    )
    span(overrides)
    overrides.add_argument("--by-rule", action="store_true", help="counts per rule ID")
    outcomes = add("outcomes", _outcomes, "employment outcomes and retention days as of a date")
    outcomes.add_argument("--as-of", type=iso_date, help="default: today")
    outcomes.add_argument(
        "--program", choices=["vr", "cash_assistance"], help="only this program's cases"
    )
    outcomes.add_argument("--totals", action="store_true", help="one row of sums instead")
    participants = add(
        "participants",
        _participants,
        "cash-assistance participants: job retention, wage change, re-employment, skills (TA-07, TA-11)",
    )
    participants.add_argument("--as-of", type=iso_date, help="default: today")
    participants.add_argument("--totals", action="store_true", help="one row of sums instead")
    exits = add(
        "exits",
        _exits,
        "exits from cash assistance: employed in the 2nd and 4th quarter after, 2nd-quarter earnings",
    )
    exits.add_argument("--as-of", type=iso_date, help="default: today")
    exits.add_argument("--by-quarter", action="store_true", help="rates per exit quarter")
