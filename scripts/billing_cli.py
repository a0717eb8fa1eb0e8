"""`pes billing ...`: the billing ledger's balances, unpaid invoices, fiscal totals, reconciliation."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from application.bootstrap import build_case_management, open_billing_ledger
from application.clock import utc_today
from application.settings import Settings
from consumers.billing.ledger import BillingLedger
from consumers.billing.reconciliation import reconcile
from scripts.arguments import iso_date
from scripts.exit_codes import ExitCode
from scripts.system import require_stores


def cmd_billing(settings: Settings, args: argparse.Namespace) -> int:
    require_stores(settings, "billing")
    if args.billing_handler is _reconcile:
        require_stores(settings, "events")
    ledger = open_billing_ledger(settings)
    try:
        return int(args.billing_handler(ledger, settings, args))
    finally:
        ledger.close()


def _authorizations(ledger: BillingLedger, _settings: Settings, args: argparse.Namespace) -> int:
    rows = [
        {
            **asdict(a),
            "encumbered_cents": a.encumbered_cents,
            "remaining_cents": a.remaining_cents,
        }
        for a in ledger.authorizations(provider=args.provider)
    ]
    _write(rows, args.format)
    return 0


def _unpaid(ledger: BillingLedger, _settings: Settings, args: argparse.Namespace) -> int:
    rows = [
        {
            "case_number": u.case_number,
            "case_id": u.invoice.case_id,
            "invoice_number": u.invoice.invoice_number,
            "provider": u.invoice.provider,
            "amount_cents": u.invoice.amount_cents,
            "received_on": u.invoice.received_on,
            "age_days": u.age_days,
            "invoice_id": u.invoice.invoice_id,
            "authorization_id": u.invoice.authorization_id,
        }
        for u in ledger.unpaid_invoices(args.as_of or utc_today())
    ]
    _write(rows, args.format)
    return 0


def _periods(ledger: BillingLedger, _settings: Settings, args: argparse.Namespace) -> int:
    rows = [
        {**asdict(t), "period": str(t.period)} for t in ledger.period_totals(provider=args.provider)
    ]
    _write(rows, args.format)
    return 0


def _reconcile(ledger: BillingLedger, settings: Settings, _args: argparse.Namespace) -> int:
    report = reconcile(ledger, build_case_management(settings))
    for difference in report.differences:
        print(difference)
    print(
        f"{report.cases_checked} case(s) checked, {report.cases_behind} not yet fully applied "
        f"by the ledger, {len(report.differences)} difference(s)"
    )
    return ExitCode.OK if report.reconciled else ExitCode.CHECK_FAILED


def _write(rows: list[dict[str, Any]], output_format: str) -> None:
    if output_format == "json":
        json.dump(rows, sys.stdout, default=str, indent=2)
        print()
        return
    if not rows:
        print("(none)", file=sys.stderr)
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def add_billing_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="billing_command", required=True, metavar="WHAT")

    def add(name: str, handler: Callable[..., int], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(billing_handler=handler)
        sub.add_argument(
            "--format", choices=["csv", "json"], default="csv", help="CSV (default) or JSON"
        )
        return sub

    add("authorizations", _authorizations, "every authorization's money").add_argument(
        "--provider", help="only this provider's"
    )
    add("unpaid", _unpaid, "invoices received and not yet paid, with their age").add_argument(
        "--as-of", type=iso_date, help="as it stood on this day (default: today)"
    )
    add("periods", _periods, "money per provider and fiscal period").add_argument(
        "--provider", help="only this provider's"
    )
    commands.add_parser(
        "reconcile",
        help="compare the ledger with the event store; exit 1 on any difference",
        description="compare the ledger with the cases rebuilt from the event store",
    ).set_defaults(billing_handler=_reconcile)
