"""The VR rules as predicates: each written once, in domain/vr/rules.py, and read everywhere."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.policy import PolicyBook
from domain.values import ServiceType
from domain.vr.policy import VRPolicy
from domain.vr.rules import authorization_breaches, termination_due, within_initiation_window

POLICY = PolicyBook.default().vr_in_force_on(date(2024, 1, 1))
OUTCOME = date(2024, 2, 29)
WINDOW_CLOSES = date(2025, 2, 28)


@pytest.mark.parametrize("day", [OUTCOME, date(2024, 9, 1), WINDOW_CLOSES])
def test_a_day_from_the_outcome_through_the_window_s_last_day_is_inside_it_VR_02(
    day: date,
) -> None:
    assert within_initiation_window(POLICY, OUTCOME, day)


@pytest.mark.parametrize(
    "day", [OUTCOME - timedelta(days=1), WINDOW_CLOSES + timedelta(days=1), date(2030, 1, 1)]
)
def test_a_day_before_the_outcome_or_after_the_window_closes_is_outside_it_VR_02(
    day: date,
) -> None:
    assert not within_initiation_window(POLICY, OUTCOME, day)


def test_the_window_s_length_is_the_policy_s_VR_02() -> None:
    longer = VRPolicy(
        version="what-if",
        effective_from=date(2026, 1, 1),
        initiation_window_months=18,
        planned_end_limit_months=18,
        termination_after_months=18,
    )
    day = WINDOW_CLOSES + timedelta(days=1)
    assert within_initiation_window(longer, OUTCOME, day)
    assert not within_initiation_window(POLICY, OUTCOME, day)


def test_an_authorization_breaches_VR_02_exactly_when_it_starts_outside_the_window() -> None:
    for offset in range(-3, 375):
        start = OUTCOME + timedelta(days=offset)
        breached = {
            rule
            for rule, _ in authorization_breaches(
                POLICY, OUTCOME, ServiceType.EMPLOYMENT_JOB_RETENTION, start, start
            )
        }
        assert ("VR-02" in breached) is not within_initiation_window(POLICY, OUTCOME, start)


def test_the_termination_date_is_not_determinable_without_an_outcome_or_in_pe_services_VR_11() -> (
    None
):
    assert termination_due(POLICY, None, False, None) is None
    assert termination_due(POLICY, OUTCOME, True, date(2025, 6, 1)) is None


def test_the_case_terminates_on_the_later_of_the_anniversary_and_leaving_pe_services_VR_11() -> (
    None
):
    anniversary = date(2025, 2, 28)
    assert termination_due(POLICY, OUTCOME, False, None) == anniversary
    assert termination_due(POLICY, OUTCOME, False, date(2024, 6, 1)) == anniversary
    assert termination_due(POLICY, OUTCOME, False, date(2025, 6, 1)) == date(2025, 6, 1)
