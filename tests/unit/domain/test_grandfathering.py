"""Grandfathering: cases receiving EW services on 2013-08-01 finish their planned services (VR-12)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand, OverrideRequired, RuleViolation
from domain.values import ServiceType
from tests.builders import POLICY, CaseFile

GRANDFATHERING_DATE = date(2013, 8, 1)
OUTCOME_2013 = date(2013, 6, 14)
WINDOW_CLOSES_2014 = date(2014, 6, 14)


def grandfathered_case() -> CaseFile:
    file = CaseFile(outcome=OUTCOME_2013, opened_on=date(2012, 11, 5))
    file.do(file.grandfather(date(2013, 7, 1)))
    return file


def test_a_case_receiving_ew_services_on_the_date_is_recognized_with_its_evidence_VR_12() -> None:
    file = grandfathered_case()
    grandfathering = file.case.grandfathering
    assert grandfathering is not None
    assert grandfathering.planned_services == (ServiceType.SUPPORTED_EMPLOYMENT,)
    assert file.all_events()[-1].grandfathering_date == GRANDFATHERING_DATE  # type: ignore[attr-defined]


def test_a_case_opened_on_the_grandfathering_date_qualifies_and_the_day_after_does_not_VR_12() -> (
    None
):
    on_the_date = CaseFile(outcome=None, opened_on=GRANDFATHERING_DATE)
    on_the_date.do(on_the_date.grandfather(GRANDFATHERING_DATE))
    recorded = on_the_date.all_events()[-1]
    assert type(recorded).__name__ == "GrandfatheringRecognized"
    assert recorded.effective_on == GRANDFATHERING_DATE
    assert on_the_date.case.grandfathering is not None
    day_after = CaseFile(outcome=None, opened_on=date(2013, 8, 2))
    with pytest.raises(RuleViolation, match="VR-12"):
        day_after.do(day_after.grandfather(date(2013, 8, 2)))


def test_services_started_after_the_grandfathering_date_do_not_qualify_VR_12() -> None:
    file = CaseFile(outcome=OUTCOME_2013, opened_on=date(2012, 11, 5))
    with pytest.raises(RuleViolation, match="VR-12"):
        file.do(file.grandfather(date(2013, 9, 1), services_started_on=date(2013, 8, 2)))
    file.do(file.grandfather(date(2013, 9, 1), services_started_on=GRANDFATHERING_DATE))
    recorded = file.all_events()[-1]
    assert type(recorded).__name__ == "GrandfatheringRecognized"
    assert recorded.services_started_on == GRANDFATHERING_DATE  # type: ignore[attr-defined]
    assert file.case.grandfathering is not None
    assert file.case.grandfathering.services_started_on == GRANDFATHERING_DATE


def test_grandfathering_without_evidence_is_refused_VR_12() -> None:
    file = CaseFile(outcome=OUTCOME_2013, opened_on=date(2012, 11, 5))
    with pytest.raises(RuleViolation, match="VR-12"):
        file.do(file.grandfather(date(2013, 7, 1), evidence="   "))


def test_grandfathering_is_recognized_once_and_a_retry_records_nothing() -> None:
    file = grandfathered_case()
    version = file.case.version
    file.do(file.grandfather(date(2013, 7, 1)))
    assert file.case.version == version
    with pytest.raises(InvalidCommand, match="VR-12"):
        file.do(file.grandfather(date(2013, 7, 2)))


def test_a_grandfathered_service_is_exempt_from_the_window_duration_and_excluded_types_VR_12() -> (
    None
):
    file = grandfathered_case()
    request_id = file.open_request(date(2014, 5, 1))
    authorization_id = file.authorized(
        request_id,
        date(2014, 9, 2),
        start=date(2014, 9, 10),
        end=date(2015, 6, 30),
        service_type=ServiceType.SUPPORTED_EMPLOYMENT,
    )
    authorization = file.case.authorizations[authorization_id]
    assert authorization.grandfathered
    assert authorization.overrides == ()


def test_a_service_the_grandfathering_does_not_cover_follows_the_rules_VR_02_VR_12() -> None:
    file = grandfathered_case()
    request_id = file.open_request(date(2014, 5, 1))
    with pytest.raises(RuleViolation, match="VR-02"):
        file.do(file.authorize(request_id, date(2014, 9, 2), start=date(2014, 9, 10)))


def test_a_covered_service_inside_the_limits_is_still_marked_grandfathered_VR_12() -> None:
    file = grandfathered_case()
    request_id = file.open_request(date(2013, 9, 1))
    authorization_id = file.authorized(
        request_id, date(2013, 9, 2), service_type=ServiceType.SUPPORTED_EMPLOYMENT
    )
    assert file.case.authorizations[authorization_id].grandfathered


def test_without_grandfathering_the_same_service_is_refused_VR_06() -> None:
    file = CaseFile(outcome=OUTCOME_2013, opened_on=date(2012, 11, 5))
    request_id = file.open_request(date(2013, 9, 1))
    with pytest.raises(RuleViolation, match="VR-06"):
        file.do(
            file.authorize(
                request_id, date(2013, 9, 2), service_type=ServiceType.SUPPORTED_EMPLOYMENT
            )
        )
    with pytest.raises(OverrideRequired, match="VR-04"):
        file.do(file.authorize(request_id, date(2013, 9, 2), end=date(2014, 1, 2)))


def test_a_grandfathered_case_still_in_services_may_add_a_request_after_the_window_VR_12() -> None:
    file = grandfathered_case()
    file.open_request(date(2014, 5, 1))
    file.do(file.request(date(2014, 9, 1)))
    plain = CaseFile(outcome=OUTCOME_2013, opened_on=date(2012, 11, 5))
    plain.open_request(date(2014, 5, 1))
    with pytest.raises(RuleViolation, match="VR-02"):
        plain.do(plain.request(date(2014, 9, 1)))


def test_termination_waits_for_grandfathered_services_VR_11_VR_12() -> None:
    file = grandfathered_case()
    request_id = file.open_request(date(2014, 5, 1))
    authorization_id = file.authorized(
        request_id,
        date(2014, 5, 2),
        start=date(2014, 5, 5),
        end=date(2015, 3, 31),
        service_type=ServiceType.SUPPORTED_EMPLOYMENT,
    )
    assert file.case.termination_date(POLICY) is None
    closed_on = file.close_service(authorization_id, date(2015, 3, 31))
    file.do(file.back_to_monitoring(closed_on))
    assert file.case.termination_date(POLICY) == closed_on > WINDOW_CLOSES_2014
