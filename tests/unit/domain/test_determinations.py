"""Determinations and the Review of Decisions: VR-05, VR-07 and VR-08."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.case import CaseStatus
from domain.errors import InvalidCommand, RuleViolation
from domain.values import RequestPurpose, RequestStatus, ReviewDecision, ScopeCriteria
from tests.builders import ALL_CRITERIA, POLICY, CaseFile, day


@pytest.fixture
def file() -> CaseFile:
    return CaseFile()


def requested(file: CaseFile, purpose: RequestPurpose = RequestPurpose.MAINTAIN) -> UUID:
    command = file.request(day(30), purpose)
    file.do(command)
    return command.request_id


def test_a_pe_determination_affirming_all_four_criteria_is_recorded_VR_05(file: CaseFile) -> None:
    request_id = requested(file)
    file.do(file.appropriate(request_id, day(35)))
    assert file.case.requests[request_id].status is RequestStatus.PE_APPROPRIATE


@pytest.mark.parametrize("criterion", list(ScopeCriteria.model_fields))
def test_a_pe_determination_with_a_criterion_not_affirmed_is_refused_VR_05(
    file: CaseFile, criterion: str
) -> None:
    request_id = requested(file)
    criteria = ALL_CRITERIA.model_copy(update={criterion: False})
    with pytest.raises(RuleViolation, match=rf"VR-05.*{criterion}"):
        file.do(file.appropriate(request_id, day(35), criteria=criteria))


def test_a_service_expected_on_the_ninetieth_day_is_within_scope_and_the_ninety_first_is_not_VR_05(
    file: CaseFile,
) -> None:
    request_id = requested(file)
    with pytest.raises(RuleViolation, match="VR-05"):
        file.do(file.appropriate(request_id, day(35), expected_provided_by=day(35 + 91)))
    file.do(file.appropriate(request_id, day(35), expected_provided_by=day(35 + 90)))
    recorded = file.all_events()[-1]
    assert type(recorded).__name__ == "PEServicesFoundAppropriate"
    assert recorded.expected_provided_by == day(35 + 90)  # type: ignore[attr-defined]
    assert file.case.requests[request_id].status is RequestStatus.PE_APPROPRIATE


def test_a_pe_determination_for_a_regain_request_is_refused_VR_07(file: CaseFile) -> None:
    request_id = requested(file, RequestPurpose.REGAIN)
    with pytest.raises(RuleViolation, match="VR-07"):
        file.do(file.appropriate(request_id, day(35)))
    with pytest.raises(RuleViolation, match="VR-07"):
        file.do(file.not_appropriate(request_id, day(35)))


def test_a_regain_request_is_determined_a_new_employment_case_opened_and_linked_VR_07(
    file: CaseFile,
) -> None:
    request_id = requested(file, RequestPurpose.REGAIN)
    file.do(file.new_case(request_id, day(35), new_case_number="VR-2024-777"))
    request = file.case.requests[request_id]
    assert request.status is RequestStatus.NEW_EMPLOYMENT_CASE
    assert request.linked_case_number == "VR-2024-777"


def test_a_new_case_determination_must_link_another_case_VR_08(file: CaseFile) -> None:
    request_id = requested(file)
    with pytest.raises(RuleViolation, match="VR-08"):
        file.do(file.new_case(request_id, day(35), new_case_number=" "))
    with pytest.raises(RuleViolation, match="VR-08"):
        file.do(file.new_case(request_id, day(35), new_case_number=file.case.case_number))


def test_a_not_appropriate_determination_needs_a_written_explanation_VR_08(file: CaseFile) -> None:
    request_id = requested(file)
    with pytest.raises(RuleViolation, match=r"VR-08.*explanation"):
        file.do(file.not_appropriate(request_id, day(35), written_explanation="   "))


def test_a_not_appropriate_determination_needs_the_review_notice_VR_08(file: CaseFile) -> None:
    request_id = requested(file)
    with pytest.raises(RuleViolation, match=r"VR-08.*Review of Decisions"):
        file.do(file.not_appropriate(request_id, day(35), review_notice_given=False))


def test_a_request_is_determined_once_VR_08(file: CaseFile) -> None:
    request_id = requested(file)
    file.do(file.appropriate(request_id, day(35)))
    with pytest.raises(RuleViolation, match="VR-08"):
        file.do(file.not_appropriate(request_id, day(36)))


def test_a_determination_cannot_precede_its_request(file: CaseFile) -> None:
    request_id = requested(file)
    with pytest.raises(InvalidCommand):
        file.do(file.appropriate(request_id, day(29)))


def test_a_determination_of_an_unknown_request_is_refused(file: CaseFile) -> None:
    with pytest.raises(InvalidCommand, match="no request"):
        file.do(file.appropriate(file.next_id("request"), day(35)))


def test_an_upheld_review_keeps_the_determination_VR_08(file: CaseFile) -> None:
    request_id = requested(file)
    file.do(file.not_appropriate(request_id, day(35)))
    file.do(file.review(request_id, day(40)))
    assert file.case.requests[request_id].status is RequestStatus.UNDER_REVIEW
    file.do(file.decide(request_id, day(50), ReviewDecision.UPHELD))
    request = file.case.requests[request_id]
    assert (request.status, request.review_decision) == (
        RequestStatus.NOT_APPROPRIATE,
        ReviewDecision.UPHELD,
    )


def test_a_reversed_review_sends_the_request_back_for_a_new_determination_VR_08(
    file: CaseFile,
) -> None:
    request_id = requested(file)
    file.do(file.not_appropriate(request_id, day(35)))
    file.do(file.review(request_id, day(40)))
    file.do(file.decide(request_id, day(50), ReviewDecision.REVERSED))
    file.do(file.appropriate(request_id, day(51)))
    assert file.case.requests[request_id].status is RequestStatus.PE_APPROPRIATE


def test_only_a_not_appropriate_determination_is_reviewed_once_VR_08(file: CaseFile) -> None:
    request_id = requested(file)
    with pytest.raises(RuleViolation, match="VR-08"):
        file.do(file.review(request_id, day(31)))
    file.do(file.not_appropriate(request_id, day(35)))
    with pytest.raises(RuleViolation, match=r"VR-08.*not under review"):
        file.do(file.decide(request_id, day(36), ReviewDecision.UPHELD))
    file.do(file.review(request_id, day(40)))
    file.do(file.decide(request_id, day(50), ReviewDecision.UPHELD))
    with pytest.raises(RuleViolation, match=r"VR-08.*already reviewed"):
        file.do(file.review(request_id, day(51)))


def test_a_review_requested_after_returning_to_monitoring_reopens_pe_services_VR_08(
    file: CaseFile,
) -> None:
    request_id = requested(file)
    file.do(file.not_appropriate(request_id, day(35)))
    file.do(file.back_to_monitoring(day(36)))
    assert file.case.status is CaseStatus.MONITORING
    file.do(file.review(request_id, day(40)))
    assert file.case.status is CaseStatus.IN_PE_SERVICES
    assert file.case.termination_date(POLICY) is None


def test_a_review_cannot_be_decided_before_it_was_requested(file: CaseFile) -> None:
    request_id = requested(file)
    file.do(file.not_appropriate(request_id, day(35)))
    file.do(file.review(request_id, day(40)))
    with pytest.raises(InvalidCommand):
        file.do(file.decide(request_id, day(39), ReviewDecision.UPHELD))
