"""The policy is data: versions with effective dates, parameters read by the rules."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.errors import RuleViolation
from domain.policy import PolicyBook
from domain.values import ServiceType
from domain.vr.policy import VRPolicy
from tests.builders import CaseFile

LONGER_WINDOW = VRPolicy(
    version="what-if-2026",
    effective_from=date(2026, 1, 1),
    initiation_window_months=18,
    planned_end_limit_months=18,
    termination_after_months=18,
)
TWO_VERSIONS = PolicyBook(vr=(*PolicyBook.default().vr, LONGER_WINDOW))


def test_the_default_policy_holds_the_2018_parameters() -> None:
    policy = PolicyBook.default().vr_in_force_on(date(2024, 1, 1))
    assert (policy.initiation_window_months, policy.max_service_duration_months) == (12, 3)
    assert policy.scope_days == 90
    assert policy.grandfathering_date == date(2013, 8, 1)
    assert policy.soft_rules == {"VR-03", "VR-04"}
    assert (policy.invoice_payment_days, policy.return_to_monitoring_days) == (30, 14)
    assert policy.is_excluded(ServiceType.SUPPORTED_EMPLOYMENT)
    assert not policy.is_excluded(ServiceType.EMPLOYMENT_JOB_RETENTION)


def test_the_version_in_force_is_the_latest_effective_on_the_day() -> None:
    old = VRPolicy(version="2018", effective_from=date(2018, 10, 2))
    new = LONGER_WINDOW
    book = PolicyBook(vr=(new, old))
    assert book.vr_in_force_on(date(2025, 12, 31)) == old
    assert book.vr_in_force_on(date(2026, 1, 1)) == new
    assert book.vr_in_force_on(date(2010, 1, 1)) == old
    assert book.vr_version("what-if-2026") == new


def test_a_policy_whose_window_outlasts_the_case_is_refused() -> None:
    with pytest.raises(ValidationError, match="VR-02"):
        VRPolicy(version="bad", effective_from=date(2026, 1, 1), initiation_window_months=18)


def test_policy_versions_are_unique() -> None:
    policy = VRPolicy(version="2018", effective_from=date(2018, 10, 2))
    with pytest.raises(ValidationError):
        PolicyBook(vr=(policy, policy))


def test_the_termination_date_is_the_later_of_the_anniversary_and_leaving_pe_VR_11() -> None:
    policy = PolicyBook.default().vr[0]
    assert policy.termination_on(date(2024, 2, 29), None) == date(2025, 2, 28)
    assert policy.termination_on(date(2024, 2, 29), date(2024, 9, 1)) == date(2025, 2, 28)
    assert policy.termination_on(date(2024, 2, 29), date(2025, 3, 1)) == date(2025, 3, 1)


def test_agency_deadlines_come_from_the_policy() -> None:
    policy = PolicyBook.default().vr[0]
    assert policy.invoice_payment_due(date(2024, 1, 31)) == date(2024, 3, 1)
    assert policy.return_to_monitoring_due(date(2024, 1, 31)) == date(2024, 2, 14)


def test_a_case_follows_the_policy_in_force_on_its_outcome_date_VR_02() -> None:
    under_2018 = CaseFile(outcome=date(2025, 12, 31), policies=TWO_VERSIONS)
    with pytest.raises(RuleViolation, match="VR-02"):
        under_2018.do(under_2018.request(date(2027, 1, 1)))
    under_2026 = CaseFile(outcome=date(2026, 1, 1), policies=TWO_VERSIONS)
    under_2026.do(under_2026.request(date(2027, 7, 1)))
    assert under_2026.all_events()[-1].policy_version == "what-if-2026"  # type: ignore[attr-defined]


def test_the_window_parameter_moves_both_sides_of_the_boundary_VR_02() -> None:
    file = CaseFile(outcome=date(2026, 1, 31), policies=TWO_VERSIONS)
    file.do(file.request(date(2027, 7, 31)))
    other = CaseFile(outcome=date(2026, 1, 31), policies=TWO_VERSIONS)
    with pytest.raises(RuleViolation, match="VR-02"):
        other.do(other.request(date(2027, 8, 1)))
