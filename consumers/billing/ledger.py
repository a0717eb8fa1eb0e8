"""The billing ledger: what each authorization encumbered, was invoiced, paid and released.

Built from the case events alone (VR-09, VR-10 money rules; TA-10 purchased services share them).
Authorizations and invoices hold the current balances; `billing_entries` is the journal of every
money movement with its business date, from which the provider and fiscal-period totals are summed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from adapters.case_ordered_store import CaseOrderedStore, Refused
from adapters.view_database import ViewDatabase, column_positions
from consumers.billing.fiscal import FiscalCalendar, FiscalPeriod
from domain.authorizations.records import encumbered_balance_cents, remaining_authorized_cents
from domain.case import Case
from domain.values import AuthorizationStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS billing_cases (
    case_id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL,
    program TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS billing_authorizations (
    authorization_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    service_type TEXT NOT NULL,
    authorized_on TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    invoiced_cents BIGINT NOT NULL,
    paid_cents BIGINT NOT NULL,
    unencumbered_cents BIGINT NOT NULL,
    status TEXT NOT NULL,
    ended_on TEXT,
    unencumbered_on TEXT
);
CREATE INDEX IF NOT EXISTS billing_authorizations_by_case ON billing_authorizations (case_id);
CREATE TABLE IF NOT EXISTS billing_invoices (
    invoice_id TEXT PRIMARY KEY,
    authorization_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    received_on TEXT NOT NULL,
    paid_cents BIGINT,
    paid_on TEXT
);
CREATE INDEX IF NOT EXISTS billing_invoices_unpaid ON billing_invoices (paid_on, received_on);
CREATE TABLE IF NOT EXISTS billing_entries (
    case_id TEXT NOT NULL,
    case_version INTEGER NOT NULL,
    authorization_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    movement TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    effective_on TEXT NOT NULL,
    PRIMARY KEY (case_id, case_version)
)
"""


class Movement(StrEnum):
    """A money movement in the journal."""

    ENCUMBERED = "encumbered"
    INVOICED = "invoiced"
    PAID = "paid"
    UNENCUMBERED = "unencumbered"


@dataclass(frozen=True)
class AuthorizationBalance:
    """One authorization's money, as the ledger holds it."""

    authorization_id: str
    case_id: str
    case_number: str
    provider: str
    service_type: str
    authorized_on: date
    amount_cents: int
    invoiced_cents: int
    paid_cents: int
    unencumbered_cents: int
    status: str
    unencumbered_on: date | None

    @property
    def encumbered_cents(self) -> int:
        """Still held for the provider: the amount less payments, until the balance is released."""
        return encumbered_balance_cents(
            self.amount_cents, self.paid_cents, self.unencumbered_on is not None
        )

    @property
    def remaining_cents(self) -> int:
        """What may still be invoiced (VR-10)."""
        return remaining_authorized_cents(
            self.amount_cents, self.invoiced_cents, self.unencumbered_on is not None
        )


@dataclass(frozen=True)
class InvoiceRow:
    invoice_id: str
    authorization_id: str
    case_id: str
    provider: str
    invoice_number: str
    amount_cents: int
    received_on: date
    paid_cents: int | None
    paid_on: date | None


@dataclass(frozen=True)
class UnpaidInvoice:
    """An invoice received and not yet paid, and how long it has waited."""

    invoice: InvoiceRow
    case_number: str
    age_days: int


@dataclass(frozen=True)
class PeriodTotals:
    """Money movements of one provider in one fiscal period."""

    provider: str
    period: FiscalPeriod
    encumbered_cents: int
    invoiced_cents: int
    paid_cents: int
    unencumbered_cents: int


class BillingLedger(CaseOrderedStore):
    """The ledger's tables in its own database, fed by the case event topic."""

    view_name = "billing"
    schema = SCHEMA
    reads: frozenset[str]
    """Set below the class: the opening, and the types `_HANDLERS` apply."""

    def __init__(self, db: ViewDatabase, fiscal_calendar: FiscalCalendar | None = None) -> None:
        super().__init__(db)
        self.fiscal_calendar = fiscal_calendar or FiscalCalendar()

    def tables(self) -> Sequence[str]:
        return ("billing_entries", "billing_invoices", "billing_authorizations", "billing_cases")

    def apply_event(self, event: Any, case_id: str) -> None:
        event_type = type(event).__name__
        if event_type == "CaseOpened":
            self.append(
                "INSERT INTO billing_cases VALUES (?, ?, ?)",
                (case_id, event.case_number, event.program.value),
            )
            self.memo[case_id] = True
            return
        if not self._knows_case(case_id):
            raise Refused(f"case {case_id} was never opened in the ledger")
        # Those not read record nothing here (passed over, most often): their case is known.
        if (handler := _HANDLERS.get(event_type)) is not None:
            handler(self, case_id, event)

    def _authorize(self, case_id: str, event: Any) -> None:
        authorization_id = str(event.authorization_id)
        row = [
            authorization_id,
            case_id,
            event.provider,
            event.service_type.value,
            event.effective_on.isoformat(),
            event.amount_cents,
            0,
            0,
            0,
            AuthorizationStatus.AUTHORIZED.value,
            None,
            None,
        ]
        self.append(
            "INSERT INTO billing_authorizations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
        )
        self.memo["authorization", authorization_id] = _Queued(row, self.writes)
        self.memo["provider", event.authorization_id] = event.provider
        self._journal(
            case_id, event, event.authorization_id, Movement.ENCUMBERED, event.amount_cents
        )

    def _provide(self, case_id: str, event: Any) -> None:
        self._end_authorization(event, AuthorizationStatus.PROVIDED)

    def _cancel(self, case_id: str, event: Any) -> None:
        self._end_authorization(event, AuthorizationStatus.CANCELLED)

    def _receive_invoice(self, case_id: str, event: Any) -> None:
        provider = self._provider_of(event.authorization_id)
        invoice_id = str(event.invoice_id)
        row = [
            invoice_id,
            str(event.authorization_id),
            case_id,
            provider,
            event.invoice_number,
            event.amount_cents,
            event.effective_on.isoformat(),
            None,
            None,
        ]
        self.append("INSERT INTO billing_invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        self.memo["invoice", invoice_id] = _Queued(row, self.writes)
        if (authorization := self._queued_authorization(event.authorization_id)) is not None:
            authorization[_INVOICED] += event.amount_cents
        else:
            self._update_authorization(
                event.authorization_id,
                "invoiced_cents = invoiced_cents + ?",
                (event.amount_cents,),
            )
        self._journal(case_id, event, event.authorization_id, Movement.INVOICED, event.amount_cents)

    def _pay_invoice(self, case_id: str, event: Any) -> None:
        on = event.effective_on.isoformat()
        refusal = f"invoice {event.invoice_id} is not in the ledger or already paid"
        if (invoice := self._queued_row(("invoice", str(event.invoice_id)))) is None:
            if not self.db.execute(
                "UPDATE billing_invoices SET paid_cents = ?, paid_on = ? "
                "WHERE invoice_id = ? AND paid_on IS NULL RETURNING invoice_id",
                (event.amount_cents, on, str(event.invoice_id)),
            ):
                raise Refused(refusal)
        elif invoice[_PAID_ON] is not None:
            raise Refused(refusal)
        else:
            invoice[_PAID_CENTS], invoice[_PAID_ON] = event.amount_cents, on
        if (authorization := self._queued_authorization(event.authorization_id)) is not None:
            authorization[_PAID] += event.amount_cents
        else:
            self._update_authorization(
                event.authorization_id, "paid_cents = paid_cents + ?", (event.amount_cents,)
            )
        self._journal(case_id, event, event.authorization_id, Movement.PAID, event.amount_cents)

    def _unencumber(self, case_id: str, event: Any) -> None:
        on = event.effective_on.isoformat()
        if (authorization := self._queued_authorization(event.authorization_id)) is not None:
            authorization[_UNENCUMBERED], authorization[_UNENCUMBERED_ON] = event.amount_cents, on
        else:
            self._update_authorization(
                event.authorization_id,
                "unencumbered_cents = ?, unencumbered_on = ?",
                (event.amount_cents, on),
            )
        self._journal(
            case_id, event, event.authorization_id, Movement.UNENCUMBERED, event.amount_cents
        )

    def _end_authorization(self, event: Any, status: AuthorizationStatus) -> None:
        on = event.effective_on.isoformat()
        if (authorization := self._queued_authorization(event.authorization_id)) is not None:
            authorization[_STATUS], authorization[_ENDED_ON] = status.value, on
        else:
            self._update_authorization(
                event.authorization_id, "status = ?, ended_on = ?", (status.value, on)
            )

    def _update_authorization(
        self, authorization_id: Any, assignments: str, params: tuple[Any, ...]
    ) -> None:
        updated = self.db.execute(
            f"UPDATE billing_authorizations SET {assignments} WHERE authorization_id = ? "
            "RETURNING authorization_id",
            (*params, str(authorization_id)),
        )
        if not updated:
            raise Refused(f"authorization {authorization_id} is not in the ledger")

    def _queued_authorization(self, authorization_id: Any) -> list[Any] | None:
        return self._queued_row(("authorization", str(authorization_id)))

    def _queued_row(self, key: tuple[str, str]) -> list[Any] | None:
        """The row the batch queued and has not written yet, to change in place."""
        queued: _Queued | None = self.memo.get(key)
        if queued is None or queued.at != self.writes:
            return None
        return queued.row

    def _provider_of(self, authorization_id: Any) -> str:
        # An authorization's provider never changes: remembered for the batch.
        key = ("provider", authorization_id)
        if key not in self.memo:
            rows = self.db.execute(
                "SELECT provider FROM billing_authorizations WHERE authorization_id = ?",
                (str(authorization_id),),
            )
            if not rows:
                raise Refused(f"authorization {authorization_id} is not in the ledger")
            self.memo[key] = str(rows[0][0])
        return str(self.memo[key])

    def _knows_case(self, case_id: str) -> bool:
        if (known := self.memo.get(case_id)) is None:
            known = self.memo[case_id] = bool(
                self.db.execute("SELECT 1 FROM billing_cases WHERE case_id = ?", (case_id,))
            )
        return bool(known)

    def _journal(
        self, case_id: str, event: Any, authorization_id: Any, movement: Movement, amount: int
    ) -> None:
        self.append(
            "INSERT INTO billing_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                case_id,
                event.originator_version,
                str(authorization_id),
                self._provider_of(authorization_id),
                movement.value,
                amount,
                event.effective_on.isoformat(),
            ),
        )

    # Queries

    def authorizations(
        self, case_id: str | None = None, provider: str | None = None
    ) -> list[AuthorizationBalance]:
        clauses, params = [], []
        if case_id is not None:
            clauses.append("a.case_id = ?")
            params.append(case_id)
        if provider is not None:
            clauses.append("a.provider = ?")
            params.append(provider)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.db.execute(
            "SELECT a.authorization_id, a.case_id, c.case_number, a.provider, a.service_type, "
            "a.authorized_on, a.amount_cents, a.invoiced_cents, a.paid_cents, "
            "a.unencumbered_cents, a.status, a.unencumbered_on FROM billing_authorizations a "
            f"JOIN billing_cases c ON c.case_id = a.case_id {where} "
            "ORDER BY c.case_number, a.authorized_on, a.authorization_id",
            tuple(params),
        )
        return [
            AuthorizationBalance(
                authorization_id=r[0],
                case_id=r[1],
                case_number=r[2],
                provider=r[3],
                service_type=r[4],
                authorized_on=date.fromisoformat(r[5]),
                amount_cents=int(r[6]),
                invoiced_cents=int(r[7]),
                paid_cents=int(r[8]),
                unencumbered_cents=int(r[9]),
                status=r[10],
                unencumbered_on=date.fromisoformat(r[11]) if r[11] else None,
            )
            for r in rows
        ]

    def invoices(self, case_id: str | None = None) -> list[InvoiceRow]:
        where, params = ("WHERE case_id = ?", (case_id,)) if case_id else ("", ())
        rows = self.db.execute(
            "SELECT invoice_id, authorization_id, case_id, provider, invoice_number, amount_cents, "
            f"received_on, paid_cents, paid_on FROM billing_invoices {where} "
            "ORDER BY received_on, invoice_id",
            params,
        )
        return [_invoice(r) for r in rows]

    def unpaid_invoices(self, as_of: date) -> list[UnpaidInvoice]:
        """Invoices received on or before `as_of` and not paid by then, oldest first."""
        day = as_of.isoformat()
        rows = self.db.execute(
            "SELECT i.invoice_id, i.authorization_id, i.case_id, i.provider, i.invoice_number, "
            "i.amount_cents, i.received_on, i.paid_cents, i.paid_on, c.case_number "
            "FROM billing_invoices i JOIN billing_cases c ON c.case_id = i.case_id "
            "WHERE i.received_on <= ? AND (i.paid_on IS NULL OR i.paid_on > ?) "
            "ORDER BY i.received_on, c.case_number, i.invoice_number",
            (day, day),
        )
        unpaid = []
        for r in rows:
            invoice = _invoice(r[:9])
            if invoice.paid_on is not None:  # paid after `as_of`: unpaid as it stood then
                invoice = InvoiceRow(**{**invoice.__dict__, "paid_cents": None, "paid_on": None})
            unpaid.append(
                UnpaidInvoice(
                    invoice, case_number=r[9], age_days=(as_of - invoice.received_on).days
                )
            )
        return unpaid

    def period_totals(self, provider: str | None = None) -> list[PeriodTotals]:
        """Each provider's money movements per fiscal period (the ledger's fiscal calendar)."""
        where, params = ("WHERE provider = ?", (provider,)) if provider else ("", ())
        rows = self.db.execute(
            "SELECT provider, effective_on, movement, SUM(amount_cents) FROM billing_entries "
            f"{where} GROUP BY provider, effective_on, movement",
            params,
        )
        sums: dict[tuple[str, FiscalPeriod], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(Movement, 0)
        )
        for name, effective_on, movement, amount in rows:
            period = self.fiscal_calendar.period_of(date.fromisoformat(effective_on))
            sums[(name, period)][Movement(movement)] += int(amount)
        return [
            PeriodTotals(
                provider=name,
                period=period,
                encumbered_cents=totals[Movement.ENCUMBERED],
                invoiced_cents=totals[Movement.INVOICED],
                paid_cents=totals[Movement.PAID],
                unencumbered_cents=totals[Movement.UNENCUMBERED],
            )
            for (name, period), totals in sorted(sums.items())
        ]


def _invoice(r: tuple[Any, ...]) -> InvoiceRow:
    return InvoiceRow(
        invoice_id=r[0],
        authorization_id=r[1],
        case_id=r[2],
        provider=r[3],
        invoice_number=r[4],
        amount_cents=int(r[5]),
        received_on=date.fromisoformat(r[6]),
        paid_cents=int(r[7]) if r[7] is not None else None,
        paid_on=date.fromisoformat(r[8]) if r[8] else None,
    )


# Positions of the columns the events change in a queued row (the tables' column order).
_AUTHORIZATION = column_positions(SCHEMA, "billing_authorizations")
_INVOICED, _PAID = _AUTHORIZATION["invoiced_cents"], _AUTHORIZATION["paid_cents"]
_UNENCUMBERED, _UNENCUMBERED_ON = (
    _AUTHORIZATION["unencumbered_cents"],
    _AUTHORIZATION["unencumbered_on"],
)
_STATUS, _ENDED_ON = _AUTHORIZATION["status"], _AUTHORIZATION["ended_on"]
_INVOICE = column_positions(SCHEMA, "billing_invoices")
_PAID_CENTS, _PAID_ON = _INVOICE["paid_cents"], _INVOICE["paid_on"]


class _Queued:
    """A row the batch queued, and the store's `writes` then: changed in place until written."""

    __slots__ = ("at", "row")

    def __init__(self, row: list[Any], at: int) -> None:
        self.row = row
        self.at = at


_HANDLERS: dict[str, Callable[[BillingLedger, str, Any], None]] = {
    Case.ServiceAuthorized.__name__: BillingLedger._authorize,
    Case.ServiceProvided.__name__: BillingLedger._provide,
    Case.AuthorizationCancelled.__name__: BillingLedger._cancel,
    Case.InvoiceReceived.__name__: BillingLedger._receive_invoice,
    Case.InvoicePaid.__name__: BillingLedger._pay_invoice,
    Case.BalanceUnencumbered.__name__: BillingLedger._unencumber,
}
BillingLedger.reads = frozenset({Case.CaseOpened.__name__}) | _HANDLERS.keys()
"""What each event type read changes (CaseOpened aside)."""
