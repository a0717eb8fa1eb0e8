"""Purchased services from contracted employment services: VR-09/VR-10's money rules, named
TA-10, recorded as the VR money events so the billing ledger reads them unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.assistance.values import GoalStatus
from domain.commands import AuthorizeService
from domain.errors import InvalidCommand, RuleViolation
from domain.values import AuthorizationStatus, ServiceCategory, ServiceType
from tests.builders import BILLING, AssistanceFile, CaseFile

ON = date(2024, 3, 4)


@pytest.fixture
def file() -> AssistanceFile:
    file = AssistanceFile()
    file.planned(ON)
    return file


@pytest.fixture
def goal_id(file: AssistanceFile) -> UUID:
    return file.goal_set(ON)


def authorized(file: AssistanceFile, goal_id: UUID, **kw: object) -> UUID:
    command = file.purchase(goal_id, ON, **kw)
    file.do(command)
    return command.authorization_id


def test_a_purchased_service_is_recorded_as_a_service_authorization_of_its_goal_TA_10(
    file: AssistanceFile, goal_id: UUID
) -> None:
    authorization_id = authorized(file, goal_id, amount_cents=80_000)
    event = file.last_event()
    assert type(event).__name__ == "ServiceAuthorized"
    assert (event.request_id, event.ipe_entry, event.overrides, event.grandfathered) == (  # type: ignore[attr-defined]
        goal_id,
        "Job coaching for the first two months",
        (),
        False,
    )
    assert event.policy_version == "TA-3440"  # type: ignore[attr-defined]
    assert file.case.authorizations[authorization_id].encumbered_cents == 80_000
    assert file.case.encumbered_cents == 80_000


def test_a_purchase_needs_an_open_goal_of_the_plan_TA_10(
    file: AssistanceFile, goal_id: UUID
) -> None:
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.purchase(file.next_id("goal"), ON))
    assert refusal.value.rule_id == "TA-10"
    file.do(file.goal_status(goal_id, ON, GoalStatus.ACHIEVED))
    with pytest.raises(RuleViolation, match="TA-10"):
        file.do(file.purchase(goal_id, ON))


def test_a_purchase_is_not_dated_before_its_goal_TA_10(file: AssistanceFile) -> None:
    goal_id = file.goal_set(ON + timedelta(days=5))
    with pytest.raises(RuleViolation, match="TA-10"):
        file.do(file.purchase(goal_id, ON + timedelta(days=4)))
    file.do(file.purchase(goal_id, ON + timedelta(days=5)))
    recorded = file.last_event()
    assert type(recorded).__name__ == "ServiceAuthorized"
    assert (recorded.request_id, recorded.effective_on) == (goal_id, ON + timedelta(days=5))  # type: ignore[attr-defined]


def test_a_purchase_is_entered_in_the_plan_TA_10(file: AssistanceFile, goal_id: UUID) -> None:
    with pytest.raises(RuleViolation, match="TA-10"):
        file.do(file.purchase(goal_id, ON, plan_entry=" "))


def test_the_vr_exclusions_and_windows_do_not_apply_to_purchased_services(
    file: AssistanceFile, goal_id: UUID
) -> None:
    # Job placement is never a VR PE service (VR-06); six months exceeds VR-04's three.
    authorization_id = authorized(
        file,
        goal_id,
        service_type=ServiceType.EMPLOYMENT_JOB_PLACEMENT,
        category=ServiceCategory.COMMUNITY,
        planned_end=ON + timedelta(days=180),
    )
    event = file.last_event()
    assert type(event).__name__ == "ServiceAuthorized"
    assert (
        event.authorization_id,  # type: ignore[attr-defined]
        event.request_id,  # type: ignore[attr-defined]
        event.service_type,  # type: ignore[attr-defined]
        event.planned_start,  # type: ignore[attr-defined]
        event.planned_end,  # type: ignore[attr-defined]
        event.overrides,  # type: ignore[attr-defined]
    ) == (
        authorization_id,
        goal_id,
        ServiceType.EMPLOYMENT_JOB_PLACEMENT,
        ON,
        ON + timedelta(days=180),
        (),
    )
    authorization = file.case.authorizations[authorization_id]
    assert authorization.status is AuthorizationStatus.AUTHORIZED
    assert authorization.planned_end == ON + timedelta(days=180)
    assert file.case.encumbered_cents == 80_000


def test_the_vr_authorization_command_refuses_a_cash_assistance_case(
    file: AssistanceFile, goal_id: UUID
) -> None:
    vr_command = CaseFile().authorize(goal_id, ON).model_copy(update={"case_id": file.id})
    assert isinstance(vr_command, AuthorizeService)
    with pytest.raises(InvalidCommand, match="not a VR case"):
        file.do(vr_command)


def test_a_purchase_retried_records_nothing(file: AssistanceFile, goal_id: UUID) -> None:
    command = file.purchase(goal_id, ON)
    file.do(command)
    events = len(file.all_events())
    file.do(command)
    assert len(file.all_events()) == events
    with pytest.raises(InvalidCommand):
        file.do(command.model_copy(update={"amount_cents": 1}))


def test_a_purchased_service_is_provided_invoiced_paid_and_released_TA_10(
    file: AssistanceFile, goal_id: UUID
) -> None:
    authorization_id = authorized(file, goal_id, amount_cents=80_000)
    file.do(file.provided(authorization_id, ON + timedelta(days=30)))
    invoice = file.invoice(authorization_id, ON + timedelta(days=32), 60_000)
    file.do(invoice, BILLING)
    file.do(file.pay(invoice.invoice_id, ON + timedelta(days=40), 60_000), BILLING)
    file.do(file.unencumber(authorization_id, ON + timedelta(days=41)), BILLING)

    authorization = file.case.authorizations[authorization_id]
    assert authorization.is_closed and authorization.paid_cents == 60_000
    assert file.case.encumbered_cents == 0
    recorded = file.all_events()[-5:]
    assert [type(e).__name__ for e in recorded] == [
        "ServiceAuthorized",
        "ServiceProvided",
        "InvoiceReceived",
        "InvoicePaid",
        "BalanceUnencumbered",
    ]
    assert {e.policy_version for e in recorded} == {"TA-3440"}  # type: ignore[attr-defined]


def test_a_cancelled_purchase_is_released_without_invoices_TA_10(
    file: AssistanceFile, goal_id: UUID
) -> None:
    authorization_id = authorized(file, goal_id)
    file.do(file.cancel(authorization_id, ON + timedelta(days=2)))
    file.do(file.unencumber(authorization_id, ON + timedelta(days=2)), BILLING)
    assert file.case.open_authorizations() == []


def test_an_invoice_above_what_remains_authorized_is_refused_TA_10(
    file: AssistanceFile, goal_id: UUID
) -> None:
    authorization_id = authorized(file, goal_id, amount_cents=50_000)
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.invoice(authorization_id, ON + timedelta(days=5), 50_001), BILLING)
    assert refusal.value.rule_id == "TA-10"
    file.do(file.invoice(authorization_id, ON + timedelta(days=5), 50_000), BILLING)
    assert type(file.last_event()).__name__ == "InvoiceReceived"
    authorization = file.case.authorizations[authorization_id]
    assert (authorization.invoiced_cents, authorization.remaining_cents) == (50_000, 0)


def test_a_payment_above_its_invoice_and_an_early_release_are_refused_TA_10(
    file: AssistanceFile, goal_id: UUID
) -> None:
    authorization_id = authorized(file, goal_id, amount_cents=50_000)
    invoice = file.invoice(authorization_id, ON + timedelta(days=5), 20_000)
    file.do(invoice, BILLING)
    with pytest.raises(RuleViolation, match="TA-10"):
        file.do(file.pay(invoice.invoice_id, ON + timedelta(days=6), 20_001), BILLING)
    with pytest.raises(RuleViolation, match="TA-10"):
        file.do(file.unencumber(authorization_id, ON + timedelta(days=6)), BILLING)
    file.do(file.pay(invoice.invoice_id, ON + timedelta(days=6), 20_000), BILLING)
    with pytest.raises(RuleViolation, match="TA-10"):
        file.do(file.unencumber(authorization_id, ON + timedelta(days=6)), BILLING)  # not provided
