"""Reconciliation: the ledger against the cases rebuilt from the event store.

Each case is rebuilt at the version the ledger has applied, so a ledger that is merely behind is
reported as lag, never as a difference; any difference is a defect in the ledger or its store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from consumers.billing.ledger import AuthorizationBalance, BillingLedger, InvoiceRow
from domain.case import Case


class CaseSource(Protocol):
    """The event store's cases (the case management application)."""

    def case_ids(self) -> Iterable[UUID]: ...

    def get_case(self, case_id: UUID, version: int | None = None) -> Case: ...


@dataclass(frozen=True)
class Difference:
    """One value on which the ledger and the event store disagree."""

    case_id: str
    subject: str
    field: str
    ledger: Any
    event_store: Any
    case_number: str | None = None
    """None for a case the event store does not know."""

    def __str__(self) -> str:
        case = f"{self.case_number} ({self.case_id})" if self.case_number else self.case_id
        return (
            f"case {case} {self.subject}: {self.field} is {self.ledger!r} in the ledger, "
            f"{self.event_store!r} in the event store"
        )


@dataclass
class ReconciliationReport:
    cases_checked: int = 0
    cases_behind: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return not self.differences


def reconcile(ledger: BillingLedger, cases: CaseSource) -> ReconciliationReport:
    report = ReconciliationReport()
    applied = ledger.applied_versions()
    in_event_store: set[str] = set()
    for case_id in cases.case_ids():
        key = str(case_id)
        in_event_store.add(key)
        version = applied.get(key)
        if version is None:
            report.cases_behind += 1
            continue
        case = cases.get_case(case_id, version=version)
        if case.version < version:
            report.differences.append(
                Difference(key, "case", "version", version, case.version, case.case_number)
            )
            continue
        if cases.get_case(case_id).version > version:
            report.cases_behind += 1
        report.cases_checked += 1
        report.differences.extend(_compare_case(key, case, ledger))
    for key in sorted(set(applied) - in_event_store):
        report.differences.append(Difference(key, "case", "exists", True, False))
    return report


def _compare_case(case_id: str, case: Case, ledger: BillingLedger) -> list[Difference]:
    differences: list[Difference] = []

    def compare(subject: str, name: str, in_ledger: Any, in_store: Any) -> None:
        if in_ledger != in_store:
            differences.append(
                Difference(case_id, subject, name, in_ledger, in_store, case.case_number)
            )

    booked = {a.authorization_id: a for a in ledger.authorizations(case_id=case_id)}
    for authorization_id, authorization in case.authorizations.items():
        subject = f"authorization {authorization_id}"
        row = booked.pop(str(authorization_id), None)
        if row is None:
            compare(subject, "exists", False, True)
            continue
        for name, in_ledger, in_store in _authorization_fields(row, authorization):
            compare(subject, name, in_ledger, in_store)
    for unknown in sorted(booked):
        compare(f"authorization {unknown}", "exists", True, False)

    invoiced = {i.invoice_id: i for i in ledger.invoices(case_id=case_id)}
    for invoice_id, invoice in case.invoices.items():
        subject = f"invoice {invoice_id}"
        found = invoiced.pop(str(invoice_id), None)
        if found is None:
            compare(subject, "exists", False, True)
            continue
        for name, in_ledger, in_store in _invoice_fields(found, invoice):
            compare(subject, name, in_ledger, in_store)
    for unknown in sorted(invoiced):
        compare(f"invoice {unknown}", "exists", True, False)
    return differences


def _authorization_fields(row: AuthorizationBalance, a: Any) -> list[tuple[str, Any, Any]]:
    return [
        ("provider", row.provider, a.provider),
        ("amount_cents", row.amount_cents, a.amount_cents),
        ("invoiced_cents", row.invoiced_cents, a.invoiced_cents),
        ("paid_cents", row.paid_cents, a.paid_cents),
        ("encumbered_cents", row.encumbered_cents, a.encumbered_cents),
        ("remaining_cents", row.remaining_cents, a.remaining_cents),
        ("unencumbered_on", row.unencumbered_on, a.unencumbered_on),
        ("unencumbered_cents", row.unencumbered_cents, a.released_cents),
        ("status", row.status, a.status.value),
    ]


def _invoice_fields(row: InvoiceRow, i: Any) -> list[tuple[str, Any, Any]]:
    return [
        ("authorization_id", row.authorization_id, str(i.authorization_id)),
        ("amount_cents", row.amount_cents, i.amount_cents),
        ("received_on", row.received_on, i.received_on),
        ("paid_cents", row.paid_cents, i.paid_cents),
        ("paid_on", row.paid_on, i.paid_on),
    ]
