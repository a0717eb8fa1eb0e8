"""Invoices, payments, unencumbering and the return to monitoring: VR-10."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.authorizations.decisions import DECISIONS
from domain.case import CaseStatus
from domain.errors import InvalidCommand, RuleViolation
from domain.events import Program
from domain.handling import HANDLERS
from domain.values import AuthorizationStatus, RequestStatus
from tests.builders import BILLING, OUTCOME, CaseFile, day


@pytest.fixture
def file() -> CaseFile:
    return CaseFile()


@pytest.fixture
def authorization_id(file: CaseFile) -> UUID:
    request_id = file.open_request(OUTCOME)
    return file.authorized(request_id, day(1), amount_cents=50_000)


def test_an_invoice_for_exactly_what_remains_is_accepted_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.invoice(authorization_id, day(10), 20_000), BILLING)
    file.do(file.invoice(authorization_id, day(11), 30_000), BILLING)
    assert file.case.authorizations[authorization_id].remaining_cents == 0
    assert file.all_events()[-1].remaining_authorized_cents == 0  # type: ignore[attr-defined]


def test_an_invoice_one_cent_above_what_remains_is_refused_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.invoice(authorization_id, day(10), 20_000), BILLING)
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.invoice(authorization_id, day(11), 30_001), BILLING)
    assert refusal.value.rule_id == "VR-10"


def test_a_payment_of_the_invoice_amount_is_accepted_and_one_cent_more_refused_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    invoice = file.invoice(authorization_id, day(10), 20_000)
    file.do(invoice, BILLING)
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.pay(invoice.invoice_id, day(20), 20_001), BILLING)
    file.do(file.pay(invoice.invoice_id, day(20), 20_000), BILLING)
    assert file.case.authorizations[authorization_id].encumbered_cents == 30_000


def test_an_invoice_is_paid_once_and_a_retried_payment_records_nothing_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    invoice = file.invoice(authorization_id, day(10), 20_000)
    file.do(invoice, BILLING)
    payment = file.pay(invoice.invoice_id, day(20), 15_000)
    file.do(payment, BILLING)
    version = file.case.version
    file.do(payment, BILLING)
    assert file.case.version == version
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.pay(invoice.invoice_id, day(21), 5_000), BILLING)


def test_a_payment_cannot_precede_its_invoice(file: CaseFile, authorization_id: UUID) -> None:
    invoice = file.invoice(authorization_id, day(10), 20_000)
    file.do(invoice, BILLING)
    with pytest.raises(InvalidCommand):
        file.do(file.pay(invoice.invoice_id, day(9), 20_000), BILLING)


def test_unencumbering_before_the_service_was_provided_is_refused_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.unencumber(authorization_id, day(30)), BILLING)


def test_unencumbering_with_an_unpaid_invoice_is_refused_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.provided(authorization_id, day(20)))
    file.do(file.invoice(authorization_id, day(21), 20_000), BILLING)
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.unencumber(authorization_id, day(30)), BILLING)


def test_unencumbering_releases_what_was_not_paid_and_stops_further_invoices_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.close_service(authorization_id, day(20), paid_cents=32_500)
    released = file.all_events()[-1]
    assert released.amount_cents == 17_500  # type: ignore[attr-defined]
    authorization = file.case.authorizations[authorization_id]
    assert (authorization.encumbered_cents, authorization.remaining_cents) == (0, 0)
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.invoice(authorization_id, day(60), 1), BILLING)


def test_a_cancelled_authorization_is_closed_by_unencumbering_its_whole_amount_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.cancel(authorization_id, day(3)))
    assert file.case.authorizations[authorization_id].status is AuthorizationStatus.CANCELLED
    file.do(file.unencumber(authorization_id, day(4)), BILLING)
    assert file.all_events()[-1].amount_cents == 50_000  # type: ignore[attr-defined]
    with pytest.raises(InvalidCommand):
        file.do(file.provided(authorization_id, day(5)))


def test_returning_to_monitoring_with_an_open_authorization_is_refused_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.provided(authorization_id, day(20)))
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.back_to_monitoring(day(21)))


def test_returning_to_monitoring_once_everything_is_closed_completes_the_request_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    closed_on = file.close_service(authorization_id, day(20))
    file.do(file.back_to_monitoring(closed_on))
    assert file.case.status is CaseStatus.MONITORING
    assert file.case.left_pe_services_on == closed_on
    assert [r.status for r in file.case.requests.values()] == [RequestStatus.COMPLETED]


def test_returning_to_monitoring_with_a_request_awaiting_determination_is_refused_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    closed_on = file.close_service(authorization_id, day(20))
    file.do(file.request(closed_on))
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.back_to_monitoring(closed_on))


def test_returning_to_monitoring_cannot_be_dated_before_the_last_fact(
    file: CaseFile, authorization_id: UUID
) -> None:
    closed_on = file.close_service(authorization_id, day(20))
    with pytest.raises(InvalidCommand):
        file.do(file.back_to_monitoring(day(20)))
    file.do(file.back_to_monitoring(closed_on))
    recorded = file.all_events()[-1]
    assert (type(recorded).__name__, recorded.effective_on) == ("ReturnedToMonitoring", closed_on)
    assert file.case.status is CaseStatus.MONITORING


def test_removal_from_pe_services_needs_closed_authorizations_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    with pytest.raises(RuleViolation, match="VR-10"):
        file.do(file.remove(day(10)))
    file.do(file.cancel(authorization_id, day(10)))
    file.do(file.unencumber(authorization_id, day(10)), BILLING)
    file.do(file.remove(day(11)))
    assert file.case.status is CaseStatus.MONITORING
    assert [r.status for r in file.case.requests.values()] == [RequestStatus.REMOVED]


def test_returning_a_case_that_is_not_in_pe_services_is_refused(file: CaseFile) -> None:
    with pytest.raises(InvalidCommand):
        file.do(file.back_to_monitoring(day(10)))


def test_the_money_commands_after_an_authorization_serve_both_programs_VR_10_TA_10() -> None:
    assert len(DECISIONS) == 5
    for command in DECISIONS:
        assert HANDLERS[command].programs == frozenset({Program.VR, Program.CASH_ASSISTANCE})


def test_a_provided_service_records_its_day_and_the_vr_policy_version_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.provided(authorization_id, day(20)))
    recorded = file.last_event()
    assert type(recorded).__name__ == "ServiceProvided"
    assert (recorded.authorization_id, recorded.effective_on, recorded.policy_version) == (  # type: ignore[attr-defined]
        authorization_id,
        day(20),
        file.case.governing_policy(file.policies).version,
    )
    authorization = file.case.authorizations[authorization_id]
    assert (authorization.status, authorization.ended_on) == (AuthorizationStatus.PROVIDED, day(20))


def test_a_provided_service_cannot_be_cancelled_afterwards_VR_10(
    file: CaseFile, authorization_id: UUID
) -> None:
    file.do(file.provided(authorization_id, day(20)))
    version = file.case.version
    with pytest.raises(InvalidCommand, match="already provided; it cannot be cancelled"):
        file.do(file.cancel(authorization_id, day(21)))
    assert file.case.version == version


def test_a_cancellation_without_a_reason_is_refused(file: CaseFile, authorization_id: UUID) -> None:
    version = file.case.version
    blank = file.cancel(authorization_id, day(3)).model_copy(update={"reason": " "})
    with pytest.raises(InvalidCommand, match="records its reason"):
        file.do(blank)
    assert file.case.version == version
    assert file.case.authorizations[authorization_id].status is AuthorizationStatus.AUTHORIZED


def test_money_against_an_unknown_authorization_is_refused_naming_it(file: CaseFile) -> None:
    unknown = uuid4()
    with pytest.raises(InvalidCommand, match=f"no authorization {unknown}"):
        file.do(file.invoice(unknown, day(10), 1_000), BILLING)
    with pytest.raises(InvalidCommand, match=f"no authorization {unknown}"):
        file.do(file.unencumber(unknown, day(10)), BILLING)
