"""The billing ledger over a SQLite file, fed the events a real Case records (VR-09, VR-10)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.consumer import Delivery
from adapters.view_database import ViewDatabase
from consumers.billing.fiscal import FiscalCalendar, FiscalPeriod
from consumers.billing.ledger import BillingLedger, PeriodTotals
from consumers.billing.reconciliation import reconcile
from domain.case import Case
from tests.builders import BILLING, CaseFile, rebuilt

TOPIC = "case-events"


class Scenario:
    """Outcome 2024-02-29; two authorizations from one request on 2024-03-10.

    PRV-0042: 500.00 authorized, provided 2024-04-01, invoiced 300.00 on 2024-04-03, paid on
    2024-04-21, balance of 200.00 released on 2024-04-22.
    PRV-0007: 800.00 authorized, provided 2024-09-25, invoiced 250.00 on 2024-09-28, unpaid.
    """

    def __init__(self) -> None:
        self.file = CaseFile()
        request = self.file.open_request(date(2024, 3, 10))
        self.first = self.file.authorized(request, date(2024, 3, 10), amount_cents=50_000)
        self.second = self.file.authorized(
            request,
            date(2024, 3, 10),
            amount_cents=80_000,
            provider="PRV-0007",
            start=date(2024, 3, 11),
            end=date(2024, 5, 31),
        )
        self.file.do(self.file.provided(self.first, date(2024, 4, 1)))
        invoice = self.file.invoice(self.first, date(2024, 4, 3), 30_000)
        self.file.do(invoice, BILLING)
        self.first_invoice = invoice.invoice_id
        self.file.do(self.file.pay(invoice.invoice_id, date(2024, 4, 21), 30_000), BILLING)
        self.file.do(self.file.unencumber(self.first, date(2024, 4, 22)), BILLING)
        self.file.do(self.file.provided(self.second, date(2024, 9, 25)))
        invoice = self.file.invoice(self.second, date(2024, 9, 28), 25_000)
        self.file.do(invoice, BILLING)
        self.second_invoice = invoice.invoice_id
        self.events = self.file.all_events()


def deliveries(events: Iterable[Any], first_offset: int = 0) -> list[Delivery]:
    return [Delivery(TOPIC, 0, first_offset + i, e) for i, e in enumerate(events)]


def apply(ledger: BillingLedger, events: list[Any], first_offset: int = 0) -> list[str]:
    """Applies the events as one partition batch; returns the reasons of the rejected ones."""
    rejected: list[str] = []
    ledger.apply(
        TOPIC,
        0,
        deliveries(events, first_offset),
        first_offset + len(events),
        lambda refused: rejected.extend(reason for _, reason in refused),
    )
    return rejected


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[BillingLedger]:
    ledger = BillingLedger(ViewDatabase.sqlite(tmp_path / "billing.sqlite"))
    yield ledger
    ledger.close()


@pytest.fixture
def scenario() -> Scenario:
    return Scenario()


def test_each_authorization_shows_what_was_encumbered_invoiced_paid_and_released(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    assert apply(ledger, scenario.events) == []

    first, second = sorted(ledger.authorizations(), key=lambda a: a.provider == "PRV-0007")
    assert (first.provider, first.amount_cents, first.invoiced_cents, first.paid_cents) == (
        "PRV-0042",
        50_000,
        30_000,
        30_000,
    )
    # released: 500.00 - 300.00 paid = 200.00; nothing stays encumbered or invoiceable
    assert (first.unencumbered_cents, first.encumbered_cents, first.remaining_cents) == (
        20_000,
        0,
        0,
    )
    assert first.status == "provided" and first.unencumbered_on == date(2024, 4, 22)
    # 800.00 - 0 paid stays encumbered; 800.00 - 250.00 invoiced may still be invoiced
    assert (second.invoiced_cents, second.paid_cents, second.encumbered_cents) == (
        25_000,
        0,
        80_000,
    )
    assert second.remaining_cents == 55_000 and second.unencumbered_on is None


def test_unpaid_invoices_are_listed_with_their_age_as_of_a_day(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    apply(ledger, scenario.events)

    [unpaid] = ledger.unpaid_invoices(date(2024, 10, 8))
    assert unpaid.invoice.invoice_id == str(scenario.second_invoice)
    assert unpaid.age_days == 10  # received 2024-09-28
    assert unpaid.case_number == "VR-TEST-1"
    assert ledger.unpaid_invoices(date(2024, 9, 27)) == []
    # As it stood on 2024-04-10 the first invoice (paid on 2024-04-21) was 7 days old.
    [earlier] = ledger.unpaid_invoices(date(2024, 4, 10))
    assert (earlier.invoice.invoice_id, earlier.age_days) == (str(scenario.first_invoice), 7)
    assert earlier.invoice.paid_on is None


@pytest.mark.parametrize(
    ("start_month", "expected"),
    [
        (
            10,  # 2024-03 is FY2024 Q2, 2024-04 Q3, 2024-09 Q4
            [
                PeriodTotals("PRV-0007", FiscalPeriod(2024, 2), 80_000, 0, 0, 0),
                PeriodTotals("PRV-0007", FiscalPeriod(2024, 4), 0, 25_000, 0, 0),
                PeriodTotals("PRV-0042", FiscalPeriod(2024, 2), 50_000, 0, 0, 0),
                PeriodTotals("PRV-0042", FiscalPeriod(2024, 3), 0, 30_000, 30_000, 20_000),
            ],
        ),
        (
            7,  # 2024-03 is FY2024 Q3, 2024-04 Q4, 2024-09 already FY2025 Q1
            [
                PeriodTotals("PRV-0007", FiscalPeriod(2024, 3), 80_000, 0, 0, 0),
                PeriodTotals("PRV-0007", FiscalPeriod(2025, 1), 0, 25_000, 0, 0),
                PeriodTotals("PRV-0042", FiscalPeriod(2024, 3), 50_000, 0, 0, 0),
                PeriodTotals("PRV-0042", FiscalPeriod(2024, 4), 0, 30_000, 30_000, 20_000),
            ],
        ),
    ],
)
def test_money_is_totalled_per_provider_and_fiscal_period_of_the_configured_year(
    tmp_path: Path, scenario: Scenario, start_month: int, expected: list[PeriodTotals]
) -> None:
    ledger = BillingLedger(ViewDatabase.sqlite(tmp_path / "b.sqlite"), FiscalCalendar(start_month))
    apply(ledger, scenario.events)

    assert ledger.period_totals() == expected
    assert ledger.period_totals(provider="PRV-0007") == expected[:2]
    ledger.close()


def test_a_redelivered_batch_changes_nothing(ledger: BillingLedger, scenario: Scenario) -> None:
    apply(ledger, scenario.events[:6])
    apply(ledger, scenario.events)
    once = ledger.snapshot()

    assert apply(ledger, scenario.events) == []
    assert apply(ledger, scenario.events[3:9], first_offset=3) == []

    assert ledger.snapshot() == once
    assert ledger.next_offsets(TOPIC) == {0: 9}  # the latest batch's position, not a maximum


def test_an_event_after_a_gap_is_rejected_and_the_case_waits(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    events = scenario.events

    rejected = apply(ledger, [*events[:3], *events[4:]])

    assert rejected[0] == (
        f"out of order: case {scenario.file.id} version 5 arrived after version 3"
    )
    assert len(rejected) == len(events) - 4
    assert ledger.applied_versions() == {str(scenario.file.id): 3}


def test_a_refused_event_leaves_no_half_written_rows(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    unpaid = scenario.events[:-1]
    apply(ledger, unpaid)
    before = ledger.snapshot()
    last_invoice = next(e for e in reversed(unpaid) if isinstance(e, Case.InvoiceReceived))
    # The invoice exists, its authorization does not: the invoice's row is written first and
    # must be rolled back with the event.
    paid = Case.InvoicePaid(
        originator_id=scenario.file.id,
        originator_version=len(unpaid) + 1,
        timestamp=last_invoice.timestamp,
        actor=BILLING,
        effective_on=date(2024, 10, 1),
        invoice_id=last_invoice.invoice_id,
        authorization_id=uuid4(),
        amount_cents=1,
        policy_version=last_invoice.policy_version,
    )

    rejected = apply(ledger, [paid], first_offset=len(unpaid))

    assert len(rejected) == 1 and "is not in the ledger" in rejected[0]
    after = ledger.snapshot()
    assert after.pop("applied_versions") == before.pop("applied_versions")
    assert after == before
    assert ledger.next_offsets(TOPIC) == {0: len(unpaid) + 1}


def test_events_of_a_case_never_opened_are_refused(ledger: BillingLedger) -> None:
    later = Scenario().events[1:]
    renumbered = [e.model_copy(update={"originator_version": 1}) for e in later[:1]]

    rejected = apply(ledger, renumbered)

    assert rejected == [f"case {later[0].originator_id} was never opened in the ledger"]


class CaseFileSource:
    """The cases as an event store would rebuild them, from a scenario's events."""

    def __init__(self, *events: list[Any]) -> None:
        self.histories = {history[0].originator_id: history for history in events}

    def case_ids(self) -> Iterable[UUID]:
        return list(self.histories)

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        return rebuilt(self.histories[case_id][:version])


def test_reconciliation_of_a_faithful_ledger_finds_no_difference(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    apply(ledger, scenario.events[:-2])

    report = reconcile(ledger, CaseFileSource(scenario.events))

    assert report.differences == []
    assert (report.cases_checked, report.cases_behind) == (1, 1)  # checked at the ledger's version


def test_reconciliation_reports_every_corrupted_value_and_missing_row(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    apply(ledger, scenario.events)
    ledger.db.execute(
        "UPDATE billing_authorizations SET paid_cents = 29999 WHERE authorization_id = ?",
        (str(scenario.first),),
    )
    ledger.db.execute(
        "DELETE FROM billing_invoices WHERE invoice_id = ?", (str(scenario.second_invoice),)
    )

    report = reconcile(ledger, CaseFileSource(scenario.events))

    case = str(scenario.file.id)
    assert [
        (d.case_id, d.subject, d.field, d.ledger, d.event_store) for d in report.differences
    ] == [
        (case, f"authorization {scenario.first}", "paid_cents", 29_999, 30_000),
        (case, f"invoice {scenario.second_invoice}", "exists", False, True),
    ]
    assert not report.reconciled
    assert str(report.differences[0]).startswith(
        f"case {scenario.file.case.case_number} ({case}) authorization {scenario.first}: "
        "paid_cents is 29999 in the ledger, 30000 in the event store"
    )


def test_reconciliation_reports_a_case_the_event_store_does_not_hold(
    ledger: BillingLedger, scenario: Scenario
) -> None:
    other = CaseFile(case_number="VR-TEST-2")
    apply(ledger, scenario.events)
    apply(ledger, other.all_events(), first_offset=len(scenario.events))

    report = reconcile(ledger, CaseFileSource(scenario.events))

    assert [(d.case_id, d.field) for d in report.differences] == [(str(other.id), "exists")]


def test_a_batch_with_a_refused_event_inside_applies_the_others_as_one_by_one_batches_do(
    ledger: BillingLedger, scenario: Scenario, tmp_path: Path
) -> None:
    other = Scenario().events
    last_invoice = next(e for e in reversed(scenario.events) if isinstance(e, Case.InvoiceReceived))
    # Its invoice exists and its authorization does not: refused after one row is written.
    refused = Case.InvoicePaid(
        originator_id=scenario.file.id,
        originator_version=len(scenario.events) + 1,
        timestamp=last_invoice.timestamp,
        actor=BILLING,
        effective_on=date(2024, 10, 1),
        invoice_id=last_invoice.invoice_id,
        authorization_id=uuid4(),
        amount_cents=1,
        policy_version=last_invoice.policy_version,
    )
    events = [*scenario.events, refused, *other]
    one_by_one = BillingLedger(ViewDatabase.sqlite(tmp_path / "one-by-one.sqlite"))

    rejected = apply(ledger, events)
    rejected_one_by_one = [
        reason for offset, e in enumerate(events) for reason in apply(one_by_one, [e], offset)
    ]

    assert rejected == rejected_one_by_one
    assert len(rejected) == 1 and "is not in the ledger" in rejected[0]
    assert ledger.snapshot() == one_by_one.snapshot()
    assert [i.paid_on for i in ledger.invoices(str(scenario.file.id))][-1] is None
    assert ledger.next_offsets(TOPIC) == {0: len(events)}
    one_by_one.close()


def test_refused_events_give_the_same_reasons_and_rows_in_one_batch_or_many(
    scenario: Scenario, tmp_path: Path
) -> None:
    def first(event_type: Any) -> Any:
        return next(e for e in scenario.events if isinstance(e, event_type))

    provided, received, paid = (
        first(Case.ServiceProvided),
        first(Case.InvoiceReceived),
        first(Case.InvoicePaid),
    )
    released = first(Case.BalanceUnencumbered)
    stray = uuid4()
    forgeries = {
        id(provided): [
            (
                provided.model_copy(update={"authorization_id": stray}),
                f"authorization {stray} is not in the ledger",
            )
        ],
        id(received): [
            (
                received.model_copy(update={"authorization_id": stray}),
                f"authorization {stray} is not in the ledger",
            ),
            (
                paid.model_copy(update={"invoice_id": stray}),
                f"invoice {stray} is not in the ledger or already paid",
            ),
        ],
        # Paid twice: the second time from the row the batch wrote, or the one stored before.
        id(paid): [(paid, f"invoice {paid.invoice_id} is not in the ledger or already paid")],
        id(released): [
            (
                released.model_copy(update={"authorization_id": stray}),
                f"authorization {stray} is not in the ledger",
            )
        ],
    }
    events, reasons = [], []
    for event in scenario.events:
        events.append(event)
        for forged, reason in forgeries.get(id(event), []):
            # Refused, it leaves the case at the version it reached: the next one is its own.
            events.append(
                forged.model_copy(update={"originator_version": len(events) - len(reasons) + 1})
            )
            reasons.append(reason)
    expected = BillingLedger(ViewDatabase.sqlite(tmp_path / "expected.sqlite"))
    assert apply(expected, scenario.events) == []

    for size in (len(events), 3, 1):
        ledger = BillingLedger(ViewDatabase.sqlite(tmp_path / f"batches-of-{size}.sqlite"))
        rejected = [
            reason
            for start in range(0, len(events), size)
            for reason in apply(ledger, events[start : start + size], start)
        ]

        assert rejected == reasons, size
        assert ledger.snapshot() == expected.snapshot(), size
        ledger.close()
    expected.close()
