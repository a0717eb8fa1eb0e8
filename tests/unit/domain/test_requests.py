"""Recording the outcome and the client's requests: VR-01, VR-02 (requests) and VR-07."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.case import CaseStatus, Program
from domain.errors import InvalidCommand, RuleViolation
from domain.values import AdvanceAssessment, RequestPurpose, RequestStatus
from tests.builders import ADVANCE, ANNIVERSARY, MAINTAIN, OUTCOME, CaseFile


def test_an_outcome_puts_the_case_in_post_employment_monitoring_VR_01() -> None:
    file = CaseFile()
    assert file.case.status is CaseStatus.MONITORING
    assert file.case.outcome_date == OUTCOME


def test_a_second_outcome_is_refused_VR_01() -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation, match="VR-01"):
        file.do(file.record_outcome(OUTCOME + timedelta(days=3)))


def test_a_request_without_an_outcome_is_refused_VR_01() -> None:
    file = CaseFile(outcome=None)
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.request(OUTCOME))
    assert refusal.value.rule_id == "VR-01"


def test_a_request_dated_before_the_outcome_is_refused_and_on_the_outcome_date_accepted_VR_01() -> (
    None
):
    file = CaseFile()
    with pytest.raises(RuleViolation, match="VR-01"):
        file.do(file.request(OUTCOME - timedelta(days=1)))
    file.do(file.request(OUTCOME))
    assert file.case.status is CaseStatus.IN_PE_SERVICES


def test_a_request_on_the_anniversary_is_accepted_VR_02() -> None:
    file = CaseFile()
    file.do(file.request(ANNIVERSARY))
    assert len(file.case.requests) == 1


def test_a_request_the_day_after_the_anniversary_is_refused_VR_02() -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation) as refusal:
        file.do(file.request(ANNIVERSARY + timedelta(days=1)))
    assert refusal.value.rule_id == "VR-02"
    assert "new employment program case" in str(refusal.value)


def test_a_request_on_a_month_end_outcome_anniversary_is_accepted_and_the_next_day_refused_VR_02() -> (
    None
):
    file = CaseFile(outcome=date(2025, 1, 31))
    command = file.request(date(2026, 1, 31))
    file.do(command)
    recorded = file.all_events()[-1]
    assert type(recorded).__name__ == "PEServicesRequested"
    assert recorded.effective_on == date(2026, 1, 31)
    assert file.case.requests[command.request_id].requested_on == date(2026, 1, 31)
    other = CaseFile(outcome=date(2025, 1, 31))
    with pytest.raises(RuleViolation, match="VR-02"):
        other.do(other.request(date(2026, 2, 1)))


def test_a_maintain_request_records_the_maintain_assessment_VR_07() -> None:
    file = CaseFile()
    command = file.request(OUTCOME + timedelta(days=10))
    file.do(command)
    request = file.case.requests[command.request_id]
    assert request.purpose is RequestPurpose.MAINTAIN
    assert request.maintain == MAINTAIN
    assert request.status is RequestStatus.AWAITING_DETERMINATION


def test_a_maintain_request_without_its_assessment_is_refused_VR_07() -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation, match="VR-07"):
        file.do(file.request(OUTCOME, maintain=None))


def test_a_maintain_request_with_a_blank_concern_is_refused_VR_07() -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation, match=r"VR-07.*concern"):
        file.do(file.request(OUTCOME, maintain=MAINTAIN.model_copy(update={"concern": "  "})))


def test_an_advance_request_records_what_the_client_needs_and_the_expected_result_VR_07() -> None:
    file = CaseFile()
    command = file.request(OUTCOME, RequestPurpose.ADVANCE)
    file.do(command)
    assert file.case.requests[command.request_id].advance == ADVANCE


def test_an_advance_request_without_an_expected_result_is_refused_VR_07() -> None:
    file = CaseFile()
    advance = ADVANCE.model_copy(update={"expected_results": ()})
    with pytest.raises(RuleViolation, match="VR-07"):
        file.do(file.request(OUTCOME, RequestPurpose.ADVANCE, advance=advance))


def test_an_advance_request_with_another_employer_is_refused_VR_07() -> None:
    file = CaseFile()
    advance: AdvanceAssessment = ADVANCE.model_copy(update={"same_employer": False})
    with pytest.raises(RuleViolation, match="VR-07"):
        file.do(file.request(OUTCOME, RequestPurpose.ADVANCE, advance=advance))


def test_a_regain_request_carries_no_pe_assessment_VR_07() -> None:
    file = CaseFile()
    with pytest.raises(RuleViolation, match="VR-07"):
        file.do(file.request(OUTCOME, RequestPurpose.REGAIN, maintain=MAINTAIN))
    command = file.request(OUTCOME, RequestPurpose.REGAIN)
    file.do(command)
    recorded = file.all_events()[-1]
    assert type(recorded).__name__ == "PEServicesRequested"
    assert (recorded.purpose, recorded.maintain, recorded.advance) == (  # type: ignore[attr-defined]
        RequestPurpose.REGAIN,
        None,
        None,
    )
    assert file.case.requests[command.request_id].purpose is RequestPurpose.REGAIN


def test_a_retried_request_with_the_same_id_records_nothing_more() -> None:
    file = CaseFile()
    command = file.request(OUTCOME)
    file.do(command)
    version = file.case.version
    file.do(command)
    assert file.case.version == version


def test_a_request_id_reused_for_other_details_is_refused() -> None:
    file = CaseFile()
    command = file.request(OUTCOME)
    file.do(command)
    with pytest.raises(InvalidCommand):
        file.do(command.model_copy(update={"requested_on": OUTCOME + timedelta(days=1)}))


def test_a_cash_assistance_case_takes_no_vr_requests() -> None:
    file = CaseFile(outcome=None, program=Program.CASH_ASSISTANCE)
    with pytest.raises(InvalidCommand, match="not a VR case"):
        file.do(file.request(OUTCOME))


def test_a_command_dated_outside_the_supported_calendar_is_refused_before_any_date_arithmetic() -> (
    None
):
    from pydantic import ValidationError

    file = CaseFile()
    with pytest.raises(ValidationError, match="less than or equal to 2199-12-31"):
        file.record_outcome(date(9999, 12, 1))
